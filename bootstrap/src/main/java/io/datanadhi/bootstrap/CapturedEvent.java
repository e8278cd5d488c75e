package io.datanadhi.bootstrap;

/**
 * One application log event, handed from a hook to the agent: which framework, its own event
 * object, and the logger that logged it. The agent reads everything else from them, lazily.
 *
 * <p>There is one instance per thread, reused for every event, so that capturing an event that
 * matches no rule allocates nothing. The agent must copy what it keeps before {@link
 * CaptureBridge#publish} returns.
 */
public final class CapturedEvent {
    /** The framework's short name, a constant pushed by the hook: "jul", "logback", ... */
    public String framework;
    /** The framework's event object: a LogRecord, an ILoggingEvent, ... */
    public Object event;
    /** The framework's logger, where the hook has it (JUL needs it for its level check). */
    public Object logger;

    /** Per-thread scratch space owned by the agent; survives {@link #clear()}. */
    public Object attachment;

    void clear() {
        framework = null;
        event = null;
        logger = null;
    }
}
