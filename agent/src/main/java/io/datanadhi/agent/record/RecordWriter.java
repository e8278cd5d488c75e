package io.datanadhi.agent.record;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.datanadhi.agent.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Serializes records: the {@code log_data} JSON and the {@code {"pipelines","log_data"}} body. */
public final class RecordWriter {

    private static final JsonFactory JSON = Json.FACTORY;
    /** Epoch milliseconds of 0000-01-01 and 10000-01-01: the years written with four digits by hand. */
    private static final long FIRST_MILLIS = -62_167_219_200_000L;
    private static final long END_MILLIS = 253_402_300_800_000L;

    private RecordWriter() {}

    /**
     * {@code uuuu-MM-dd'T'HH:mm:ss.SSS'Z'} in UTC. Written by hand for years 0 to 9999 (about 50
     * {@code java.time} classes fewer at start-up, a few times quicker per record); the formatter
     * for any other.
     */
    public static String timestamp(long epochMillis) {
        if (epochMillis < FIRST_MILLIS || epochMillis >= END_MILLIS) {
            return WideYears.TIMESTAMP.format(java.time.Instant.ofEpochMilli(epochMillis));
        }
        long days = Math.floorDiv(epochMillis, 86_400_000L);
        int millisOfDay = (int) Math.floorMod(epochMillis, 86_400_000L);
        // Days to a civil date (H. Hinnant's algorithm): eras of 400 years from 0000-03-01.
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long dayOfEra = z - era * 146_097;
        long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long shiftedMonth = (5 * dayOfYear + 2) / 153;
        int day = (int) (dayOfYear - (153 * shiftedMonth + 2) / 5 + 1);
        int month = (int) (shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9);
        int year = (int) (yearOfEra + era * 400 + (month <= 2 ? 1 : 0));
        char[] text = new char[24];
        digits(text, 0, year, 4);
        text[4] = '-';
        digits(text, 5, month, 2);
        text[7] = '-';
        digits(text, 8, day, 2);
        text[10] = 'T';
        digits(text, 11, millisOfDay / 3_600_000, 2);
        text[13] = ':';
        digits(text, 14, millisOfDay / 60_000 % 60, 2);
        text[16] = ':';
        digits(text, 17, millisOfDay / 1000 % 60, 2);
        text[19] = '.';
        digits(text, 20, millisOfDay % 1000, 3);
        text[23] = 'Z';
        return new String(text);
    }

    private static void digits(char[] text, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            text[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    /** Loaded only for a timestamp before year 0 or after 9999. */
    private static final class WideYears {
        static final DateTimeFormatter TIMESTAMP =
                DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
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
