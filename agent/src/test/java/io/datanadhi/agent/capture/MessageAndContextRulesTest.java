package io.datanadhi.agent.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.agent.record.EventView;
import io.datanadhi.agent.record.Level;
import io.datanadhi.agent.record.RecordSettings;
import io.datanadhi.agent.rules.Match;
import io.datanadhi.agent.rules.RuleLoadResult;
import io.datanadhi.agent.rules.RuleLoader;
import io.datanadhi.agent.rules.RuleSet;
import io.datanadhi.agent.testing.AllocationMeter;
import io.datanadhi.bootstrap.CapturedEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.LogRecord;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.core.impl.MutableLogEvent;
import org.apache.logging.log4j.message.MapMessage;
import org.apache.logging.log4j.message.ObjectMessage;
import org.apache.logging.log4j.message.ParameterizedMessage;
import org.apache.logging.log4j.message.ReusableMessageFactory;
import org.apache.logging.log4j.message.SimpleMessage;
import org.apache.logging.log4j.message.StringMapMessage;
import org.apache.logging.log4j.util.SortedArrayStringMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.KeyValuePair;

/**
 * Rules on the message and on context values, decided from real Logback, Log4j 2 and JUL events
 * through the agent's own mappers: the same answer as the record view for every event and rule
 * set, the message text equal to the one the record carries, and nothing allocated for an event
 * that matches no rule.
 */
class MessageAndContextRulesTest {

    private static final RecordSettings SETTINGS = new RecordSettings("shop", List.of("trace_id"));

    private static final List<String> RULE_SETS = List.of(
            "- conditions: [{key: message, type: regex, value: '^order \\d+ (placed|paid)'}]\n  pipelines: [orders]\n",
            "- conditions: [{key: message, type: partial, value: 'declined'}]\n  pipelines: [declined]\n",
            "- conditions: [{key: message, type: exact, value: 'order 42 placed', negate: true}]\n  pipelines: [other]\n",
            "- conditions: [{key: context.tenant, type: exact, value: acme}]\n  pipelines: [acme]\n",
            "- conditions: [{key: context.retry, type: exact, value: '3'}]\n  pipelines: [retries]\n",
            "- any_condition_match: true\n  conditions:\n"
                    + "    - {key: context.tenant, type: regex, value: 'glob'}\n"
                    + "    - {key: message, type: partial, value: 'sku=X-1'}\n"
                    + "    - {key: context.count, type: exact, value: '7'}\n  pipelines: [mixed]\n",
            "- conditions:\n    - {key: log_record.level, type: exact, value: ERROR}\n"
                    + "    - {key: message, type: regex, value: 'payment'}\n  pipelines: [payment-errors]\n");

    @TempDir
    Path dir;

    @Test
    void logbackEventsAreDecidedAsTheRecordViewDecidesThem() throws IOException {
        LoggerContext context = new LoggerContext();
        ch.qos.logback.classic.Logger logger = context.getLogger("com.acme.Orders");
        List<LoggingEvent> events = new ArrayList<>();
        events.add(logback(logger, ch.qos.logback.classic.Level.INFO, "order {} placed", new Object[] {42}, null));
        events.add(logback(logger, ch.qos.logback.classic.Level.INFO, "order 42 placed", null, Map.of("tenant", "acme")));
        events.add(logback(logger, ch.qos.logback.classic.Level.WARN, "card {} declined", new Object[] {"4242"},
                Map.of("tenant", "globex", "retry", "3")));
        LoggingEvent withPairs = logback(logger, ch.qos.logback.classic.Level.ERROR, "payment failed", null,
                Map.of("tenant", "acme"));
        withPairs.addKeyValuePair(new KeyValuePair("retry", 3));
        withPairs.addKeyValuePair(new KeyValuePair("tenant", "globex")); // a pair wins over the MDC
        withPairs.addKeyValuePair(new KeyValuePair("count", Map.of("n", 7))); // only the view can say
        events.add(withPairs);
        events.add(logback(logger, ch.qos.logback.classic.Level.INFO, null, null, null));
        assertEveryRuleSetDecidesAsTheView("logback", events);
    }

