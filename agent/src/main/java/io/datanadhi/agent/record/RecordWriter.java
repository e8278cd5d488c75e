package io.datanadhi.agent.record;

import io.datanadhi.agent.json.JsonBytes;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Serializes records: the {@code log_data} JSON and the {@code {"pipelines","log_data"}} body. */
public final class RecordWriter {

    private RecordWriter() {}

    /** {@code uuuu-MM-dd'T'HH:mm:ss.SSS'Z'} in UTC (see {@link UtcTime#millis}). */
    public static String timestamp(long epochMillis) {
        return UtcTime.millis(epochMillis);
    }

    /** A random (version 4) UUID from a fast, non-blocking source: trace ids need no secrecy. */
    public static String newTraceId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    static byte[] logData(CapturedRecord r) {
        // Formatted first: a cut stack trace also marks the record truncated.
        String stackTrace = r.thrown == null ? null : ThrowableFormatter.stackTrace(r.thrown, r.maxStackTraceBytes);
        JsonBytes json = new JsonBytes(stackTrace == null ? 512 : 512 + stackTrace.length());
        json.startObject()
                .name("message").string(r.message)
                .name("trace_id").string(r.traceId != null ? r.traceId : newTraceId())
                .name("timestamp").string(timestamp(r.timestampMillis))
                .name("module_name").string(r.serviceName);

        Caller caller = r.caller();
        json.name("log_record").startObject()
                .name("filename").string(caller.fileName)
                .name("function_name").string(caller.methodName)
                .name("line_number").number(caller.lineNumber)
                .name("level").string(r.level.name())
                .name("module_name").string(r.loggerName)
                .name("class_name").string(caller.className)
                .name("thread_name").string(r.threadName)
                .name("native_level").string(r.nativeLevel)
                .name("framework").string(r.framework);
        if (r.truncated || (stackTrace != null && ThrowableFormatter.truncated(stackTrace))) {
            json.name("truncated").bool(true);
        }
        json.endObject();

        json.name("context").startObject();
        for (Map.Entry<String, Object> e : r.context.entrySet()) {
            if (r.thrown != null && "error".equals(e.getKey())) {
                continue;
            }
            json.name(e.getKey()).value(e.getValue());
        }
        if (r.thrown != null) {
            json.name("error").startObject()
                    .name("type").string(ThrowableFormatter.type(r.thrown))
                    .name("message").string(ThrowableFormatter.message(r.thrown))
                    .name("stacktrace").string(stackTrace)
                    .endObject();
        }
        return json.endObject().endObject().toByteArray();
    }

    /** {@code {"pipelines": [...], "log_data": {...}}}, the body of {@code POST /log}. */
    public static byte[] envelope(CapturedRecord r) {
        byte[] logData = r.logData();
        JsonBytes json = new JsonBytes(logData.length + 64);
        json.startObject().name("pipelines").startArray();
        for (String pipeline : r.pipelines) {
            json.string(pipeline);
        }
        return json.endArray().name("log_data").raw(logData).endObject().toByteArray();
    }
}
