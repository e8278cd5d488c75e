package io.datanadhi.agent.record;

import io.datanadhi.agent.trace.TraceIds;
import io.datanadhi.agent.trace.Tracers;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An event logged while the agent was starting, copied on the thread that logged it into a form
 * that no longer refers to the framework: everything a rule or a record can read, nothing that
 * could change after the logging call returns. Kept as bytes by {@link EarlyEventCodec} until the
 * rules are loaded; read then by {@link EarlyEventMapper}.
 */
public final class EarlyEvent {

    /** Before the configuration gives {@code log.max_message_bytes}: its largest value. */
    public static final int MAX_VALUE_BYTES = 64 << 20;

    final String framework;
    final Level level;
    final String nativeLevel;
    final String loggerName;
    final String message;
    final String threadName;
    final long timestampMillis;
    /** Where it was logged: what the framework recorded, or what a stack walk found. */
    final Caller caller;
    /** The framework recorded {@link #caller} (an asynchronous logger): records carry it whatever {@code log.caller} says. */
    final boolean callerRecorded;
    /** MDC, then key-value pairs (which win on a shared key), as plain values; null when none. */
    final Map<String, Object> context;
    /** The exception, or a {@link RecordedThrowable} once read back. */
    final Throwable thrown;
    /** The trace a tracer in the JVM said the event was logged in; null outside any (or without a tracer). */
    final String traceId;
    final String spanId;

    EarlyEvent(String framework, Level level, String nativeLevel, String loggerName, String message,
            String threadName, long timestampMillis, Caller caller, boolean callerRecorded, Map<String, Object> context,
            Throwable thrown, String traceId, String spanId) {
        this.framework = framework;
        this.level = level;
        this.nativeLevel = nativeLevel;
        this.loggerName = loggerName;
        this.message = message;
        this.threadName = threadName;
        this.timestampMillis = timestampMillis;
        this.caller = caller;
        this.callerRecorded = callerRecorded;
        this.context = context;
        this.thrown = thrown;
        this.traceId = traceId;
        this.spanId = spanId;
    }

    /**
     * Copies {@code source}, which {@code mapper} reads, on the thread that logged it, context
     * values cut to {@code maxValueBytes} as the record will cut them. May throw what reading the
     * framework's event throws.
     */
    public static EarlyEvent of(CapturedEvent source, EventMapper mapper, int maxValueBytes) {
        Caller recorded = mapper.caller(source);
        String thread = mapper.threadName(source);
        TraceIds trace = null;
        if (Tracers.active()) {
            trace = new TraceIds();
            if (!mapper.traceIds(source, trace)) {
                trace = null;
            }
        }
        return new EarlyEvent(source.framework, mapper.level(source.event), mapper.nativeLevel(source),
                mapper.loggerName(source.event, source.logger), mapper.message(source),
                thread != null ? thread : Thread.currentThread().getName(), mapper.timestampMillis(source),
                recorded != null ? recorded : CallerLocator.locate(), recorded != null, context(source, mapper, maxValueBytes), mapper.thrown(source),
                trace != null ? trace.traceId : null, trace != null ? trace.spanId : null);
    }

    private static Map<String, Object> context(CapturedEvent source, EventMapper mapper, int maxValueBytes) {
        Map<String, Object> copy = new LinkedHashMap<>();
        Map<String, ?> mdc = mapper.context(source);
        if (mdc != null) {
            for (Map.Entry<String, ?> e : mdc.entrySet()) {
                // One past the record's limit, so that the record is still marked truncated.
                if (copy.size() > EventView.MAX_CONTEXT_ENTRIES) {
                    break;
                }
                copy.put(e.getKey(), ContextValues.copy(e.getValue(), maxValueBytes));
            }
        }
        mapper.forEachKeyValue(source, new KeyValueCopy(copy, EventView.MAX_CONTEXT_ENTRIES + 1, maxValueBytes));
        return copy.isEmpty() ? null : copy;
    }

    public String framework() {
        return framework;
    }

    public Level level() {
        return level;
    }

    Caller caller() {
        return caller;
    }
}
