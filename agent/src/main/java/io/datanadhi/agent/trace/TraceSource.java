package io.datanadhi.agent.trace;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * One tracer's view of the current thread: which trace and span it is in. Read on the logging
 * thread, for an event a rule keeps, through method handles on the tracer's own public classes
 * (looked up once, when the tracer shows up).
 */
abstract class TraceSource {

    static final MethodHandles.Lookup PUBLIC = MethodHandles.publicLookup();

    private final String name;

    TraceSource(String name) {
        this.name = name;
    }

    /** For diagnostics: "opentelemetry-agent", "elastic-apm-api", ... */
    final String name() {
        return name;
    }

    /**
     * Fills {@code out} and returns true when the current thread is in a trace; false outside any.
     * May throw whatever the tracer throws.
     */
    abstract boolean read(TraceIds out) throws Throwable;

    /** A no-argument static method returning {@code returns}, as {@code ()Object}. */
    static MethodHandle staticGetter(Class<?> owner, String method, Class<?> returns) throws ReflectiveOperationException {
        return PUBLIC.findStatic(owner, method, MethodType.methodType(returns))
                .asType(MethodType.methodType(Object.class));
    }

    /** A no-argument instance method, as {@code (Object)Object} (or the primitive it returns). */
    static MethodHandle getter(Class<?> owner, String method, Class<?> returns) throws ReflectiveOperationException {
        MethodHandle handle = PUBLIC.findVirtual(owner, method, MethodType.methodType(returns));
        return handle.asType(MethodType.methodType(returns.isPrimitive() ? returns : Object.class, Object.class));
    }

    /** Ids the tracers print for "none": empty, or all zeros. */
    static boolean isNone(String id) {
        if (id == null || id.isEmpty()) {
            return true;
        }
        for (int i = 0; i < id.length(); i++) {
            if (id.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return name;
    }
}
