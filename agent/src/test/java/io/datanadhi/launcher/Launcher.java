package io.datanadhi.launcher;

import java.io.File;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * The launcher's package-private parts, for tests. The launcher is compiled separately (to Java 8
 * bytecode, into {@code target/launcher-classes}), which surefire adds to the test run's class
 * path but which the test compilation does not see: so they are reached by reflection, from the
 * same package and class loader.
 */
final class Launcher {

    private static final String LAUNCHER = "io.datanadhi.launcher.AgentLauncher";
    private static final String LOADER = "io.datanadhi.launcher.AgentClassLoader";

    private Launcher() {}

    static boolean supported(String specification) {
        return (Boolean) invoke(LAUNCHER, "supported", new Class<?>[] {String.class}, specification);
    }

    static String javaSpecification() {
        return (String) invoke(LAUNCHER, "javaSpecification", new Class<?>[0]);
    }

    static String unsupportedMessage(String specification, String consequence) {
        return (String) invoke(LAUNCHER, "unsupportedMessage", new Class<?>[] {String.class, String.class},
                specification, consequence);
    }

    static ClassLoader platformClassLoader() {
        return (ClassLoader) invoke(LAUNCHER, "platformClassLoader", new Class<?>[0]);
    }

    static ClassLoader platformClassLoader(ClassLoader start) {
        return (ClassLoader) invoke(LAUNCHER, "platformClassLoader", new Class<?>[] {ClassLoader.class}, start);
    }

    static ClassLoader agentClassLoader(File jar, ClassLoader parent, boolean bootstrapFromJar) throws Exception {
        Constructor<?> constructor = Class.forName(LOADER).getDeclaredConstructor(File.class, ClassLoader.class,
                boolean.class);
        try {
            return (ClassLoader) constructor.newInstance(jar, parent, bootstrapFromJar);
        } catch (InvocationTargetException e) {
            throw rethrow(e.getCause());
        }
    }

    private static Object invoke(String type, String name, Class<?>[] parameters, Object... args) {
        try {
            Method method = Class.forName(type).getDeclaredMethod(name, parameters);
            return method.invoke(null, args);
        } catch (InvocationTargetException e) {
            throw rethrow(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("the launcher classes are not on the test class path", e);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException) {
            throw (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        return new RuntimeException(t);
    }
}
