package io.datanadhi.bootstrap;

/**
 * One application log event: which framework, its own event object, and the logger that logged
 * it. The agent reads everything else from them, lazily.
 *
 * <p>The bridge keeps one instance per platform thread, and one per state it lends to virtual
 * threads (passed from one to the next), and hands it to the sink empty; the agent fills it
 * only for an event that needs more than a glance (one a rule keeps, or one read by a rule on its
 * message or context), and empties it before returning.
 */
public final class CapturedEvent {
    /** The framework's short name, a constant pushed by the hook: "jul", "logback", ... */
    public String framework;
    /** The framework's event object: a LogRecord, an ILoggingEvent, ... */
    public Object event;
    /** The framework's logger, where the hook has it (JUL needs it for its level check). */
    public Object logger;

    /** Scratch space owned by the agent, used by one thread at a time; survives {@link #clear()}. */
    public Object attachment;

    public CapturedEvent set(String framework, Object event, Object logger) {
        this.framework = framework;
        this.event = event;
        this.logger = logger;
        return this;
    }

    public void clear() {
        framework = null;
        event = null;
        logger = null;
    }
}
