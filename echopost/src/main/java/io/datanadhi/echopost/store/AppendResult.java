package io.datanadhi.echopost.store;

/** The outcome of one append: on disk (and forced), or refused with a reason. */
public final class AppendResult {
    public final boolean stored;
    /** Why it was refused; empty when stored. */
    public final String message;

    private AppendResult(boolean stored, String message) {
        this.stored = stored;
        this.message = message;
    }

    static final AppendResult STORED = new AppendResult(true, "");

    static AppendResult refused(String message) {
        return new AppendResult(false, message);
    }
}
