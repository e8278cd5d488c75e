package io.datanadhi.agent.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datanadhi.agent.trace.TracersAccess;
import io.datanadhi.bootstrap.CapturedEvent;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/** How rules see a captured event, resolved lazily from the framework's own event, and its snapshot. */
class EventViewTest {

    /** A framework event with everything a mapper reads. */
    static final class FakeEvent {
        String nativeLevel = "WARN";
        String loggerName = "com.acme.OrderService";
        String message = "order 42 failed";
        Throwable thrown;
        String threadName = "worker-7";
        /** Where the framework recorded the call site; null: the view walks the stack. */
        Caller caller;
        long timestamp = 1_795_342_542_458L;
        Map<String, String> mdc = new LinkedHashMap<>();
        Map<String, Object> keyValues = new LinkedHashMap<>();
    }

    static final class FakeMapper implements EventMapper {
        int messageCalls;

        private static FakeEvent of(CapturedEvent e) {
            return (FakeEvent) e.event;
        }

        @Override
        public Level level(Object event) {
            return Level.parse(((FakeEvent) event).nativeLevel);
        }

        @Override
        public String nativeLevel(CapturedEvent event) {
            return of(event).nativeLevel;
        }

        @Override
        public String loggerName(Object event, Object logger) {
            return ((FakeEvent) event).loggerName;
        }

        @Override
        public String message(CapturedEvent event) {
            messageCalls++;
            return of(event).message;
        }

        @Override
        public Throwable thrown(CapturedEvent event) {
            return of(event).thrown;
        }

        @Override
        public String threadName(CapturedEvent event) {
            return of(event).threadName;
        }

        @Override
        public Caller caller(CapturedEvent event) {
            return of(event).caller;
        }

        @Override
        public long timestampMillis(CapturedEvent event) {
            return of(event).timestamp;
        }

        @Override
        public Map<String, ?> context(CapturedEvent event) {
            return of(event).mdc;
        }

        @Override
        public Object keyValue(CapturedEvent event, String key) {
            return of(event).keyValues.get(key);
        }

