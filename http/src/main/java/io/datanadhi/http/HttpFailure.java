package io.datanadhi.http;

import java.io.IOException;

/**
 * Why a request got no complete response. Every failure is one of these, with a message fit for
 * a diagnostic: what failed, with which server, and what was seen.
 */
public final class HttpFailure extends IOException {

    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        /** No connection: refused, unreachable, unknown host, connect timeout. */
        CONNECT,
        /** The proxy refused or failed the tunnel or the request. */
        PROXY,
        /** The TLS handshake failed: an untrusted or wrong certificate, a refused client certificate, ... */
        TLS,
        /** The deadline for the whole exchange passed. */
        TIMEOUT,
        /** The server closed the connection before the response was complete. */
        CLOSED,
        /** What came back is not a valid HTTP response, or is larger than we accept. */
        PROTOCOL,
        /** The client was closed while the request was pending. */
        ABORTED
    }

    private final Kind kind;
    private final boolean unanswered;

    HttpFailure(Kind kind, String message, Throwable cause, boolean unanswered) {
        super(message, cause);
        this.kind = kind;
        this.unanswered = unanswered;
    }

    HttpFailure(Kind kind, String message, Throwable cause) {
        this(kind, message, cause, false);
    }

    public Kind kind() {
        return kind;
    }

    /**
     * The server did not start on this request: the connection closed before any of its response
     * arrived, after the server had announced it would close ({@code Connection: close}) or on an
     * idle keep-alive connection. Sending it again at once is safe and expected.
     */
    public boolean unanswered() {
        return unanswered;
    }

    /** An exception as it goes into a failure's message: its simple class name and its message. */
    static String describe(Throwable cause) {
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /** The failure of a completed future, unwrapped; any other exception wrapped as {@link Kind#PROTOCOL}. */
    public static HttpFailure of(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof java.util.concurrent.CompletionException
                || cause instanceof java.util.concurrent.ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof HttpFailure) {
            return (HttpFailure) cause;
        }
        return new HttpFailure(Kind.PROTOCOL, String.valueOf(cause), cause);
    }
}
