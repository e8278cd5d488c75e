package io.datanadhi.agent.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datanadhi.bootstrap.CapturedEvent;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An early event written to the spill file reads back as the same record. */
class EarlyEventCodecTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RecordSettings SETTINGS = new RecordSettings("shop", List.of("trace_id"), 32768, 100_000);

    @Test
    void anEventReadBackMakesTheSameRecordAsBeforeItWasWritten() throws Exception {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("user", "alice");
        context.put("trace_id", "t-1");
        context.put("count", 3);
        context.put("big", 12345678901L);
        context.put("ratio", 0.5);
        context.put("ok", true);
        context.put("none", null);
        context.put("amount", new BigDecimal("12.50"));
        context.put("huge", new BigInteger("123456789012345678901234567890"));
        context.put("nested", Map.of("list", List.of("a", 1, false)));
        IllegalStateException error = new IllegalStateException("order 42 failed", new IOException("disk"));
        EarlyEvent original = new EarlyEvent("logback", Level.ERROR, "ERROR", "com.acme.Orders", "order 42 \u00e9 failed",
                "worker-1", 1_795_342_542_458L, new Caller("com.acme.Orders", "place", "Orders.java", 42), false, context, error,
                "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");

        EarlyEvent back = roundTrip(original);

        assertEquals(record(original), record(back));
        JsonNode data = JSON.readTree(record(back));
        assertEquals("java.lang.IllegalStateException", data.at("/context/error/type").asText());
        assertEquals("t-1", data.at("/trace_id").asText(), "the context's trace id comes before a tracer's");
        assertTrue(data.at("/context/span_id").isMissingNode(), "a span of another trace is not added: " + data);
        assertTrue(data.at("/context/error/stacktrace").asText().contains("Caused by: java.io.IOException: disk"), data.toString());
        assertEquals("123456789012345678901234567890", data.at("/context/huge").asText());
        assertTrue(data.at("/context/count").isInt() && data.at("/context/big").isLong(), data.toString());
        assertEquals("t-1", data.get("trace_id").asText());
    }

    /**
     * With {@code log.caller: false}, as for a live event: rules still read the call site, the
     * record leaves it out unless a rule read it or the framework recorded it.
     */
    @Test
    void theCallSiteFollowsLogCallerAsForALiveEvent() throws Exception {
        RecordSettings noCaller = new RecordSettings("shop", List.of(), 32768, 100_000, false);
        Caller site = new Caller("com.acme.Orders", "place", "Orders.java", 42);
        EarlyEvent located = roundTrip(new EarlyEvent("jul", Level.INFO, "INFO", "l", "m", "t", 1L, site, false, null, null, null, null));
        EarlyEvent recorded = roundTrip(new EarlyEvent("log4j2", Level.INFO, "INFO", "l", "m", "t", 1L, site, true, null, null, null, null));

        assertEquals("com.acme.Orders", view(noCaller, located).resolve(new String[] {"log_record", "class_name"}));
        EventView read = view(noCaller, located);
        read.resolve(new String[] {"log_record", "line_number"});
        assertEquals(42, JSON.readTree(read.snapshot(List.of("p"), false).logData()).at("/log_record/line_number").asInt());
        assertTrue(JSON.readTree(view(noCaller, located).snapshot(List.of("p"), false).logData())
                .at("/log_record/class_name").isNull(), "left out when nothing read it");
        assertEquals("com.acme.Orders", JSON.readTree(view(noCaller, recorded).snapshot(List.of("p"), false).logData())
                .at("/log_record/class_name").asText(), "kept when the framework recorded it");
    }

    private static EventView view(RecordSettings settings, EarlyEvent event) {
        return new EventView(settings).reset(EarlyEventMapper.captured(event), new EarlyEventMapper(settings), event.level());
    }

    @Test
    void nullsStayNull() throws Exception {
        EarlyEvent back = roundTrip(new EarlyEvent("jul", Level.INFO, "INFO", null, null, "", 1L, Caller.UNKNOWN, false, null, null, null, null));
        assertNull(back.loggerName);
        assertNull(back.message);
        assertNull(back.context);
        assertNull(back.thrown);
        assertNull(back.caller().className);
    }

    @Test
    void theTraceATracerGaveOnTheLoggingThreadIsKept() throws Exception {
        EarlyEvent traced = roundTrip(new EarlyEvent("jul", Level.INFO, "INFO", "l", "m", "t", 1L, Caller.UNKNOWN, false,
                Map.of("user", "alice"), null, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"));
        JsonNode data = JSON.readTree(record(traced));
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", data.at("/trace_id").asText(), data.toString());
        assertEquals("00f067aa0ba902b7", data.at("/context/span_id").asText(), data.toString());
        assertEquals("alice", data.at("/context/user").asText());

        JsonNode untraced = JSON.readTree(record(roundTrip(new EarlyEvent("jul", Level.INFO, "INFO", "l", "m", "t", 1L,
                Caller.UNKNOWN, false, null, null, null, null))));
        assertEquals(36, untraced.at("/trace_id").asText().length(), "a random id outside any trace: " + untraced);
        assertTrue(untraced.at("/context/span_id").isMissingNode(), untraced.toString());
    }

    @Test
    void cutOrAlteredBytesAreAnErrorNotAnEvent() {
        EarlyEvent event = new EarlyEvent("jul", Level.INFO, "INFO", "l", "m", "t", 1L, Caller.UNKNOWN, false,
                Map.of("k", "v"), null, null, null);
        byte[] whole = EarlyEventCodec.encode(event, 100);
        assertThrows(IOException.class, () -> EarlyEventCodec.decode(Arrays.copyOf(whole, whole.length - 3)));
        assertThrows(IOException.class, () -> EarlyEventCodec.decode(Arrays.copyOf(whole, whole.length + 1)));
        byte[] badLevel = whole.clone();
        badLevel[4 + 3] = 99; // after the framework's length and name
        assertThrows(IOException.class, () -> EarlyEventCodec.decode(badLevel));
    }

    private static EarlyEvent roundTrip(EarlyEvent event) throws IOException {
        return EarlyEventCodec.decode(EarlyEventCodec.encode(event, SETTINGS.maxStackTraceBytes));
    }

    /** The JSON record the event would be shipped as, trace id aside when random. */
    private static String record(EarlyEvent event) {
        EarlyEventMapper mapper = new EarlyEventMapper(SETTINGS);
        CapturedEvent captured = EarlyEventMapper.captured(event);
        EventView view = new EventView(SETTINGS).reset(captured, mapper, event.level());
        return new String(view.snapshot(List.of("p"), false).logData(), java.nio.charset.StandardCharsets.UTF_8);
    }
}
