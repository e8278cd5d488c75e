package io.datanadhi.agent.record;

import java.util.List;
import java.util.Map;

/**
 * One event that will be shipped or printed: an immutable copy taken on the logging thread,
 * serialized later on an agent thread.
 */
public final class CapturedRecord {
    public final List<String> pipelines;
    public final boolean stdout;

    final String message;
    /** The message was cut (a cut stack trace is found when the record is serialized). */
    final boolean truncated;
    /** Null when the event carried none: a random one is made when the record is serialized. */
    final String traceId;
    final long timestampMillis;
    final String serviceName;
    final Level level;
    final String nativeLevel;
    final String framework;
    final String loggerName;
    /** The call site, or null until {@link #caller()} reads it from {@link #callerTrace}. */
    private volatile Caller caller;
    private final CallerTrace callerTrace;
    final String threadName;
    /** MDC and key-value pairs, already converted to JSON-friendly values. */
    final Map<String, Object> context;
    final Throwable thrown;
    final int maxStackTraceBytes;

    private volatile byte[] logData;

    CapturedRecord(List<String> pipelines, boolean stdout, String message, boolean truncated, String traceId,
            long timestampMillis, String serviceName, Level level, String nativeLevel, String framework,
            String loggerName, Caller caller, CallerTrace callerTrace, String threadName, Map<String, Object> context,
            Throwable thrown, int maxStackTraceBytes) {
        this.pipelines = pipelines;
        this.stdout = stdout;
        this.message = message;
        this.truncated = truncated;
        this.traceId = traceId;
        this.timestampMillis = timestampMillis;
        this.serviceName = serviceName;
        this.level = level;
        this.nativeLevel = nativeLevel;
        this.framework = framework;
        this.loggerName = loggerName;
        this.caller = caller;
        this.callerTrace = callerTrace;
        this.threadName = threadName;
        this.context = context;
        this.thrown = thrown;
        this.maxStackTraceBytes = maxStackTraceBytes;
    }

    /** The call site; read from the stack taken on the logging thread the first time it is asked for. */
    Caller caller() {
        Caller known = caller;
        if (known == null) {
            known = callerTrace.caller();
            caller = known;
        }
        return known;
    }

    /** True when the record goes to the server (it may also, or only, be printed). */
    public boolean shipped() {
        return !pipelines.isEmpty();
    }

    /** The record as JSON ({@code log_data}), serialized once. */
    public byte[] logData() {
        byte[] data = logData;
        if (data == null) {
            data = RecordWriter.logData(this);
            logData = data;
        }
        return data;
    }
}
