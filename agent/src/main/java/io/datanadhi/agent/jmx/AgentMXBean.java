package io.datanadhi.agent.jmx;

/**
 * The agent as the MBean {@code io.datanadhi:type=Agent}: counters since the agent started and the
 * state of delivery now. Every attribute is a plain number or boolean (an MXBean: open types only),
 * so any JMX client reads it without the agent's classes.
 */
public interface AgentMXBean {

    String getVersion();

    /** Events the hooks captured (after the framework's own level check). */
    long getCaptured();

    /** Captured events that at least one rule matched. */
    long getMatched();

    /** Records printed to stdout by a {@code stdout: true} rule. */
    long getPrinted();

    /** Records the primary server accepted (2xx). */
    long getShippedPrimary();

    /** Records EchoPost acknowledged (on its disk). */
    long getSentEchoPost();

    /** Records the fallback server accepted. */
    long getSentFallback();

    /** Records written to {@code dropped/}, all reasons together. */
    long getDropped();

    long getDroppedPrimaryFailed();

    long getDroppedFallbackFailed();

    long getDroppedDrainWorkerFailed();

    long getDroppedQueueFull();

    long getDroppedShutdownUnsent();

    /** Records that could not even be written to {@code dropped/}. */
    long getLost();

    /** Records waiting in the queue now. */
    int getQueueDepth();

    /** {@code async.queue_size}. */
    int getQueueCapacity();

    /** False while the primary server is considered down (records go to EchoPost or the fallback). */
    boolean isPrimaryUp();

    /** An EchoPost serves this agent's directory now (its socket is there). */
    boolean isEchoPostRunning();

    /** Requests to the primary server in flight now. */
    int getInFlight();

    /** {@code async.max_in_flight}: the most requests in flight at once. */
    int getMaxInFlight();

    /**
     * A moving average of the primary's round trip (request written to response read), in
     * milliseconds: of the blocking connections if they answered in the last 10 s, else of the window's client.
     */
    double getRoundTripMillis();

    /** Rules in effect now. */
    int getRulesLoaded();

    /** When the rules in effect were read (ISO-8601, UTC): at start, or by the last reload. */
    String getRulesLoadedAt();
}
