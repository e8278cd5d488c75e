package io.datanadhi.it.apps;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.slf4j.MDC;

/**
 * The application's own appender for the virtual-thread scenarios: it blocks in every append
 * (sleeps), so that a virtual thread unmounts inside it and may resume on another carrier, and it
 * tallies what it received, so that the application can tell its own output is unchanged: every
 * task's event once ({@code task} in the event's MDC), with the MDC of the thread that logged it,
 * which is still the thread's own after the sleep.
 *
 * <p>Not an {@code AppenderBase}: its {@code doAppend} is synchronized, and would run the tasks one
 * at a time.
 */
final class BlockingAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

    private final long sleepMillis;
    private final AtomicIntegerArray perTask;
    private final AtomicInteger appended = new AtomicInteger();
    private final AtomicInteger wrongContext = new AtomicInteger();
    private final AtomicInteger movedCarrier = new AtomicInteger();

    BlockingAppender(int tasks, long sleepMillis) {
        this.perTask = new AtomicIntegerArray(tasks);
        this.sleepMillis = sleepMillis;
        setName("BLOCKING");
    }

    @Override
    protected void append(ILoggingEvent event) {
        String carrier = carrier();
        String task = event.getMDCPropertyMap().get("task");
        try {
            Thread.sleep(sleepMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        appended.incrementAndGet();
        if (!carrier.isEmpty() && !carrier.equals(carrier())) {
            movedCarrier.incrementAndGet();
        }
        if (task == null || !task.equals(MDC.get("task"))) {
            wrongContext.incrementAndGet();
        } else {
            perTask.incrementAndGet(Integer.parseInt(task));
        }
    }

    /**
     * What it received, as {@code appended=N once=N wrong-context=N moved-carrier=N}: events,
     * tasks whose event it received exactly once, events whose MDC was not the logging thread's
     * (after the sleep), and appends that resumed on another carrier thread than they began on.
     */
    String tally() {
        int once = 0;
        for (int i = 0; i < perTask.length(); i++) {
            if (perTask.get(i) == 1) {
                once++;
            }
        }
        return "appended=" + appended + " once=" + once + " wrong-context=" + wrongContext
                + " moved-carrier=" + movedCarrier;
    }

    /** The carrier a virtual thread is mounted on ("ForkJoinPool-1-worker-2"), or "" for a platform thread. */
    static String carrier() {
        String thread = Thread.currentThread().toString();
        int at = thread.indexOf('@');
        return thread.startsWith("VirtualThread") && at >= 0 ? thread.substring(at + 1) : "";
    }
}
