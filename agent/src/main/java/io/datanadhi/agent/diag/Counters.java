package io.datanadhi.agent.diag;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/** What the agent has done since it started; cheap to update from any thread. */
public final class Counters {

    public enum DropKind { PRIMARY_FAILED, FALLBACK_FAILED, DRAIN_WORKER_FAILED, QUEUE_FULL, SHUTDOWN_UNSENT }

    /**
     * Captured events are counted for every event the application logs, so each logging thread
     * counts its own without a shared atomic write ({@link ThreadCount}); what threads that
     * have ended counted is folded into {@code captured} when the total is read.
     */
    private final LongAdder captured = new LongAdder();
    private final ConcurrentLinkedQueue<ThreadCount> capturedByThread = new ConcurrentLinkedQueue<>();
    private final LongAdder matched = new LongAdder();
    private final LongAdder printed = new LongAdder();
    private final LongAdder shippedPrimary = new LongAdder();
    private final LongAdder sentEchoPost = new LongAdder();
    private final LongAdder sentFallback = new LongAdder();
    private final LongAdder lost = new LongAdder();
    private final Map<DropKind, LongAdder> dropped = new EnumMap<>(DropKind.class);

    public Counters() {
        for (DropKind kind : DropKind.values()) {
            dropped.put(kind, new LongAdder());
        }
    }

    public void countCaptured() {
        captured.increment();
    }

    /** A new counter of captured events for the current thread, to be bumped by that thread only. */
    public ThreadCount capturedOnThisThread() {
        ThreadCount count = new ThreadCount();
        capturedByThread.add(count);
        return count;
    }

    /** One thread's count of captured events: a plain write by its thread, read by any. */
    public static final class ThreadCount {
        private static final VarHandle COUNT;

        static {
            try {
                COUNT = MethodHandles.lookup().findVarHandle(ThreadCount.class, "count", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final WeakReference<Thread> thread = new WeakReference<>(Thread.currentThread());
        private long count;

        private ThreadCount() {}

        /** Only ever called by the thread that created this count. */
        public void increment() {
            COUNT.setOpaque(this, count + 1); // a plain store on x86 and ARM; never torn
        }

        long value() {
            return (long) COUNT.getOpaque(this);
        }

        boolean threadEnded() {
            Thread t = thread.get();
            return t == null || !t.isAlive();
        }
    }

    public void countMatched() {
        matched.increment();
    }

    public void countPrinted() {
        printed.increment();
    }

    public void countShippedPrimary() {
        shippedPrimary.increment();
    }

    public void countSentEchoPost(int count) {
        sentEchoPost.add(count);
    }

    public void countSentFallback(int count) {
        sentFallback.add(count);
    }

    public long sentEchoPost() {
        return sentEchoPost.sum();
    }

    public long sentFallback() {
        return sentFallback.sum();
    }

    public void dropped(DropKind kind, int count) {
        dropped.get(kind).add(count);
    }

    /** Records that could not even be written to disk (reported each time). */
    public void lost(int count) {
        lost.add(count);
    }

    public long captured() {
        long total = 0;
        for (Iterator<ThreadCount> it = capturedByThread.iterator(); it.hasNext(); ) {
            ThreadCount count = it.next();
            if (!count.threadEnded()) {
                total += count.value();
            } else if (capturedByThread.remove(count)) {
                captured.add(count.value()); // its thread counts no more: keep the total, drop the entry
            }
        }
        return total + captured.sum();
    }

    /** Threads whose captured events are counted on their own; for tests. */
    int countingThreads() {
        return capturedByThread.size();
    }

    public long matched() {
        return matched.sum();
    }

    public long shippedPrimary() {
        return shippedPrimary.sum();
    }

    public long printed() {
        return printed.sum();
    }

    public long lost() {
        return lost.sum();
    }

    public long dropped(DropKind kind) {
        return dropped.get(kind).sum();
    }

    /** Records written to {@code dropped/}, whatever the reason. */
    public long droppedTotal() {
        long total = 0;
        for (LongAdder count : dropped.values()) {
            total += count.sum();
        }
        return total;
    }

    public Map<String, Long> snapshot() {
        Map<String, Long> values = new LinkedHashMap<>();
        values.put("captured", captured());
        values.put("matched", matched());
        values.put("printed", printed());
        values.put("shipped_primary", shippedPrimary());
        values.put("sent_echopost", sentEchoPost());
        values.put("sent_fallback", sentFallback());
        for (DropKind kind : DropKind.values()) {
            values.put("dropped_" + kind.name().toLowerCase(java.util.Locale.ROOT), dropped(kind));
        }
        values.put("lost", lost());
        return values;
    }
}
