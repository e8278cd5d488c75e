package io.datanadhi.bootstrap;

/** The agent's side of the bridge: receives every captured event on the logging thread. */
public interface CaptureSink {
    /**
     * Called synchronously on the thread that logged. Must not block and must copy whatever it
     * keeps. Exceptions are swallowed by the bridge.
     *
     * <p>The event arrives as arguments, so that one no rule wants is read without a single store
     * to the heap. {@code scratch} is the thread's own reusable {@link CapturedEvent}: empty on
     * entry, and to be emptied ({@link CapturedEvent#clear()}) by whoever fills it.
     *
     * @param framework the framework's short name, a constant pushed by the hook
     * @param event the framework's event object: a LogRecord, an ILoggingEvent, ...
     * @param logger the framework's logger, where the hook has it, or null
     */
    void accept(CapturedEvent scratch, String framework, Object event, Object logger);
}