        @Override
        public void forEachKeyValue(CapturedEvent event, BiConsumer<String, Object> action) {
            of(event).keyValues.forEach(action);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final FakeEvent fake = new FakeEvent();
    private final FakeMapper mapper = new FakeMapper();
    private final CapturedEvent captured = new CapturedEvent();

    private EventView view(RecordSettings settings) {
        captured.framework = "logback";
        captured.event = fake;
        return new EventView(settings).reset(captured, mapper, mapper.level(fake));
    }

    private EventView view() {
        return view(new RecordSettings("shop", List.of("trace_id", "traceId")));
    }

    private static Object resolve(EventView view, String dotted) {
        return view.resolve(dotted.split("\\."));
    }

    // ---- Paths.

    @Test
    void topLevelPaths() {
        EventView view = view();
        assertEquals("order 42 failed", resolve(view, "message"));
        assertEquals("2026-11-22T10:15:42.458Z", resolve(view, "timestamp"));
        assertEquals("shop", resolve(view, "module_name"));
    }

    @Test
    void messageIsFormattedOnceAndOnlyWhenAsked() {
        EventView view = view();
        resolve(view, "log_record.level");
        resolve(view, "context.user");
        assertEquals(0, mapper.messageCalls, "nothing asked for the message yet");
        resolve(view, "message");
        resolve(view, "message");
        assertEquals(1, mapper.messageCalls);
    }

    @Test
    void logRecordFields() {
        fake.caller = new Caller("com.acme.OrderService", "placeOrder", "OrderService.java", 42);
        EventView view = view();
        assertEquals("WARNING", resolve(view, "log_record.level"));
        assertEquals("WARN", resolve(view, "log_record.native_level"));
        assertEquals("com.acme.OrderService", resolve(view, "log_record.module_name"));
        assertEquals("logback", resolve(view, "log_record.framework"));
        assertEquals("worker-7", resolve(view, "log_record.thread_name"));
        assertEquals("com.acme.OrderService", resolve(view, "log_record.class_name"));
        assertEquals("placeOrder", resolve(view, "log_record.function_name"));
        assertEquals("OrderService.java", resolve(view, "log_record.filename"));
        assertEquals(42, resolve(view, "log_record.line_number"));
        assertNull(resolve(view, "log_record.unknown"));
        assertNull(resolve(view, "log_record.level.deeper"));
    }

    @Test
    void logRecordAsAWholeHasTheNineFields() {
        fake.caller = new Caller("C", "m", "C.java", 1);
        EventView view = view();
        @SuppressWarnings("unchecked")
        Map<String, Object> record = (Map<String, Object>) resolve(view, "log_record");
        assertEquals(List.of("filename", "function_name", "line_number", "level", "module_name", "class_name",
                "thread_name", "native_level", "framework"), List.copyOf(record.keySet()));
        assertEquals("WARNING", record.get("level"));
    }

    @Test
    void threadNameFallsBackToTheCurrentThread() {
        fake.threadName = null;
        assertEquals(Thread.currentThread().getName(), resolve(view(), "log_record.thread_name"));
    }

    @Test
    void traceIdComesFromTheMdc() {
        fake.mdc.put("trace_id", "from-mdc");
        assertEquals("from-mdc", resolve(view(), "trace_id"));
    }

    @Test
    void traceIdTriesEachConfiguredKeyInOrder() {
        fake.mdc.put("traceId", "second-key");
        assertEquals("second-key", resolve(view(), "trace_id"));
        fake.mdc.put("trace_id", "first-key");
        assertEquals("first-key", resolve(view(), "trace_id"));
        fake.mdc.put("x-request", "custom");
        assertEquals("custom", resolve(view(new RecordSettings("shop", List.of("x-request"))), "trace_id"));
    }

    @Test
    void traceIdComesFromKeyValuesWhenTheMdcHasNone() {
        fake.keyValues.put("traceId", "from-key-value");
        assertEquals("from-key-value", resolve(view(), "trace_id"));
    }

    // ---- A tracer in the JVM (its real OpenTelemetry API; see TracersTest for the others).

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";

    private JsonNode tracedSnapshot(RecordSettings settings) throws Exception {
        TracersAccess.resolveOpenTelemetryApi(getClass().getClassLoader());
        Span span = Span.wrap(SpanContext.create(TRACE, SPAN, TraceFlags.getSampled(), TraceState.getDefault()));
        try (Scope scope = span.makeCurrent()) {
            return JSON.readTree(view(settings).snapshot(List.of("p"), false).logData());
        } finally {
            TracersAccess.reset();
        }
    }

    @Test
    void inATraceTheRecordCarriesTheTracersTraceAndSpan() throws Exception {
        JsonNode data = tracedSnapshot(new RecordSettings("shop", List.of("trace_id", "traceId")));
        assertEquals(TRACE, data.get("trace_id").asText(), data.toString());
        assertEquals(SPAN, data.at("/context/span_id").asText(), data.toString());
    }

    @Test
    void theContextsTraceIdComesBeforeTheTracersAndItsSpanIsNotMixedIn() throws Exception {
        fake.mdc.put("trace_id", "app-own-id");
        JsonNode data = tracedSnapshot(new RecordSettings("shop", List.of("trace_id", "traceId")));
        assertEquals("app-own-id", data.get("trace_id").asText(), "what the application's appenders see");
        assertTrue(data.at("/context/span_id").isMissingNode(), "the tracer's span is of another trace: " + data);
    }

    @Test
    void aSpanIdTheContextCarriesIsNotAddedAgain() throws Exception {
        fake.mdc.put("trace_id", TRACE); // the tracer's own MDC keys, as its agent injects them
        fake.mdc.put("spanId", "from-mdc");
        JsonNode data = tracedSnapshot(new RecordSettings("shop", List.of("trace_id", "traceId")));
        assertEquals(TRACE, data.get("trace_id").asText());
        assertEquals("from-mdc", data.at("/context/spanId").asText());
        assertTrue(data.at("/context/span_id").isMissingNode(), data.toString());
    }

    @Test
    void withoutATracerATraceIdNobodyGaveIsRandom() throws Exception {
        JsonNode data = JSON.readTree(view().snapshot(List.of("p"), false).logData());
        assertEquals(36, data.get("trace_id").asText().length(), data.toString());
        assertTrue(data.at("/context/span_id").isMissingNode(), data.toString());
    }

    @Test
    void traceIdAgreesWithContextWhenMdcAndKeyValuesShareTheKey() {
        // Key-value pairs win over the MDC on a shared key in context; trace_id reads the same value.
        fake.mdc.put("trace_id", "from-mdc");
        fake.keyValues.put("trace_id", "from-key-value");
        EventView view = view();
        assertEquals(resolve(view, "context.trace_id"), resolve(view, "trace_id"));
    }

    @Test
    void traceIdIsGeneratedOnceWhenTheEventHasNone() {
        EventView view = view();
        String generated = (String) resolve(view, "trace_id");
        assertEquals(4, UUID.fromString(generated).version());
        assertEquals(generated, resolve(view, "trace_id"), "stable for the event");

        CapturedRecord record = view.snapshot(List.of("p"), false);
        assertEquals(generated, record.traceId, "the id a rule saw is the id shipped");

        assertNotEquals(generated, resolve(view(), "trace_id"), "a new event, a new id");
    }

    @Test
    void nonStringTraceIdIsItsText() {
        fake.keyValues.put("trace_id", 12345L);
        assertEquals("12345", resolve(view(), "trace_id"));
    }

    @Test
    void contextPathsReadTheMdcAndKeyValues() {
        fake.mdc.put("user", "alice");
        fake.keyValues.put("count", 3);
        EventView view = view();
        assertEquals("alice", resolve(view, "context.user"));
        assertEquals(3, resolve(view, "context.count"));
        assertNull(resolve(view, "context.absent"));
    }

    @Test
    void contextPathsDescendIntoMaps() {
        Map<String, Object> address = new LinkedHashMap<>();
        address.put("city", "Pune");
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("type", "guest");
        user.put("address", address);
        fake.keyValues.put("user", user);
        EventView view = view();

        assertEquals("guest", resolve(view, "context.user.type"));
        assertEquals("Pune", resolve(view, "context.user.address.city"));
        assertEquals(Map.of("city", "Pune"), resolve(view, "context.user.address"));
        assertNull(resolve(view, "context.user.missing"));
        assertNull(resolve(view, "context.user.type.deeper"), "a string has no fields");
    }

    @Test
    void contextAsAWholeIsMdcThenKeyValuesWhichWin() {
        fake.mdc.put("user", "alice");
        fake.mdc.put("shared", "mdc");
        fake.keyValues.put("shared", "kv");
        fake.keyValues.put("count", 3);
        assertEquals(Map.of("user", "alice", "shared", "kv", "count", 3), resolve(view(), "context"));
    }

    @Test
    void contextErrorDescribesTheThrownException() {
        fake.thrown = new IllegalStateException("declined");
        fake.mdc.put("error", "mdc value hidden by the exception");
        EventView view = view();

        @SuppressWarnings("unchecked")
        Map<String, Object> error = (Map<String, Object>) resolve(view, "context.error");
        assertEquals(List.of("type", "message", "stacktrace"), List.copyOf(error.keySet()));
        assertEquals("java.lang.IllegalStateException", error.get("type"));
        assertEquals("declined", error.get("message"));
        assertTrue(((String) error.get("stacktrace")).startsWith("java.lang.IllegalStateException: declined\n"));
        assertEquals("java.lang.IllegalStateException", resolve(view, "context.error.type"));
        assertEquals("declined", resolve(view, "context.error.message"));
        @SuppressWarnings("unchecked")
        Map<String, Object> context = (Map<String, Object>) resolve(view, "context");
        assertEquals(error, context.get("error"));
    }

    @Test
    void contextErrorWithoutAnExceptionIsTheContextsOwnValue() {
        fake.mdc.put("error", "E42");
        assertEquals("E42", resolve(view(), "context.error"));
        fake.mdc.clear();
        assertNull(resolve(view(), "context.error"));
    }

    @Test
    void unknownPathsResolveToNull() {
        EventView view = view();
        assertNull(resolve(view, "nope"));
        assertNull(resolve(view, "message.length"));
        assertNull(resolve(view, "trace_id.x"));
        assertNull(resolve(view, "timestamp.x"));
        assertNull(resolve(view, "module_name.x"));
    }

    @Test
    void eventWithoutMdcResolvesContextToEmpty() {
        fake.mdc = null;
        EventView view = view();
        assertNull(resolve(view, "context.user"));
        assertEquals(Map.of(), resolve(view, "context"));
        assertEquals(4, UUID.fromString((String) resolve(view, "trace_id")).version());
    }

    // ---- Allocation.

    private static final int ROUNDS = 200_000;
    private static final long BOUND_BYTES = 16 * 1024;
    private static final String[] LEVEL = {"log_record", "level"};
    private static final String[] MDC_USER = {"context", "user"};
    private static volatile Object blackhole;

    @Test
    void resolvingLevelAndAnMdcKeyAllocatesNothing() {
        fake.mdc.put("user", "alice");
        fake.mdc.put("region", "eu");
        EventView view = new EventView(new RecordSettings("shop", List.of("trace_id")));
        captured.framework = "logback";
        captured.event = fake;
        Runnable call = () -> {
            view.reset(captured, mapper, Level.WARNING);
            blackhole = view.resolve(LEVEL);
            blackhole = view.resolve(MDC_USER);
        };
        call.run();
        assertEquals("alice", view.resolve(MDC_USER));
        long allocated = allocatedBytesOf(call);
        assertTrue(allocated < BOUND_BYTES, "allocated " + allocated + " bytes over " + ROUNDS + " events");
    }

    /** The meter must see an allocation per call, or the test above proves nothing. */
    @Test
    void theAllocationMeterSeesResolvingTheWholeLogRecord() {
        EventView view = new EventView(new RecordSettings("shop", List.of("trace_id")));
        captured.framework = "logback";
        captured.event = fake;
        fake.caller = Caller.UNKNOWN;
        view.reset(captured, mapper, Level.WARNING);
        String[] whole = {"log_record"};
        long allocated = allocatedBytesOf(() -> blackhole = view.resolve(whole));
        assertFalse(allocated < BOUND_BYTES, "the meter saw only " + allocated + " bytes");
    }

    private static long allocatedBytesOf(Runnable call) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        for (int i = 0; i < ROUNDS; i++) {
            call.run();
        }
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < ROUNDS; i++) {
            call.run();
        }
        return threads.getThreadAllocatedBytes(thread) - before;
    }

