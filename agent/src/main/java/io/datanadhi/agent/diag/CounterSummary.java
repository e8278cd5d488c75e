package io.datanadhi.agent.diag;

import java.util.Map;
import java.util.StringJoiner;

/**
 * The periodic INFO line {@code agent_counters}: what {@link Counters} hold, written only when
 * something changed since the previous line (or since start), so a quiet application gets no
 * lines at all.
 */
public final class CounterSummary implements Runnable {

    /** Once a minute. */
    static final long DEFAULT_INTERVAL_MILLIS = 60_000;
    /** Hidden, for tests: {@code -Ddatanadhi.internal.summary_interval_ms=500}. */
    static final String INTERVAL_PROPERTY = "datanadhi.internal.summary_interval_ms";

    private final Counters counters;
    private Map<String, Long> last;

    public CounterSummary(Counters counters) {
        this.counters = counters;
        this.last = counters.snapshot();
    }

    /** {@value #DEFAULT_INTERVAL_MILLIS} ms, unless the hidden property says otherwise. */
    public static long intervalMillis() {
        try {
            long millis = Long.parseLong(System.getProperty(INTERVAL_PROPERTY, "").trim());
            return millis > 0 ? millis : DEFAULT_INTERVAL_MILLIS;
        } catch (NumberFormatException | SecurityException e) {
            return DEFAULT_INTERVAL_MILLIS;
        }
    }

    /** Writes the line if the counters moved since the last one. */
    @Override
    public synchronized void run() {
        Map<String, Long> now = counters.snapshot();
        if (now.equals(last)) {
            return;
        }
        last = now;
        Object[] fields = new Object[now.size() * 2 + 2];
        StringJoiner moved = new StringJoiner(", ", "since start: ", "");
        int i = 0;
        for (Map.Entry<String, Long> counter : now.entrySet()) {
            fields[i++] = counter.getKey();
            fields[i++] = counter.getValue();
            if (counter.getValue() != 0) {
                moved.add(counter.getKey() + " " + counter.getValue());
            }
        }
        fields[i++] = "dropped";
        fields[i] = counters.droppedTotal();
        Diagnostics.info("agent_counters", moved.toString(), fields);
    }
}
