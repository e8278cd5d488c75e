package io.datanadhi.agent.trace;

import java.lang.invoke.MethodHandle;

/**
 * Datadog: {@code CorrelationIdentifier}, which its Java agent puts in the bootstrap class loader
 * (and its API in the application), answers "0" outside a trace.
 */
final class DatadogSource extends TraceSource {

    static final String CORRELATION = "datadog.trace.api.CorrelationIdentifier";

    private final MethodHandle traceId;
    private final MethodHandle spanId;

    private DatadogSource(Class<?> correlation) throws ReflectiveOperationException {
        super("datadog");
        this.traceId = staticGetter(correlation, "getTraceId", String.class);
        this.spanId = staticGetter(correlation, "getSpanId", String.class);
    }

    static DatadogSource in(ClassLoader loader) throws ReflectiveOperationException {
        return new DatadogSource(Class.forName(CORRELATION, false, loader));
    }

    @Override
    boolean read(TraceIds out) throws Throwable {
        String trace = (String) (Object) traceId.invokeExact();
        if (isNone(trace)) {
            return false;
        }
        out.set(trace, (String) (Object) spanId.invokeExact());
        return true;
    }
}
