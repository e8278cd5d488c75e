package io.datanadhi.it.apps.support;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Supplier;

/**
 * What the apps' own blocking appender (or handler) does in the virtual-thread scenarios, apart
 * from reading the event: it sleeps in every append, so that a virtual thread unmounts inside it
 * and may resume on another carrier, and tallies what it received, so that the application can
 * tell its own output is unchanged: every task's event once, with the context of the thread that
 * logged it, which is still the thread's own after the sleep.
 */
public final class AppenderTally {

    private final long sleepMillis;
    private final AtomicIntegerArray perTask;
    private final AtomicInteger appended = new AtomicInteger();
    private final AtomicInteger wrongContext = new AtomicInteger();
    private final AtomicInteger movedCarrier = new AtomicInteger();

    public AppenderTally(int tasks, long sleepMillis) {
        this.perTask = new AtomicIntegerArray(tasks);
        this.sleepMillis = sleepMillis;
    }

    /**
     * One append of an event that carries {@code task} (null if none): sleeps, then counts it.
     * The appender reads {@code task} before (a lazily copied context would otherwise be read
     * after the sleep); {@code threadTask} reads the logging thread's own after it.
     */
    public void append(String task, Supplier<String> threadTask) {
        boolean moved = sleepMovesCarrier(sleepMillis);
        appended.incrementAndGet();
        if (moved) {
            movedCarrier.incrementAndGet();
        }
        if (task == null || !task.equals(threadTask.get())) {
            wrongContext.incrementAndGet();
        } else {
            perTask.incrementAndGet(Integer.parseInt(task));
        }
    }

    /**
     * What it received, as {@code appended=N once=N wrong-context=N moved-carrier=N}: events,
     * tasks whose event it received exactly once, events whose context was not the logging
     * thread's (after the sleep), and appends that resumed on another carrier thread than they
     * began on.
     */
    public String tally() {
        int once = 0;
        for (int i = 0; i < perTask.length(); i++) {
            if (perTask.get(i) == 1) {
                once++;
            }
        }
        return "appended=" + appended + " once=" + once + " wrong-context=" + wrongContext
                + " moved-carrier=" + movedCarrier;
    }

    /** Sleeps {@code millis}; true if the (virtual) thread resumed on another carrier than it began on. */
    public static boolean sleepMovesCarrier(long millis) {
        String before = carrier();
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !before.isEmpty() && !before.equals(carrier());
    }

    /** The carrier a virtual thread is mounted on ("ForkJoinPool-1-worker-2"), or "" for a platform thread. */
    public static String carrier() {
        // From toString: Java 11 bytecode, and Thread has no public accessor for the carrier.
        String thread = Thread.currentThread().toString();
        int at = thread.indexOf('@');
        return thread.startsWith("VirtualThread") && at >= 0 ? thread.substring(at + 1) : "";
    }
}
