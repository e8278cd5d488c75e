package io.datanadhi.agent.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.agent.record.Level;
import io.datanadhi.bootstrap.CapturedEvent;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rules that read only the level, the logger's name or the framework are decided from the
 * framework's event without a record view: the answer must be the one the full evaluation gives,
 * for every level, name and framework, every condition type, negation, AND and OR.
 */
class QuickRulesTest {

    @TempDir
    Path dir;

    private static final String QUICK_RULES =
            "- conditions: [{key: log_record.level, type: exact, value: ERROR}]\n"
            + "  pipelines: [errors]\n"
            + "- any_condition_match: true\n"
            + "  conditions:\n"
            + "    - {key: log_record.level, type: regex, value: 'CRIT|WARN'}\n"
            + "    - {key: log_record.module_name, type: partial, value: .payment.}\n"
            + "  pipelines: [alerts]\n"
            + "  stdout: true\n"
            + "- conditions:\n"
            + "    - {key: log_record.level, type: exact, value: DEBUG, negate: true}\n"
            + "    - {key: log_record.framework, type: exact, value: jul}\n"
            + "    - {key: log_record.module_name, type: regex, value: 'com\\.acme\\.[a-z]+$'}\n"
            + "  pipelines: [jul-acme]\n"
            + "- conditions: [{key: log_record.module_name, type: exact, value: com.acme.Audit, negate: true}]\n"
            + "  stdout: true\n";

    private static final List<String> LOGGER_NAMES = Arrays.asList(
            "com.acme.Audit", "com.acme.payment.Charges", "com.acme.orders", "org.other.Thing", "", null);
    private static final List<String> FRAMEWORKS = List.of("logback", "jul", "log4j2");

    @Test
    void quickEvaluationGivesTheFullEvaluationsAnswerForEveryEvent() {
        RuleSet rules = RuleTestSupport.rules(dir, QUICK_RULES);
        assertTrue(rules.quick());
        int matchedSomething = 0;
        for (Level level : Level.values()) {
            for (String name : LOGGER_NAMES) {
                for (String framework : FRAMEWORKS) {
                    Match full = rules.evaluate(RuleTestSupport.mapRecord(record(level, name, framework)));
                    Match quick = rules.evaluate(level, new NameMapper(), event(framework, name));
                    String event = level + " " + name + " " + framework;
                    assertEquals(full.pipelines(), quick.pipelines(), event);
                    assertEquals(full.stdout(), quick.stdout(), event);
                    assertSame(full, quick, "the same cached Match: " + event);
                    if (!quick.isNone()) {
                        matchedSomething++;
                    }
                }
            }
        }
        assertTrue(matchedSomething > 10 && matchedSomething < Level.values().length * 18,
                "the grid exercises both outcomes: " + matchedSomething);
    }

    @Test
    void theLoggerNameIsReadOnlyWhenARuleNeedsItAndThenOnce() {
        RuleSet rules = RuleTestSupport.rules(dir, QUICK_RULES);
        NameMapper mapper = new NameMapper();
        rules.evaluate(Level.ERROR, mapper, event("logback", "com.acme.orders"));
        assertEquals(1, mapper.reads, "four rules read the name; it is read once");

        RuleSet levelOnly = RuleTestSupport.rules(dir,
                "- conditions: [{key: log_record.level, type: exact, value: ERROR}]\n  pipelines: [errors]\n");
        NameMapper untouched = new NameMapper();
        assertEquals(List.of("errors"), levelOnly.evaluate(Level.ERROR, untouched, event("logback", "x")).pipelines());
        assertSame(Match.NONE, levelOnly.evaluate(Level.INFO, untouched, event("logback", "x")));
        assertEquals(0, untouched.reads);
    }

    @Test
    void aLoggerNameIsJudgedOnceAndItsAnswerKeptForTheNextEvents() {
        RuleSet rules = RuleTestSupport.rules(dir, QUICK_RULES);
        String payments = "com.acme.payment.Charges";
        for (int i = 0; i < 100; i++) {
            assertEquals(List.of("alerts"), rules.evaluate(Level.INFO, new NameMapper(), event("logback", payments))
                    .pipelines());
            // An equal name in another String (a logger name built at run time) finds the same answer.
            assertEquals(List.of("alerts"), rules.evaluate(Level.INFO, new NameMapper(),
                    event("logback", new String(payments))).pipelines());
        }
        // Names whose cache slots collide replace each other and are still judged right.
        String[] colliding = collidingNames(5);
        for (int round = 0; round < 3; round++) {
            for (String name : colliding) {
                Match match = rules.evaluate(Level.INFO, new NameMapper(), event("jul", name));
                Match full = rules.evaluate(RuleTestSupport.mapRecord(record(Level.INFO, name, "jul")));
                assertSame(full, match, name);
            }
        }
    }

    /** Names with the same low ten bits of their hash code: the same slot of the name cache. */
    private static String[] collidingNames(int count) {
        String[] names = new String[count];
        int found = 0;
        int target = "com.acme.x0".hashCode() & 1023;
        for (int i = 0; found < count; i++) {
            String name = "com.acme.x" + i;
            if ((name.hashCode() & 1023) == target) {
                names[found++] = name;
            }
        }
        return names;
    }

    @Test
    void rulesThatReadAnythingElseAreNotQuick() {
        for (String key : List.of("context.error", "context.error.type", "log_record.thread_name",
                "log_record.native_level", "log_record.line_number", "log_record.class_name", "trace_id",
                "module_name", "timestamp", "log_record")) {
            RuleSet rules = RuleTestSupport.rules(dir,
                    "- conditions: [{key: log_record.level, type: exact, value: ERROR}]\n  pipelines: [a]\n"
                    + "- conditions: [{key: " + key + ", type: exact, value: x}]\n  pipelines: [b]\n");
            assertEquals(2, rules.size(), key);
            assertFalse(rules.quick(), key);
        }
        assertTrue(RuleSet.EMPTY.quick(), "no rule: nothing to read");
        assertSame(Match.NONE, RuleSet.EMPTY.evaluate(Level.CRITICAL, new NameMapper(), event("jul", "x")));
    }

    private static Map<String, Object> record(Level level, String loggerName, String framework) {
        Map<String, Object> logRecord = new LinkedHashMap<>();
        logRecord.put("level", level.name());
        if (loggerName != null) {
            logRecord.put("module_name", loggerName);
        }
        logRecord.put("framework", framework);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("message", "m");
        root.put("log_record", logRecord);
        return root;
    }

    /** An event of {@link NameMapper}'s: the logger's name is the event. */
    static CapturedEvent event(String framework, String loggerName) {
        return new CapturedEvent().set(framework, loggerName, null);
    }

    /** The event is the logger's name itself. */
    static final class NameMapper implements EventMapper {
        int reads;

        @Override
        public Level level(Object event) {
            throw new AssertionError("the level is passed in");
        }

        @Override
        public String loggerName(Object event, Object logger) {
            reads++;
            return (String) event;
        }

        @Override
        public String nativeLevel(CapturedEvent event) {
            throw new AssertionError();
        }

        @Override
        public String message(CapturedEvent event) {
            throw new AssertionError();
        }

        @Override
        public Throwable thrown(CapturedEvent event) {
            throw new AssertionError();
        }

        @Override
        public long timestampMillis(CapturedEvent event) {
            throw new AssertionError();
        }
    }
}
