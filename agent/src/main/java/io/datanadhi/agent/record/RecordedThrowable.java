package io.datanadhi.agent.record;

/**
 * An exception as it was formatted when its event was written to disk: its class name, message
 * and stack trace as text. {@link ThrowableFormatter} gives these back unchanged, so the record
 * reads as if the original exception were still there.
 */
final class RecordedThrowable extends Throwable {

    private static final long serialVersionUID = 1L;

    final String type;
    final String text;
    final String stackTrace;

    RecordedThrowable(String type, String message, String stackTrace) {
        super(null, null, false, false);
        this.type = type;
        this.text = message;
        this.stackTrace = stackTrace;
    }

    @Override
    public String getMessage() {
        return text;
    }

    @Override
    public String toString() {
        return text == null ? type : type + ": " + text;
    }
}
