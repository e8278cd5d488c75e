package io.datanadhi.agent.config;

/** A value that its key cannot accept; the message says why ("is not a whole number ..."). */
final class InvalidValueException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidValueException(String reason) {
        // No stack trace: this is an expected outcome of user input, never printed as a trace.
        super(reason, null, false, false);
    }
}