    @Test
    void log4j2EventsAreDecidedAsTheRecordViewDecidesThem() throws IOException {
        List<Object> events = new ArrayList<>();
        SortedArrayStringMap acme = new SortedArrayStringMap();
        acme.putValue("tenant", "acme");
        acme.putValue("retry", 3); // an object in the context: the record has its String.valueOf
        acme.putValue("count", Map.of("n", 7));
        events.add(mutable(ReusableMessageFactory.INSTANCE.newMessage("order {} placed", 42), acme));
        events.add(mutable(ReusableMessageFactory.INSTANCE.newMessage("card {} declined", "4242"), null));
        events.add(mutable(new SimpleMessage("order 42 placed"), acme));
        events.add(log4j(new ParameterizedMessage("order {} paid", 43), null));
        events.add(log4j(new ObjectMessage(List.of("sku=X-1", 2)), acme));
        // An object that writes itself otherwise than its toString: the record has its toString.
        events.add(log4j(new ObjectMessage(new SelfWriting()), acme));
        events.add(mutable(new ParameterizedMessage("card {} declined", "4242"), null));
        events.add(log4j(new StringMapMessage().with("tenant", "globex").with("sku", "X-1"), acme));
        events.add(log4j(new MapMessage<>(Map.of("retry", 3)), null));
        events.add(log4j(null, null));
        assertEveryRuleSetDecidesAsTheView("log4j2", events);

        EventMapper mapper = mapper("log4j2");
        CapturedEvent thread = new CapturedEvent();
        CharSequence text = mapper.messageText(events.get(0), thread);
        assertInstanceOf(StringBuilder.class, text, "a reusable message's text, not made a String");
        assertEquals("order 42 placed", text.toString());
        org.junit.jupiter.api.Assertions.assertNotSame(io.datanadhi.agent.record.ThreadScratch.of(thread).text(), text,
                "the garbage-free event's own text, read in place: not copied into the thread's buffer");
        assertEquals("order 42 placed", mapper.messageText(events.get(0), thread).toString());
        assertEquals(null, thread.event, "the thread's event stays empty");
    }

    @Test
    void julRecordsAreDecidedAsTheRecordViewDecidesThem() throws IOException {
        List<LogRecord> events = new ArrayList<>();
        events.add(jul(java.util.logging.Level.INFO, "order {0} placed", 42));
        events.add(jul(java.util.logging.Level.WARNING, "card declined"));
        events.add(jul(java.util.logging.Level.SEVERE, "payment {0}", "failed"));
        events.add(jul(java.util.logging.Level.INFO, null));
        assertEveryRuleSetDecidesAsTheView("jul", events);
    }

    /** Unmatched events cost no allocation, with rules on the message (regex, partial) and on the MDC. */
    @Test
    void anEventNoMessageOrContextRuleMatchesAllocatesNothing() throws IOException {
        RuleSet rules = load("- conditions: [{key: message, type: regex, value: '^payment .* failed'}]\n  pipelines: [a]\n"
                + "- conditions: [{key: message, type: partial, value: 'declined'}]\n  pipelines: [b]\n"
                + "- conditions: [{key: context.tenant, type: exact, value: globex}]\n  pipelines: [c]\n");
        LoggerContext context = new LoggerContext();
        LoggingEvent logback = logback(context.getLogger("com.acme.Orders"), ch.qos.logback.classic.Level.INFO,
                "order {} placed", new Object[] {42}, Map.of("tenant", "acme"));
        SortedArrayStringMap acme = new SortedArrayStringMap();
        acme.putValue("tenant", "acme");
        MutableLogEvent log4j = mutable(ReusableMessageFactory.INSTANCE.newMessage("order {} placed", 42), acme);
        LogRecord jul = jul(java.util.logging.Level.INFO, "order placed");
        Map<String, Object> events = new LinkedHashMap<>();
        events.put("logback", logback);
        events.put("log4j2", log4j);
        events.put("jul", jul);
        for (Map.Entry<String, Object> e : events.entrySet()) {
            EventMapper mapper = mapper(e.getKey());
            CapturedEvent thread = new CapturedEvent(); // as the bridge hands it: empty
            String framework = e.getKey().intern();
            Object event = e.getValue();
            Level level = mapper.level(event);
            assertSame(Match.NONE, rules.evaluate(level, framework, mapper, event, null, thread), framework);
            assertEquals(null, thread.event, framework + ": the thread's event stays empty");
            long allocated = allocatedBytesOf(() -> rules.evaluate(level, framework, mapper, event, null, thread));
            assertTrue(allocated < 16 * 1024, e.getKey() + ": " + allocated + " bytes over " + ROUNDS + " events");
        }
    }

