package io.datanadhi.bootstrap;

/** The agent's side of the bridge: receives every captured event on the logging thread. */
public interface CaptureSink {
    /**
     * Called synchronously on the thread that logged. Must not block and must copy whatever it
     * keeps: the event is reused once this returns. Exceptions are swallowed by the bridge.
     */
    void accept(CapturedEvent event);
}