    // ---- Snapshot.

    @Test
    void snapshotCopiesContextSoLaterChangesDoNotLeakIn() throws Exception {
        fake.mdc.put("user", "alice");
        Map<String, Object> cart = new LinkedHashMap<>();
        cart.put("items", 2);
        fake.keyValues.put("cart", cart);
        EventView view = view();
        resolve(view, "context.user"); // the view has read (and holds) the MDC map
        CapturedRecord record = view.snapshot(List.of("orders"), true);

        fake.mdc.put("user", "mallory");
        fake.mdc.put("added", "later");
        cart.put("items", 99);
        fake.keyValues.put("late", "value");
        fake.message = "changed";

        assertEquals(Map.of("user", "alice", "cart", Map.of("items", 2)), record.context);
        JsonNode data = JSON.readTree(record.logData());
        assertEquals("alice", data.get("context").get("user").textValue());
        assertEquals(2, data.get("context").get("cart").get("items").intValue());
        assertFalse(data.get("context").has("added"));
        assertEquals("order 42 failed", data.get("message").textValue());
        assertEquals(List.of("orders"), record.pipelines);
        assertTrue(record.stdout);
    }

    @Test
    void snapshotCarriesTheEventsFields() throws Exception {
        fake.mdc.put("trace_id", "t-9");
        fake.thrown = new IllegalArgumentException("bad");
        fake.caller = new Caller("com.acme.A", "run", "A.java", 7);
        EventView view = view();
        JsonNode data = JSON.readTree(view.snapshot(List.of("p"), false).logData());

        assertEquals("t-9", data.get("trace_id").textValue());
        assertEquals("2026-11-22T10:15:42.458Z", data.get("timestamp").textValue());
        assertEquals("shop", data.get("module_name").textValue());
        JsonNode r = data.get("log_record");
        assertEquals("WARNING", r.get("level").textValue());
        assertEquals("WARN", r.get("native_level").textValue());
        assertEquals("logback", r.get("framework").textValue());
        assertEquals("worker-7", r.get("thread_name").textValue());
        assertEquals("run", r.get("function_name").textValue());
        assertEquals(7, r.get("line_number").intValue());
        assertEquals("bad", data.get("context").get("error").get("message").textValue());
        assertFalse(r.has("truncated"));
    }

