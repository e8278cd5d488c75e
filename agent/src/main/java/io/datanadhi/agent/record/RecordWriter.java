package io.datanadhi.agent.record;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.datanadhi.agent.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Serializes records: the {@code log_data} JSON and the {@code {"pipelines","log_data"}} body. */
public final class RecordWriter {

    private static final JsonFactory JSON = Json.FACTORY;
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
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        // Formatted first: a cut stack trace also marks the record truncated.
        String stackTrace = r.thrown == null ? null : ThrowableFormatter.stackTrace(r.thrown, r.maxStackTraceBytes);
        try (JsonGenerator g = JSON.createGenerator(bytes)) {
            g.writeStartObject();
            g.writeStringField("message", r.message);
            g.writeStringField("trace_id", r.traceId != null ? r.traceId : newTraceId());
            g.writeStringField("timestamp", timestamp(r.timestampMillis));
            g.writeStringField("module_name", r.serviceName);

            g.writeObjectFieldStart("log_record");
            Caller caller = r.caller();
            g.writeStringField("filename", caller.fileName);
            g.writeStringField("function_name", caller.methodName);
            g.writeNumberField("line_number", caller.lineNumber);
            g.writeStringField("level", r.level.name());
            g.writeStringField("module_name", r.loggerName);
            g.writeStringField("class_name", caller.className);
            g.writeStringField("thread_name", r.threadName);
            g.writeStringField("native_level", r.nativeLevel);
            g.writeStringField("framework", r.framework);
            if (r.truncated || (stackTrace != null && ThrowableFormatter.truncated(stackTrace))) {
                g.writeBooleanField("truncated", true);
            }
            g.writeEndObject();

            g.writeObjectFieldStart("context");
            for (Map.Entry<String, Object> e : r.context.entrySet()) {
                if (r.thrown != null && "error".equals(e.getKey())) {
                    continue;
                }
                g.writeFieldName(e.getKey());
                Json.write(g, e.getValue());
            }
            if (r.thrown != null) {
                g.writeObjectFieldStart("error");
                g.writeStringField("type", ThrowableFormatter.type(r.thrown));
                g.writeStringField("message", ThrowableFormatter.message(r.thrown));
                g.writeStringField("stacktrace", stackTrace);
                g.writeEndObject();
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** {@code {"pipelines": [...], "log_data": {...}}}, the body of {@code POST /log}. */
    public static byte[] envelope(CapturedRecord r) {
        byte[] logData = r.logData();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(logData.length + 64);
        try (JsonGenerator g = JSON.createGenerator(bytes)) {
            g.writeStartObject();
            g.writeArrayFieldStart("pipelines");
            for (String pipeline : r.pipelines) {
                g.writeString(pipeline);
            }
            g.writeEndArray();
            g.writeFieldName("log_data");
            g.writeRawValue(new String(logData, java.nio.charset.StandardCharsets.UTF_8));
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
