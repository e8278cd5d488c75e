package io.datanadhi.agent.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The wire payload: {@code log_data} as DESIGN section 5 defines it, and the POST /log envelope. */
class RecordWriterTest {

    @Test
    void timestampsAreWhatTheJavaTimeFormatterWrites() {
        java.time.format.DateTimeFormatter formatter = java.time.format.DateTimeFormatter
                .ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);
        List<Long> millis = new ArrayList<>(List.of(0L, -1L, 1L, 86_399_999L, 86_400_000L, 951_782_400_000L /* 2000-02-29 */,
                4_107_542_399_999L /* 2100-02-28T23:59:59.999 */, -62_167_219_200_000L /* 0000-01-01 */,
                -62_167_219_200_001L, 253_402_300_799_999L /* 9999-12-31T23:59:59.999 */, 253_402_300_800_000L,
                Long.MIN_VALUE / 1000, Long.MAX_VALUE / 1000, System.currentTimeMillis()));
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 200_000; i++) {
            millis.add(i % 2 == 0 ? random.nextLong() % 4_000_000_000_000L : random.nextLong() % 300_000_000_000_000L);
        }
        for (long m : millis) {
            assertEquals(formatter.format(java.time.Instant.ofEpochMilli(m)), RecordWriter.timestamp(m), "at " + m);
        }
    }

    @Test
    void utcTimesAreWhatInstantToStringWrites() {
        List<java.time.Instant> instants = new ArrayList<>(List.of(java.time.Instant.EPOCH, java.time.Instant.now(),
                java.time.Instant.ofEpochSecond(-1, 999_999_999), java.time.Instant.ofEpochSecond(0, 1),
                java.time.Instant.ofEpochSecond(0, 1_000), java.time.Instant.ofEpochSecond(0, 1_000_000),
                java.time.Instant.ofEpochSecond(-62_167_219_200L) /* 0000-01-01 */,
                java.time.Instant.ofEpochSecond(-62_167_219_201L, 5),
                java.time.Instant.ofEpochSecond(253_402_300_799L, 999_999_999) /* 9999-12-31T23:59:59.999999999 */,
                java.time.Instant.ofEpochSecond(253_402_300_800L), java.time.Instant.MIN, java.time.Instant.MAX));
        java.util.Random random = new java.util.Random(7);
        int[] granularity = {1, 1_000, 1_000_000, 1_000_000_000};
        for (int i = 0; i < 200_000; i++) {
            long seconds = i % 2 == 0 ? random.nextLong() % 4_000_000_000L : random.nextLong() % 300_000_000_000L;
            int step = granularity[i % granularity.length];
            instants.add(java.time.Instant.ofEpochSecond(seconds, random.nextInt(1_000_000_000 / step) * step));
        }
        for (java.time.Instant instant : instants) {
            assertEquals(instant.toString(), UtcTime.of(instant), "at " + instant.getEpochSecond() + "s " + instant.getNano());
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TIMESTAMP = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");

    @Test
    void logDataHasExactlyTheDesignKeysInOrder() throws IOException {
        JsonNode data = parse(TestRecords.builder().traceId("t-1").build().logData());

        assertEquals(List.of("message", "trace_id", "timestamp", "module_name", "log_record", "context"),
                fieldNames(data));
        assertEquals(List.of("filename", "function_name", "line_number", "level", "module_name", "class_name",
                "thread_name", "native_level", "framework"), fieldNames(data.get("log_record")));
    }

    @Test
    void logDataCarriesTheRecordsValues() throws IOException {
        CapturedRecord record = TestRecords.builder()
                .message("order 42 failed")
                .traceId("abc-123")
                .serviceName("shop")
                .level(Level.WARNING, "WARN")
                .framework("logback")
                .loggerName("com.acme.OrderService")
                .caller(new Caller("com.acme.OrderService", "placeOrder", "OrderService.java", 42))
                .threadName("http-nio-8080-exec-3")
                .build();
        JsonNode data = parse(record.logData());

        assertEquals("order 42 failed", data.get("message").textValue());
        assertEquals("abc-123", data.get("trace_id").textValue());
        assertEquals("2026-11-22T10:15:42.458Z", data.get("timestamp").textValue());
        assertEquals("shop", data.get("module_name").textValue());
        JsonNode r = data.get("log_record");
        assertEquals("OrderService.java", r.get("filename").textValue());
        assertEquals("placeOrder", r.get("function_name").textValue());
        assertTrue(r.get("line_number").isInt());
        assertEquals(42, r.get("line_number").intValue());
        assertEquals("WARNING", r.get("level").textValue());
        assertEquals("com.acme.OrderService", r.get("module_name").textValue());
        assertEquals("com.acme.OrderService", r.get("class_name").textValue());
        assertEquals("http-nio-8080-exec-3", r.get("thread_name").textValue());
        assertEquals("WARN", r.get("native_level").textValue());
        assertEquals("logback", r.get("framework").textValue());
    }

    @Test
    void timestampIsUtcWithMillisecondsWhateverTheDefaultZone() throws IOException {
        TimeZone original = TimeZone.getDefault();
        try {
            TimeZone.setDefault(TimeZone.getTimeZone("Asia/Kolkata"));
            assertEquals("1970-01-01T00:00:00.005Z", RecordWriter.timestamp(5));
            assertEquals("2026-11-22T10:15:42.458Z", RecordWriter.timestamp(1_795_342_542_458L));
            assertEquals("2000-02-29T23:59:59.999Z", RecordWriter.timestamp(951_868_799_999L));
            String written = parse(TestRecords.builder().timestampMillis(1_000L).build().logData())
                    .get("timestamp").textValue();
            assertEquals("1970-01-01T00:00:01.000Z", written);
            assertTrue(TIMESTAMP.matcher(written).matches());
        } finally {
            TimeZone.setDefault(original);
        }
    }

    @Test
    void generatedTraceIdIsARandomVersion4Uuid() throws IOException {
        for (int i = 0; i < 100; i++) {
            UUID id = UUID.fromString(RecordWriter.newTraceId());
            assertEquals(4, id.version());
            assertEquals(2, id.variant(), "the IETF variant");
        }
        assertNotEquals(RecordWriter.newTraceId(), RecordWriter.newTraceId());

        CapturedRecord first = TestRecords.builder().traceId(null).build();
        CapturedRecord second = TestRecords.builder().traceId(null).build();
        String a = parse(first.logData()).get("trace_id").textValue();
        String b = parse(second.logData()).get("trace_id").textValue();
        assertEquals(4, UUID.fromString(a).version());
        assertNotEquals(a, b, "each record gets its own");
    }

    @Test
    void generatedTraceIdIsTheSameInStdoutAndHttpBodies() throws IOException {
        CapturedRecord record = TestRecords.builder().traceId(null).build();
        byte[] printed = record.logData();
        assertSame(printed, record.logData(), "serialized once");

        JsonNode envelope = parse(RecordWriter.envelope(record));
        JsonNode again = parse(RecordWriter.envelope(record));
        String id = parse(printed).get("trace_id").textValue();
        assertEquals(id, envelope.get("log_data").get("trace_id").textValue());
        assertEquals(id, again.get("log_data").get("trace_id").textValue());
        assertEquals(parse(printed), envelope.get("log_data"));
    }

    @Test
    void truncatedFlagAppearsOnlyWhenTheMessageWasTruncated() throws IOException {
        JsonNode cut = parse(TestRecords.builder().truncated(true).build().logData()).get("log_record");
        assertTrue(cut.get("truncated").booleanValue());
        assertTrue(cut.get("truncated").isBoolean());
        assertEquals("truncated", fieldNames(cut).get(fieldNames(cut).size() - 1));

        JsonNode whole = parse(TestRecords.builder().truncated(false).build().logData()).get("log_record");
        assertFalse(whole.has("truncated"));
    }

    @Test
    void contextValuesKeepTheirJsonTypes() throws IOException {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("user", "alice");
        context.put("count", 3);
        context.put("big", 9_000_000_000L);
        context.put("ratio", 0.75);
        context.put("ok", true);
        context.put("missing", null);
        context.put("decimal", new BigDecimal("12.50"));
        context.put("huge", new BigInteger("123456789012345678901234567890"));
        context.put("nested", Map.of("type", "guest"));
        context.put("tags", List.of("a", 1, false));
        context.put("nan", Double.NaN);
        context.put("float", 0.1f);
        byte[] logData = TestRecords.builder().context(context).build().logData();
        JsonNode c = parse(logData).get("context");
        assertTrue(new String(logData, java.nio.charset.StandardCharsets.UTF_8).contains("\"float\":0.1}"),
                "a float as the application printed it, not widened to 0.10000000149011612");

        assertEquals(new ArrayList<>(context.keySet()), fieldNames(c), "in the context's own order");
        assertTrue(c.get("user").isTextual());
        assertTrue(c.get("count").isIntegralNumber());
        assertEquals(3, c.get("count").intValue());
        assertEquals(9_000_000_000L, c.get("big").longValue());
        assertTrue(c.get("ratio").isFloatingPointNumber());
        assertEquals(0.75, c.get("ratio").doubleValue());
        assertTrue(c.get("ok").isBoolean());
        assertTrue(c.get("missing").isNull());
        assertEquals(0, new BigDecimal("12.50").compareTo(c.get("decimal").decimalValue()));
        assertEquals(new BigInteger("123456789012345678901234567890"), c.get("huge").bigIntegerValue());
        assertTrue(c.get("nested").isObject());
        assertEquals("guest", c.get("nested").get("type").textValue());
        assertTrue(c.get("tags").isArray());
        assertTrue(c.get("tags").get(1).isInt());
        assertTrue(c.get("tags").get(2).isBoolean());
        assertEquals("NaN", c.get("nan").textValue(), "not representable as a JSON number");
    }

    @Test
    void textIsEscapedAndRoundTrips() throws IOException {
        String hostile = "quote \" backslash \\ newline \n tab \t nul \u0000 unicode \u00e9\u4e2d\ud83d\ude00";
        JsonNode data = parse(TestRecords.builder().message(hostile).context(new LinkedHashMap<>(Map.of(hostile, hostile)))
                .build().logData());
        assertEquals(hostile, data.get("message").textValue());
        assertEquals(hostile, data.get("context").get(hostile).textValue());
    }

    @Test
    void thrownBecomesContextErrorWithTypeMessageAndStacktrace() throws IOException {
        IllegalStateException thrown = new IllegalStateException("payment declined");
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("order", 42);
        context.put("error", "an MDC value that the exception replaces");
        JsonNode c = parse(TestRecords.builder().context(context).thrown(thrown).build().logData()).get("context");

        assertEquals(List.of("order", "error"), fieldNames(c));
        JsonNode error = c.get("error");
        assertEquals(List.of("type", "message", "stacktrace"), fieldNames(error));
        assertEquals("java.lang.IllegalStateException", error.get("type").textValue());
        assertEquals("payment declined", error.get("message").textValue());
        assertEquals(ThrowableFormatter.stackTrace(thrown, RecordSettings.DEFAULT_MAX_STACK_TRACE_BYTES),
                error.get("stacktrace").textValue());
        assertTrue(error.get("stacktrace").textValue().startsWith(
                "java.lang.IllegalStateException: payment declined\n\tat "));
    }

    @Test
    void stacktraceIsCutAtTheRecordsLimit() throws IOException {
        JsonNode error = parse(TestRecords.builder().thrown(new RuntimeException("x")).maxStackTraceBytes(50)
                .build().logData()).get("context").get("error");
        String trace = error.get("stacktrace").textValue();
        assertTrue(trace.endsWith("... (truncated)"), trace);
        assertTrue(trace.length() <= 50);
    }

    @Test
    void aCutStackTraceMarksTheRecordTruncated() throws IOException {
        JsonNode cut = parse(TestRecords.builder().thrown(new RuntimeException("x")).maxStackTraceBytes(64)
                .build().logData()).get("log_record");
        assertTrue(cut.get("truncated").booleanValue());

        JsonNode whole = parse(TestRecords.builder().thrown(new RuntimeException("x")).build().logData())
                .get("log_record");
        assertFalse(whole.has("truncated"));
    }

    @Test
    void withoutAnExceptionAnErrorKeyInContextIsKeptAsItIs() throws IOException {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("error", "plain value");
        JsonNode c = parse(TestRecords.builder().context(context).build().logData()).get("context");
        assertEquals("plain value", c.get("error").textValue());

        JsonNode empty = parse(TestRecords.builder().build().logData()).get("context");
        assertTrue(empty.isObject());
        assertEquals(0, empty.size(), "no error object without an exception");
    }

    @Test
    void envelopeIsPipelinesThenLogData() throws IOException {
        CapturedRecord record = TestRecords.builder().pipelines(List.of("errors", "alerts")).traceId("t").build();
        JsonNode envelope = parse(RecordWriter.envelope(record));

        assertEquals(List.of("pipelines", "log_data"), fieldNames(envelope));
        assertEquals(JSON.readTree("[\"errors\",\"alerts\"]"), envelope.get("pipelines"));
        assertEquals(parse(record.logData()), envelope.get("log_data"));
        assertTrue(new String(RecordWriter.envelope(record), java.nio.charset.StandardCharsets.UTF_8)
                .startsWith("{\"pipelines\":[\"errors\",\"alerts\"],\"log_data\":{\"message\":"));
    }

    @Test
    void unknownCallerIsWrittenAsNullsAndLineZero() throws IOException {
        JsonNode r = parse(TestRecords.builder().caller(Caller.UNKNOWN).build().logData()).get("log_record");
        assertTrue(r.get("filename").isNull());
        assertTrue(r.get("function_name").isNull());
        assertTrue(r.get("class_name").isNull());
        assertEquals(0, r.get("line_number").intValue());
    }

    static JsonNode parse(byte[] json) throws IOException {
        return JSON.readTree(json);
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            names.add(it.next());
        }
        return names;
    }
}
