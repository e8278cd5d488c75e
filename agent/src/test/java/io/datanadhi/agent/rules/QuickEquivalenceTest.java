package io.datanadhi.agent.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.agent.record.EventView;
import io.datanadhi.agent.record.Level;
import io.datanadhi.agent.record.RecordSettings;
import io.datanadhi.bootstrap.CapturedEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rules on the message and on context values are decided from the framework's event, without a
 * record view: the answer must be the one the view gives (which is what the rest of the Data
 * Nadhi family gives) for every event of {@code ../shared/conformance/rules/} and for generated
 * rule sets and events, every condition type, negation, AND and OR, nested context keys, values
 * of every JSON type, missing keys and nulls.
 */
class QuickEquivalenceTest {

    private static final RecordSettings SETTINGS = new RecordSettings("shop", List.of("trace_id"));

    @TempDir
    Path dir;

    @Test
    void everyConformanceEventIsRoutedAsExpectedWhetherDecidedQuicklyOrOnTheView() throws IOException {
        Path fixtures = RulesConformanceTest.locateFixtures();
        Path rules = Files.createDirectories(dir.resolve("rules"));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(fixtures.resolve("rules"))) {
            for (Path file : files) {
                Files.copy(file, rules.resolve(file.getFileName()));
            }
        }
        RuleSet set = RuleLoader.load(dir).rules();
        assertTrue(set.quick(), "every conformance rule reads the level, the logger, the message or the context");
        List<String> events = Files.readAllLines(fixtures.resolve("expected.jsonl"), StandardCharsets.UTF_8);
        events.removeIf(String::isBlank);
        int decidedQuickly = 0;
        for (String line : events) {
            JsonNode expected = RuleTestSupport.json(line);
            Map<String, Object> event = plain(expected.get("event"));
            Match quick = quick(set, event);
            Match full = full(set, event);
            assertSame(full, quick, line);
            Match routed = quick != null ? quick : full;
            List<String> pipelines = new ArrayList<>(routed.pipelines());
            pipelines.sort(null);
            List<String> expectedPipelines = new ArrayList<>();
            expected.get("pipelines").forEach(p -> expectedPipelines.add(p.asText()));
            assertEquals(expectedPipelines, pipelines, line);
            assertEquals(expected.get("stdout").asBoolean(), routed.stdout(), line);
            if (quick != null) {
                decidedQuickly++;
            }
        }
        // Only events whose rule reads context.order.items (a list) need the view.
        assertTrue(decidedQuickly >= events.size() - 3, decidedQuickly + " of " + events.size() + " decided quickly");
    }

    @Test
    void generatedRuleSetsDecideEveryGeneratedEventAsTheViewDoes() throws IOException {
        Random random = new Random(20261205L);
        List<Map<String, Object>> events = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            events.add(randomEvent(random));
        }
        int ruleSets = 0;
        int matches = 0;
        int decisions = 0;
        int undecided = 0;
        for (int s = 0; s < 150; s++) {
            String yaml = randomRules(random);
            RuleTestSupport.writeRuleFile(dir, "rules.yml", yaml);
            RuleLoadResult loaded = RuleLoader.load(dir);
            assertTrue(loaded.problems().isEmpty(), yaml + loaded.problems());
            RuleSet set = loaded.rules();
            assertTrue(set.quick(), yaml);
            ruleSets++;
            for (Map<String, Object> event : events) {
                Match quick = quick(set, event);
                Match full = full(set, event);
                if (quick == null) {
                    undecided++;
                    continue;
                }
                decisions++;
                assertSame(full, quick, yaml + "\nevent: " + event);
                if (!quick.isNone()) {
                    matches++;
                }
            }
        }
        assertEquals(150, ruleSets);
        assertTrue(matches > decisions / 20 && matches < decisions * 19 / 20,
                "the generated cases exercise both outcomes: " + matches + " matches of " + decisions);
        // The generator puts a map or a list under a fifth of the context keys a rule may read whole:
        // those events are left to the view, the rest are decided quickly.
        assertTrue(undecided < decisions / 2, "most events are decided quickly: " + undecided + " left to the view");
    }

    /** A regex's literal prefix only ever rejects texts the regex itself rejects. */
    @Test
    void theRegexPrefixRejectsOnlyWhatTheRegexRejects() {
        List<String> regexes = List.of("^Database.*error", "Database", "order \\d+", "ab*c", "ab?c", "ab{0,2}c",
                "ab+c", "a|b", "(?i)database", "^", "", "x-y_z:1", "[0-9]{4,}", "abc$", "ab\\.c", "ab.c",
                "(ab)c", "ab(?i)C", "\\Qa.b\\E", "^^a", "a#b", "\"sku\"", "pay ment", "ab\\Q\\E*", "ab\\Q\\E?c",
                "ab\\x63", "ab(?x) c");
        List<String> texts = List.of("", "Database connection error", "database", "order 12", "ac", "abc", "abbc",
                "a", "b", "x-y_z:12", "12345", "abc\n", "ab.c", "abxc", "abC", "a.b", "a#b", "\"sku\":1", "pay ment x");
        for (String regex : regexes) {
            String prefix = Condition.literalPrefix(regex);
            Pattern pattern = Pattern.compile(regex, Pattern.UNIX_LINES);
            Condition condition = new Condition("message", Condition.Type.REGEX, regex, false);
            for (String text : texts) {
                boolean matches = pattern.matcher(text).lookingAt();
                if (matches) {
                    assertTrue(text.startsWith(prefix), "\"" + regex + "\" matches \"" + text + "\" but its prefix is \""
                            + prefix + "\"");
                }
                assertEquals(matches, condition.matchesText(text), regex + " on " + text);
                assertEquals(matches, condition.matchesText(new StringBuilder(text)), regex + " on a buffer " + text);
            }
        }
        assertEquals("Database", Condition.literalPrefix("^Database.*error"));
        assertEquals("a", Condition.literalPrefix("ab*c"));
        assertEquals("", Condition.literalPrefix("a|b"));
        assertEquals("", Condition.literalPrefix("(?i)database"));
    }

    private static void assertSame(Match expected, Match actual, String what) {
        if (actual == null) {
            return; // left to the view: nothing to compare
        }
        assertNotNull(expected, what);
        assertEquals(expected.pipelines(), actual.pipelines(), what);
        assertEquals(expected.stdout(), actual.stdout(), what);
        org.junit.jupiter.api.Assertions.assertSame(expected, actual, "the same cached Match: " + what);
    }

    /** As the processor asks: the thread's event empty, and emptied again after (the mapper's defaults fill it). */
    private static Match quick(RuleSet set, Map<String, Object> event) {
        CapturedEvent thread = new CapturedEvent();
        Match match = set.evaluate(MapEvents.level(event), framework(event).intern(), new MapEvents(), event, null, thread);
        assertTrue(thread.event == null || thread.event == event, "the thread's event holds nothing else");
        return match;
    }

    private static Match full(RuleSet set, Map<String, Object> event) {
        CapturedEvent captured = new CapturedEvent().set(framework(event), event, null);
        EventView view = new EventView(SETTINGS).reset(captured, new MapEvents(), MapEvents.level(event));
        try {
            return set.evaluate(view);
        } finally {
            view.release();
        }
    }

    @SuppressWarnings("unchecked")
    private static String framework(Map<String, Object> event) {
        return (String) ((Map<String, Object>) event.get("log_record")).get("framework");
    }

    private static Map<String, Object> plain(JsonNode node) {
        return RuleTestSupport.JSON.convertValue(node, new TypeReference<LinkedHashMap<String, Object>>() {});
    }

    // ---- generated events and rules ----

    private static final String[] LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};
    private static final String[] LOGGERS = {"com.acme.App", "com.acme.payment.Charges", "org.other", ""};
    private static final String[] FRAMEWORKS = {"logback", "log4j2", "jul"};
    private static final String[] MESSAGES = {"", "plain info", "Database connection error", "Database ok",
        "database connection error", "order 42 placed", "order placed", "payment failed: card declined",
        "line one\nline two error", "ünïcödé Database error", "Database error", "3", "true", "{\"sku\":\"X-1\"}"};
    private static final Object[] VALUES = {"admin", "guest", "acme", "3", 3, 13, 3L, 12000, 0.75, 0.5, true, false,
        "true", "", "Database", null};
    private static final String[] CONTEXT_KEYS = {"tenant", "user", "retry_count", "flags", "latency_ms"};
    private static final String[] RULE_KEYS = {"message", "message", "context.tenant", "context.user.type",
        "context.retry_count", "context.flags.beta", "context.latency_ms", "context.missing", "context.user",
        "log_record.level", "log_record.module_name", "log_record.framework"};
    private static final String[] RULE_VALUES = {"Database", "error", "^Database.*error", "order \\d+", "order",
        "admin", "guest", "acme", "3", "13", "true", "[0-9]{4,}", "0.75", ".5", "INFO", "ERROR", "jul",
        ".payment.", "com\\.acme\\..*", "(?i)database", "d|D", "", "plain info", "ünï", "two"};

    private static Map<String, Object> randomEvent(Random random) {
        Map<String, Object> logRecord = new LinkedHashMap<>();
        logRecord.put("level", pick(random, LEVELS));
        logRecord.put("module_name", pick(random, LOGGERS));
        logRecord.put("framework", pick(random, FRAMEWORKS));
        Map<String, Object> context = new LinkedHashMap<>();
        for (String key : CONTEXT_KEYS) {
            switch (random.nextInt(5)) {
                case 0:
                    break; // absent
                case 1:
                    Map<String, Object> nested = new LinkedHashMap<>();
                    nested.put("type", pick(random, VALUES));
                    nested.put("beta", pick(random, VALUES));
                    context.put(key, nested);
                    break;
                case 2:
                    if (random.nextInt(4) == 0) {
                        context.put(key, Arrays.asList(pick(random, VALUES), pick(random, VALUES)));
                        break;
                    }
                    // else a plain value
                default:
                    context.put(key, pick(random, VALUES));
            }
        }
        Map<String, Object> pairs = new LinkedHashMap<>();
        if (random.nextInt(3) == 0) {
            pairs.put(pick(random, CONTEXT_KEYS), pick(random, VALUES));
        }
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("kv", pairs);
        event.put("message", pick(random, MESSAGES));
        event.put("log_record", logRecord);
        event.put("context", context);
        return event;
    }

    private static String randomRules(Random random) {
        StringBuilder yaml = new StringBuilder();
        int rules = 1 + random.nextInt(4);
        for (int r = 0; r < rules; r++) {
            yaml.append("- any_condition_match: ").append(random.nextBoolean()).append('\n');
            yaml.append("  conditions:\n");
            int conditions = 1 + random.nextInt(3);
            for (int c = 0; c < conditions; c++) {
                yaml.append("    - {key: ").append(pick(random, RULE_KEYS))
                        .append(", type: ").append(pick(random, new String[] {"exact", "partial", "regex"}))
                        .append(", value: '").append(pick(random, RULE_VALUES).replace("'", "''")).append('\'')
                        .append(", negate: ").append(random.nextInt(4) == 0).append("}\n");
            }
            yaml.append("  pipelines: [p").append(r).append("]\n");
        }
        return yaml.toString();
    }

    @SuppressWarnings("unchecked")
    private static <T> T pick(Random random, T[] values) {
        return values[random.nextInt(values.length)];
    }

    /** Events held as the plain maps of a conformance event: what the record view and the quick path read. */
    static final class MapEvents implements EventMapper {

        @SuppressWarnings("unchecked")
        private static Map<String, Object> map(Object event) {
            return (Map<String, Object>) event;
        }

        @SuppressWarnings("unchecked")
        private static Map<String, Object> logRecord(Object event) {
            return (Map<String, Object>) map(event).get("log_record");
        }

        static Level level(Map<String, Object> event) {
            return Level.valueOf((String) logRecord(event).get("level"));
        }

        @Override
        public Level level(Object event) {
            return level(map(event));
        }

        @Override
        public String nativeLevel(CapturedEvent event) {
            return (String) logRecord(event.event).get("level");
        }

        @Override
        public String loggerName(Object event, Object logger) {
            return (String) logRecord(event).get("module_name");
        }

        @Override
        public String message(CapturedEvent event) {
            return (String) map(event.event).get("message");
        }

        @Override
        public Throwable thrown(CapturedEvent event) {
            return null;
        }

        @Override
        public long timestampMillis(CapturedEvent event) {
            return 0L;
        }

        @Override
        @SuppressWarnings("unchecked")
        public Map<String, ?> context(CapturedEvent event) {
            return (Map<String, ?>) map(event.event).get("context");
        }

        /** Generated events may carry key-value pairs ("kv"), which win over the MDC in both paths. */
        @Override
        @SuppressWarnings("unchecked")
        public Object keyValue(CapturedEvent event, String key) {
            Map<String, Object> pairs = (Map<String, Object>) map(event.event).get("kv");
            return pairs == null ? null : pairs.get(key);
        }
    }
}