    private void assertEveryRuleSetDecidesAsTheView(String framework, List<?> events) throws IOException {
        EventMapper mapper = mapper(framework);
        int decided = 0;
        int matched = 0;
        for (String yaml : RULE_SETS) {
            RuleSet rules = load(yaml);
            assertTrue(rules.quick(), yaml);
            for (Object event : events) {
                CapturedEvent captured = new CapturedEvent().set(framework, event, null);
                Level level = mapper.level(event);
                CapturedEvent thread = new CapturedEvent();
                assertEquals(mapper.message(captured), mapper.messageText(event, thread).toString(), framework + " " + event);
                Match quick = rules.evaluate(level, framework.intern(), mapper, event, null, thread);
                EventView view = new EventView(SETTINGS).reset(captured, mapper, level);
                Match full = rules.evaluate(view);
                view.release();
                String what = framework + " event " + mapper.message(captured) + ", rules\n" + yaml;
                if (quick != null) {
                    decided++;
                    assertSame(full, quick, what);
                    if (!quick.isNone()) {
                        matched++;
                    }
                }
            }
        }
        assertTrue(decided >= RULE_SETS.size() * events.size() - 2 * events.size(),
                framework + ": " + decided + " decided quickly");
        assertTrue(matched > 0 && matched < decided, framework + ": both outcomes, " + matched + " of " + decided);
    }

    /** Log4j's layouts let it write itself ("order 42 placed"); String.valueOf gives "sku=X-1 declined". */
    public static final class SelfWriting implements org.apache.logging.log4j.util.StringBuilderFormattable {
        @Override
        public void formatTo(StringBuilder buffer) {
            buffer.append("order 42 placed");
        }

        @Override
        public String toString() {
            return "sku=X-1 declined";
        }
    }

    private RuleSet load(String yaml) throws IOException {
        Files.createDirectories(dir.resolve("rules"));
        Files.writeString(dir.resolve("rules").resolve("rules.yml"), yaml);
        RuleLoadResult result = RuleLoader.load(dir);
        assertTrue(result.problems().isEmpty(), result.problems().toString());
        return result.rules();
    }

    private static EventMapper mapper(String framework) {
        EventMapper mapper = Mappers.forFramework(framework.intern());
        assertNotNull(mapper, framework);
        return mapper;
    }

    private static LoggingEvent logback(ch.qos.logback.classic.Logger logger, ch.qos.logback.classic.Level level,
            String message, Object[] args, Map<String, String> mdc) {
        LoggingEvent event = new LoggingEvent(MessageAndContextRulesTest.class.getName(), logger, level, message, null, args);
        event.setMDCPropertyMap(mdc == null ? Map.of() : mdc);
        return event;
    }

    private static MutableLogEvent mutable(org.apache.logging.log4j.message.Message message, SortedArrayStringMap context) {
        MutableLogEvent event = new MutableLogEvent();
        event.setLoggerName("com.acme.Orders");
        event.setLevel(org.apache.logging.log4j.Level.INFO);
        event.setMessage(message);
        if (context != null) {
            event.setContextData(context);
        }
        return event;
    }

    private static Log4jLogEvent log4j(org.apache.logging.log4j.message.Message message, SortedArrayStringMap context) {
        Log4jLogEvent.Builder builder = Log4jLogEvent.newBuilder().setLoggerName("com.acme.Orders")
                .setLevel(org.apache.logging.log4j.Level.ERROR).setMessage(message);
        if (context != null) {
            builder.setContextData(context);
        }
        return builder.build();
    }

    private static LogRecord jul(java.util.logging.Level level, String message, Object... params) {
        LogRecord record = new LogRecord(level, message);
        record.setLoggerName("com.acme.Orders");
        if (params.length > 0) {
            record.setParameters(params);
        }
        return record;
    }

    private static final int ROUNDS = 200_000;

    private static long allocatedBytesOf(Supplier<?> call) {
        return AllocationMeter.bytesOf(ROUNDS, call);
    }

    private static void assertSame(Match expected, Match actual, String what) {
        assertEquals(expected.pipelines(), actual.pipelines(), what);
        assertEquals(expected.stdout(), actual.stdout(), what);
    }
}
