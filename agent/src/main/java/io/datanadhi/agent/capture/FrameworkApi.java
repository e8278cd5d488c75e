package io.datanadhi.agent.capture;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Calling a logging framework's public API from the agent's class loader, which cannot link
 * against the application's copy: method handles, shaped {@code (Object) -> Object}.
 */
public final class FrameworkApi {

    public static final MethodType GETTER = MethodType.methodType(Object.class, Object.class);

    private FrameworkApi() {}

    /** A public no-argument method of {@code api}, as {@code (Object) -> Object}. */
    public static MethodHandle getter(MethodHandles.Lookup lookup, Class<?> api, String name)
            throws ReflectiveOperationException {
        return lookup.unreflect(api.getMethod(name)).asType(GETTER);
    }

    public static Object call(MethodHandle getter, Object target) {
        try {
            return (Object) getter.invokeExact(target);
        } catch (Throwable t) {
            throw failure(t);
        }
    }

    /** What a handle threw, as an unchecked exception (an Error is rethrown as it is). */
    public static RuntimeException failure(Throwable t) {
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        return new IllegalStateException(t);
    }

    /** {@code type} or the superclass of it named {@code name}; null if none. */
    public static Class<?> findClass(Class<?> type, String name) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            if (c.getName().equals(name)) {
                return c;
            }
        }
        return null;
    }

    /** The interface named {@code name} that {@code type} implements, directly or not; null if none. */
    public static Class<?> findInterface(Class<?> type, String name) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                if (i.getName().equals(name)) {
                    return i;
                }
                Class<?> inherited = findInterface(i, name);
                if (inherited != null) {
                    return inherited;
                }
            }
        }
        return null;
    }
}
