package io.datanadhi.http;

/** One request: method, path below the target's base path, headers, and a body or none. */
public final class Request {

    private static final String[] NO_HEADERS = {};

    final String method;
    final String path;
    /** Name, value, name, value, ... */
    final String[] headers;
    /** Null for none. */
    final byte[] body;
    /** The deadline for this request, or 0 for the client's own. */
    final long timeoutNanos;

    private Request(String method, String path, String[] headers, byte[] body, long timeoutNanos) {
        checkText(path, "path");
        for (int i = 0; i < headers.length; i++) {
            checkText(headers[i], i % 2 == 0 ? "header name" : "header value");
            if (i % 2 == 0 && (headers[i].isEmpty() || headers[i].indexOf(':') >= 0 || headers[i].indexOf(' ') >= 0)) {
                throw new IllegalArgumentException("not a header name: \"" + headers[i] + "\"");
            }
        }
        this.method = method;
        this.path = path;
        this.headers = headers;
        this.body = body;
        this.timeoutNanos = timeoutNanos;
    }

    public static Request get(String path) {
        return new Request("GET", path, NO_HEADERS, null, 0);
    }

    /** @param headers name, value, name, value, ...; Host, User-Agent and Content-Length are added */
    public static Request post(String path, String[] headers, byte[] body) {
        return new Request("POST", path, headers, body, 0);
    }

    /** The same request with its own deadline for the whole exchange. */
    public Request timeoutMillis(long millis) {
        return new Request(method, path, headers, body, millis * 1_000_000L);
    }

    /**
     * The request line and the head, through its empty line: Host, User-Agent, the request's own
     * headers, Content-Length, and a proxy's authorization when given. Built by hand: a few lines
     * that never change for a client cost less than header objects and their checks; names and
     * values were checked when the request was made.
     */
    byte[] head(String target, Endpoint endpoint, String proxyAuthorization) {
        StringBuilder head = new StringBuilder(160 + target.length());
        head.append(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ")
                .append(endpoint.target.authority()).append("\r\nUser-Agent: ").append(endpoint.userAgent).append("\r\n");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        if (proxyAuthorization != null) {
            head.append("Proxy-Authorization: ").append(proxyAuthorization).append("\r\n");
        }
        head.append("\r\n");
        return head.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** What goes into the request's head as it is: no line breaks, no control characters. */
    private static void checkText(String text, String what) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f || c > 0xff) {
                throw new IllegalArgumentException("a " + what + " with a control or non-Latin-1 character");
            }
        }
    }

    public String method() {
        return method;
    }

    public String path() {
        return path;
    }

    /** Bytes of the body, 0 for none. */
    public int bodyLength() {
        return body == null ? 0 : body.length;
    }
}
