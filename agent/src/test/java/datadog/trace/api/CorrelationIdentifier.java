package datadog.trace.api;

/**
 * Stands in for Datadog's class of the same name (its Java agent puts it in the bootstrap class
 * loader): "0" outside a trace, as Datadog answers.
 */
public final class CorrelationIdentifier {
    public static volatile String traceId = "0";
    public static volatile String spanId = "0";
    public static volatile boolean failing;

    private CorrelationIdentifier() {}

    public static String getTraceId() {
        if (failing) {
            throw new IllegalStateException("tracer broken");
        }
        return traceId;
    }

    public static String getSpanId() {
        return spanId;
    }
}