    @Test
    void snapshotTruncatesALongMessageAndSaysSo() throws Exception {
        RecordSettings settings = new RecordSettings("shop", List.of("trace_id"), 10, 1000);
        fake.message = "0123456789abcdef";
        CapturedRecord cut = view(settings).snapshot(List.of("p"), false);
        assertEquals("0123456789", cut.message);
        assertTrue(cut.truncated);
        assertTrue(JSON.readTree(cut.logData()).get("log_record").get("truncated").booleanValue());

        fake.message = "0123456789";
        CapturedRecord exact = view(settings).snapshot(List.of("p"), false);
        assertEquals("0123456789", exact.message);
        assertFalse(exact.truncated, "exactly at the limit");
    }

    @Test
    void snapshotCutsTheMessageInUtf8BytesWithoutSplittingASurrogatePair() {
        RecordSettings settings = new RecordSettings("shop", List.of("trace_id"), 10, 1000);
        fake.message = "\u20ac\u20ac\ud83d\ude00x";       // 3 + 3 + 4 + 1 bytes
        CapturedRecord cut = view(settings).snapshot(List.of("p"), false);
        assertEquals("\u20ac\u20ac\ud83d\ude00", cut.message);
        assertTrue(cut.truncated);

        fake.message = "\u20ac\u20ac\u20ac\ud83d\ude00";      // 9 + 4 bytes: the pair does not fit
        assertEquals("\u20ac\u20ac\u20ac", view(settings).snapshot(List.of("p"), false).message);
    }

    @Test
    void snapshotCapsContextStringsAtTheMessageLimit() {
        RecordSettings settings = new RecordSettings("shop", List.of("trace_id"), 5, 1000);
        fake.mdc.put("user", "abcdefghij");
        CapturedRecord record = view(settings).snapshot(List.of("p"), false);
        assertEquals("abcde", record.context.get("user"));
    }

    @Test
    void snapshotKeepsAtMostAThousandContextEntriesAndSaysSo() {
        for (int i = 0; i < 5000; i++) {
            fake.mdc.put("key" + i, "v");
        }
        CapturedRecord record = view().snapshot(List.of("p"), false);
        assertEquals(EventView.MAX_CONTEXT_ENTRIES, record.context.size());
        assertTrue(record.truncated);

        fake.mdc.clear();
        fake.mdc.put("user", "admin");
        assertFalse(view().snapshot(List.of("p"), false).truncated, "a record with a few entries is not marked");
    }
}
