package io.datanadhi.agent.diag;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** What the agent has done since it started; cheap to update from any thread. */
public final class Counters {

    public enum DropKind { PRIMARY_FAILED, FALLBACK_FAILED, DRAIN_WORKER_FAILED, QUEUE_FULL, SHUTDOWN_UNSENT }

    /**
     * Counted for every event the application logs, from any number of threads: striped cells
     * (one per contending core, not per thread), so that a million short-lived virtual threads
     * leave nothing behind and the total stays exact.
     */
    private final LongAdder captured = new LongAdder();
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

    public void countCaptured(long events) {
        captured.add(events);
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
        return captured.sum();
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
