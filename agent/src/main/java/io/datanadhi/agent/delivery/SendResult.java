package io.datanadhi.agent.delivery;

/** What a server did with one record (or one batch). */
public final class SendResult {

    public enum Kind {
        /** 2xx. */
        DELIVERED,
        /** 3xx..500: the server will never take it; write it to disk. */
        REJECTED,
        /** Above 500, a timeout or a connection error: the server is down; keep it and retry. */
        RETRY
    }

    static final SendResult DELIVERED = new SendResult(Kind.DELIVERED, 200, null);

    public final Kind kind;
    /** The HTTP status, 0 when there was no response. */
    public final int status;
    /** Status line and the start of the body, or the error: for the agent's diagnostics. */
    public final String detail;

    SendResult(Kind kind, int status, String detail) {
        this.kind = kind;
        this.status = status;
        this.detail = detail;
    }

    /** The status classes shared by the primary, the fallback and EchoPost's replay. */
    static SendResult ofStatus(int status, String body) {
        if (status >= 200 && status < 300) {
            return DELIVERED;
        }
        String detail = "HTTP " + status + (body == null || body.isEmpty() ? "" : ": " + abbreviate(body));
        return new SendResult(status > 500 ? Kind.RETRY : Kind.REJECTED, status, detail);
    }

    static SendResult ofError(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause != cause.getCause()
                && (cause instanceof java.util.concurrent.CompletionException
                        || cause instanceof java.util.concurrent.ExecutionException)) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        if (cause instanceof io.datanadhi.http.HttpFailure) {
            return new SendResult(Kind.RETRY, 0, message); // says what failed, with which server
        }
        return new SendResult(Kind.RETRY, 0, cause.getClass().getSimpleName() + (message == null ? "" : ": " + message));
    }

    private static String abbreviate(String body) {
        String oneLine = body.replaceAll("\\s+", " ").trim();
        return oneLine.length() > 200 ? oneLine.substring(0, 200) + "..." : oneLine;
    }
}
