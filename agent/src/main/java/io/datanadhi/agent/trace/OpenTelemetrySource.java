package io.datanadhi.agent.trace;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;

/**
 * OpenTelemetry: the current span of its Java agent (whose API lives, shaded, in the bootstrap
 * class loader) or of the OpenTelemetry API an application uses without the agent.
 */
final class OpenTelemetrySource extends TraceSource {

    static final String AGENT_BRIDGE = "io.opentelemetry.javaagent.bootstrap.Java8BytecodeBridge";
    private static final String AGENT_INITIALIZER = "io.opentelemetry.javaagent.bootstrap.AgentInitializer";
    static final String API_SPAN = "io.opentelemetry.api.trace.Span";

    private final MethodHandle currentSpan;
    private final MethodHandle spanContext;
    private final MethodHandle isValid;
    private final MethodHandle traceId;
    private final MethodHandle spanId;
    /** The agent's "started" flag, {@code (boolean)boolean}; null for the API. */
    private final MethodHandle started;
    private volatile boolean ready;

    private OpenTelemetrySource(String name, MethodHandle currentSpan, Class<?> span, MethodHandle started)
            throws ReflectiveOperationException {
        super(name);
        Class<?> context = span.getMethod("getSpanContext").getReturnType();
        this.currentSpan = currentSpan;
        this.spanContext = getter(span, "getSpanContext", context);
        this.isValid = getter(context, "isValid", boolean.class);
        this.traceId = getter(context, "getTraceId", String.class);
        this.spanId = getter(context, "getSpanId", String.class);
        this.started = started;
        this.ready = started == null;
    }

    /**
     * The Java agent's bridge, in the bootstrap class loader once its jar is there. The span and
     * context types come from the bridge's signatures: their shaded package is the agent's business.
     */
    static OpenTelemetrySource agent() throws ReflectiveOperationException {
        Class<?> bridge = Class.forName(AGENT_BRIDGE, false, null);
        Class<?> span = bridge.getMethod("currentSpan").getReturnType();
        MethodHandle started = null;
        try {
            started = PUBLIC.findStatic(Class.forName(AGENT_INITIALIZER, false, null), "isAgentStarted",
                    MethodType.methodType(boolean.class, boolean.class));
        } catch (ReflectiveOperationException e) {
            // An agent without the flag: its context is read as soon as it is found.
        }
        return new OpenTelemetrySource("opentelemetry-agent", staticGetter(bridge, "currentSpan", span), span, started);
    }

    /** The API in an application's class loader: {@code Span.current()}. */
    static OpenTelemetrySource api(ClassLoader loader) throws ReflectiveOperationException {
        Class<?> span = Class.forName(API_SPAN, false, loader);
        return new OpenTelemetrySource("opentelemetry-api", staticGetter(span, "current", span), span, null);
    }

    @Override
    boolean read(TraceIds out) throws Throwable {
        if (!ready) {
            // Not before the agent has set its context storage up: reading it first would fix the
            // storage the API picks, and the agent's own could not be installed any more.
            if (!(boolean) started.invokeExact(true)) {
                return false;
            }
            ready = true;
        }
        Object context = spanContext.invokeExact(currentSpan.invokeExact());
        if (!(boolean) isValid.invokeExact(context)) {
            return false;
        }
        out.set((String) (Object) traceId.invokeExact(context), (String) (Object) spanId.invokeExact(context));
        return true;
    }
}
