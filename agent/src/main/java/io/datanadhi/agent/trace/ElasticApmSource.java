package io.datanadhi.agent.trace;

import java.lang.invoke.MethodHandle;

/**
 * Elastic APM, through its public API in the application ({@code co.elastic.apm:apm-agent-api}),
 * which its agent instruments: the active span, or the transaction when no span is active. Where
 * the application does not use the API, the agent's MDC keys ({@code trace.id}) carry the trace.
 */
final class ElasticApmSource extends TraceSource {

    static final String API = "co.elastic.apm.api.ElasticApm";

    private final MethodHandle currentSpan;
    private final MethodHandle traceId;
    private final MethodHandle id;

    private ElasticApmSource(MethodHandle currentSpan, Class<?> span) throws ReflectiveOperationException {
        super("elastic-apm-api");
        this.currentSpan = currentSpan;
        this.traceId = getter(span, "getTraceId", String.class);
        this.id = getter(span, "getId", String.class);
    }

    static ElasticApmSource api(ClassLoader loader) throws ReflectiveOperationException {
        Class<?> apm = Class.forName(API, false, loader);
        Class<?> span = apm.getMethod("currentSpan").getReturnType();
        return new ElasticApmSource(staticGetter(apm, "currentSpan", span), span);
    }

    @Override
    boolean read(TraceIds out) throws Throwable {
        Object span = currentSpan.invokeExact();
        String trace = (String) (Object) traceId.invokeExact(span);
        if (isNone(trace)) {
            return false; // the API without the agent, or no transaction: a no-op span
        }
        out.set(trace, (String) (Object) id.invokeExact(span));
        return true;
    }
}
