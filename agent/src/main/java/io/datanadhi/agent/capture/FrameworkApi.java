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

    /**
     * The public no-argument method {@code name} of the interface {@code api}, as {@code (Object) ->
     * Object}, called on {@code type} itself when that class is public: a virtual call on a known
     * class, which the JIT inlines where a call through the interface goes through its dispatch.
     */
    public static MethodHandle getter(MethodHandles.Lookup lookup, Class<?> type, Class<?> api, String name)
            throws ReflectiveOperationException {
        return onClass(lookup, type, api.getMethod(name)).asType(GETTER);
    }

    /** {@code method} (of an interface {@code type} implements) invoked virtually on {@code type} when it is a public class. */
    public static MethodHandle onClass(MethodHandles.Lookup lookup, Class<?> type, java.lang.reflect.Method method)
            throws IllegalAccessException {
        if (!type.isInterface() && java.lang.reflect.Modifier.isPublic(type.getModifiers())) {
            try {
                return lookup.findVirtual(type, method.getName(),
                        MethodType.methodType(method.getReturnType(), method.getParameterTypes()));
            } catch (NoSuchMethodException | IllegalAccessException | SecurityException e) {
                // through the interface
            }
        }
        return lookup.unreflect(method);
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
