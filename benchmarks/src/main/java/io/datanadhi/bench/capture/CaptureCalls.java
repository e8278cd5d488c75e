package io.datanadhi.bench.capture;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The three benchmarks, for each framework a subclass that configures it and makes the calls.
 * Each runs the same three calls, in a JVM with
 * the agent and in one without ({@link io.datanadhi.bench.CaptureCostBenchmark} forks both):
 *
 * <ul>
 *   <li>{@code unmatched}: an INFO event on {@link #UNMATCHED}, which the framework logs and no
 *       rule selects;
 *   <li>{@code shipped}: a burst of {@link #BURST} INFO events on {@link #SHIPPED}, which a rule
 *       selects, so the agent captures, evaluates and enqueues each one; between bursts the
 *       agent's workers drain the queue to the local server ({@link DrainPause});
 *   <li>{@code belowThreshold}: a DEBUG event on a logger at INFO, which the framework drops.
 * </ul>
 *
 * Every framework sends what it logs to an appender or handler that does nothing but keep the
 * last event (Log4j 2: its {@code Null} appender; it reuses one event per thread anyway), so what
 * is measured is the call path, not the output. An appender that drops the event would let C2
 * remove the framework's event allocation altogether, which no application's appender allows;
 * whether C2 still could with the agent's hook in the path depends on inlining budgets, so the
 * difference would measure the JIT's luck, not the agent. Only one subclass is loaded in a
 * forked JVM, so the calls below are monomorphic and inlined.
 */
@State(Scope.Thread)
public abstract class CaptureCalls {

    /** Logger name of the events that no rule selects. */
    public static final String UNMATCHED = "bench.unmatched";
    /** Logger name of the events that the rule {@code shipped} selects. */
    public static final String SHIPPED = "bench.shipped";
    public static final String MESSAGE = "order placed";

    /** Events per {@code shipped} invocation: well below the agent's default queue of 10 000. */
    public static final int BURST = 1000;
    /** Pause between bursts: the two workers deliver a burst to a local server in about 50 ms. */
    public static final long PAUSE_MS = 150;

    /** The MDC (Logback) or thread context (Log4j 2) entry every benchmark thread carries; JUL has none. */
    public static final String TENANT_KEY = "tenant";
    public static final String TENANT = "acme";

    /**
     * {@code -Dbench.appenderReadsContext=true} (both forks, through {@code --jvm-arg}): the
     * application reads the {@link #TENANT_KEY} entry of the event's MDC (Logback: in its one
     * appender) or context data (Log4j 2: in a second appender beside {@code Null}), as a pattern
     * with {@code %X{tenant}} or a JSON encoder that writes the MDC does.
     */
    public static final boolean APPENDER_READS_CONTEXT = Boolean.getBoolean("bench.appenderReadsContext");

    /** The rule file for the JVM with the agent: one rule no event matches, one for {@link #SHIPPED}. */
    public static final String RULES = "- name: errors\n"
            + "  conditions: [{key: log_record.level, type: exact, value: ERROR}]\n"
            + "  pipelines: [errors]\n"
            + "- name: shipped\n"
            + "  conditions: [{key: log_record.module_name, type: exact, value: " + SHIPPED + "}]\n"
            + "  pipelines: [bench]\n";

    /**
     * The rule sets to measure, by name: {@link #RULES} alone ({@code quick}), and with it one
     * more rule that reads the message or a context value, which no benchmark event matches.
     */
    public static final Map<String, String> RULE_SETS = ruleSets();

    private static Map<String, String> ruleSets() {
        Map<String, String> sets = new LinkedHashMap<>();
        sets.put("quick", RULES);
        // A regex that starts with plain text: rejected by its prefix, without a Matcher.
        sets.put("message-regex", RULES + extra("message", "regex", "'^payment .* failed'"));
        // One that starts with a character class: a Matcher runs for every event.
        sets.put("message-regex-class", RULES + extra("message", "regex", "'[Pp]ayment \\d+ failed'"));
        sets.put("message-partial", RULES + extra("message", "partial", "declined"));
        sets.put("context", RULES + extra("context." + TENANT_KEY, "exact", "globex"));
        return sets;
    }

    private static String extra(String key, String type, String value) {
        return "- name: extra\n"
                + "  conditions: [{key: " + key + ", type: " + type + ", value: " + value + "}]\n"
                + "  pipelines: [extra]\n";
    }

    /** {@code info(MESSAGE)} on the logger {@link #UNMATCHED}. */
    protected abstract void infoUnmatched();

    /** {@code info(MESSAGE)} on the logger {@link #SHIPPED}. */
    protected abstract void infoShipped();

    /** {@code debug(MESSAGE)} (or JUL's {@code fine}) on the logger {@link #SHIPPED}, which is at INFO. */
    protected abstract void debugShipped();

    @Benchmark
    public void unmatched() {
        infoUnmatched();
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public void shipped(DrainPause pause) {
        long cpu = pause.threads.getCurrentThreadCpuTime();
        long allocated = pause.threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < BURST; i++) {
            infoShipped();
        }
        pause.appThreadCpuNs += pause.threads.getCurrentThreadCpuTime() - cpu;
        pause.appThreadBytes += pause.threads.getCurrentThreadAllocatedBytes() - allocated;
        pause.calls += BURST;
    }

    @Benchmark
    public void belowThreshold() {
        debugShipped();
    }

    /**
     * Gives the agent's workers time to empty the queue before the next burst (not measured), and
     * counts what the bursts cost the logging thread alone: its CPU time and the bytes it
     * allocated (JMH's GC profiler counts every thread of the JVM, the agent's workers included,
     * and its time is wall time, in which the workers and the server share the two cores).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class DrainPause {
        final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        public long appThreadCpuNs;
        public long appThreadBytes;
        public long calls;

        @Setup(Level.Iteration)
        public void pause() throws InterruptedException {
            appThreadCpuNs = 0;
            appThreadBytes = 0;
            calls = 0;
            TimeUnit.MILLISECONDS.sleep(PAUSE_MS);
        }
    }
}
