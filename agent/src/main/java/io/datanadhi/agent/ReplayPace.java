package io.datanadhi.agent;

import io.datanadhi.agent.delivery.Delivery;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Paces the evaluation of the events logged while the agent started to what delivery takes. That
 * replay runs on the agent's start-up thread, as fast as it can: an application that logs at full
 * speed from its first line leaves hundreds of thousands of events, and the records the rules keep
 * of them would arrive at the queue at once, fill it past the point where the drain worker sends
 * records to the fallback server (or to {@code dropped/} when there is none), though the primary is
 * up and taking them. The replay is ours, not the application's: it may wait. It waits while the
 * queue is more than half full and the workers are taking records from it; it stops waiting for
 * good when they have not for {@link #PATIENCE_NANOS} (the server is slow or down: then the queue's usual
 * rules apply), after {@link #MAX_WAIT_NANOS} in all (what follows the replay, the rules' watch and
 * the JMX bean among it, waits for the replay), and when the application exits (the shutdown
 * hook's time is for delivering).
 */
final class ReplayPace {

    /** The workers took nothing from the queue for this long: waiting helps no more. */
    static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The replay waits this long in all, at most. */
    static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long LOOK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Delivery delivery;
    private volatile boolean released;
    /** Whether and when the replay first waited. Only the replaying thread reads and writes them. */
    private boolean waited;
    private long firstWaitNanos;

    ReplayPace(Delivery delivery) {
        this.delivery = delivery;
    }

    /** From now on, never waits: the application is exiting. */
    void release() {
        released = true;
    }

    /** Before the next event of the replay: returns when the queue has room for its record. */
    void awaitRoom() {
        int half = delivery.queueCapacity() / 2;
        int depth = delivery.queueDepth();
        if (depth <= half || released) {
            return;
        }
        long lastProgress = System.nanoTime();
        long taken = delivery.queueTaken();
        if (!waited) {
            waited = true;
            firstWaitNanos = lastProgress;
        }
        while (depth > half && !released) {
            LockSupport.parkNanos(this, LOOK_NANOS);
            if (Thread.currentThread().isInterrupted()) {
                released = true; // parking would return at once from now on
                return;
            }
            long nowTaken = delivery.queueTaken();
            long at = System.nanoTime();
            if (nowTaken != taken) {
                lastProgress = at;
                taken = nowTaken;
            } else if (at - lastProgress > PATIENCE_NANOS) {
                released = true;
            }
            if (at - firstWaitNanos > MAX_WAIT_NANOS) {
                released = true;
            }
            depth = delivery.queueDepth();
        }
    }
}
