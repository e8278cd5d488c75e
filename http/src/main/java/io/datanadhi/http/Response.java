package io.datanadhi.http;

/** A complete response: its status and the start of its body. */
public final class Response {

    /** The most of a body kept: enough for any message a server gives with a refusal. */
    static final int MAX_BODY_KEPT = 16 * 1024;

    public final int status;
    /** The first {@link #MAX_BODY_KEPT} bytes of the body, as UTF-8. */
    public final String body;
    /** From the moment the request was written to the end of the response. */
    public final long roundTripNanos;

    Response(int status, String body, long roundTripNanos) {
        this.status = status;
        this.body = body;
        this.roundTripNanos = roundTripNanos;
    }

    @Override
    public String toString() {
        return "HTTP " + status + (body.isEmpty() ? "" : ": " + body);
    }
}
