package io.datanadhi.agent.trace;

/** The trace and span an event was logged in, as a tracer gave them; one per thread's record view, reused. */
public final class TraceIds {
    public String traceId;
    public String spanId;

    public TraceIds set(String traceId, String spanId) {
        this.traceId = traceId;
        this.spanId = spanId;
        return this;
    }

    public void clear() {
        set(null, null);
    }
}
