package io.datanadhi.agent.rules;

import static io.datanadhi.agent.rules.RuleTestSupport.event;
import static io.datanadhi.agent.rules.RuleTestSupport.mapRecord;
import static io.datanadhi.agent.rules.RuleTestSupport.rules;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rule language, case by case: what matches, and what a match does. */
class RuleSemanticsTest {

    @TempDir
    Path dir;

    private static String rule(String key, String type, String value, boolean negate) {
        return "- conditions:\n"
                + "    - key: " + key + "\n"
                + "      type: " + type + "\n"
                + "      value: " + value + "\n"
                + "      negate: " + negate + "\n"
                + "  pipelines: [hit]\n";
    }

    private boolean matches(String ruleYaml, String eventJson) {
        return !rules(dir, ruleYaml).evaluate(event(eventJson)).isNone();
    }

    @Test
    void missingKeyNeverMatchesEvenWhenNegated() {
        String notGuest = rule("context.user.type", "exact", "guest", true);
        assertFalse(matches(notGuest, "{\"context\":{}}"));
        assertFalse(matches(notGuest, "{\"context\":{\"user\":{\"id\":\"u1\"}}}"));
        assertFalse(matches(notGuest, "{}"));
    }

    @Test
    void jsonNullNeverMatchesEvenWhenNegated() {
        assertFalse(matches(rule("context.user.type", "exact", "guest", true),
                "{\"context\":{\"user\":{\"type\":null}}}"));
        assertFalse(matches(rule("context.user.type", "exact", "'null'", false),
                "{\"context\":{\"user\":{\"type\":null}}}"));
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("type", null);
        assertFalse(rules(dir, rule("context.user.type", "partial", "x", true))
                .evaluate(mapRecord(Map.of("context", Map.of("user", user)))).ships());
    }

    @Test
    void negateInvertsTheResultForAPresentKey() {
        String notGuest = rule("context.user.type", "exact", "guest", true);
        assertTrue(matches(notGuest, "{\"context\":{\"user\":{\"type\":\"admin\"}}}"));
        assertFalse(matches(notGuest, "{\"context\":{\"user\":{\"type\":\"guest\"}}}"));
    }

    @Test
    void keysDescendThroughObjectsOnly() {
        assertFalse(matches(rule("context.user.type", "exact", "admin", false), "{\"context\":{\"user\":\"admin\"}}"));
        assertFalse(matches(rule("context.items.0", "exact", "a", false), "{\"context\":{\"items\":[\"a\"]}}"));
        assertTrue(matches(rule("a.b.c", "exact", "deep", false), "{\"a\":{\"b\":{\"c\":\"deep\"}}}"));
    }

    @Test
    void regexMatchesAtTheStartOfTheTextButNeedNotReachItsEnd() {
        String error = rule("message", "regex", "error", false);
        assertTrue(matches(error, "{\"message\":\"error in the database\"}"));
        assertFalse(matches(error, "{\"message\":\"an error\"}"), "lookingAt, not find");
        assertTrue(matches(rule("message", "regex", "'.*error'", false), "{\"message\":\"an error\"}"));
        assertFalse(matches(rule("message", "regex", "'Database.*error'", false),
                "{\"message\":\"Database\\nerror\"}"), "'.' does not cross a line break, as in Python");
    }

    @Test
    void exactIsCaseSensitiveWholeTextEquality() {
        String error = rule("log_record.level", "exact", "ERROR", false);
        assertTrue(matches(error, "{\"log_record\":{\"level\":\"ERROR\"}}"));
        assertFalse(matches(error, "{\"log_record\":{\"level\":\"error\"}}"));
        assertFalse(matches(error, "{\"log_record\":{\"level\":\"ERRORS\"}}"));
    }

    @Test
    void partialIsSubstringContainment() {
        String payment = rule("log_record.module_name", "partial", "'.payment.'", false);
        assertTrue(matches(payment, "{\"log_record\":{\"module_name\":\"com.acme.payment.Charges\"}}"));
        assertFalse(matches(payment, "{\"log_record\":{\"module_name\":\"com.acme.payments\"}}"));
        assertTrue(matches(rule("message", "partial", "''", false), "{\"message\":\"\"}"));
    }

    @Test
    void allConditionsMustMatchByDefault() {
        String yaml = "- conditions:\n"
                + "    - {key: level, type: exact, value: INFO}\n"
                + "    - {key: user, type: exact, value: admin}\n"
                + "  pipelines: [hit]\n";
        assertTrue(matches(yaml, "{\"level\":\"INFO\",\"user\":\"admin\"}"));
        assertFalse(matches(yaml, "{\"level\":\"INFO\",\"user\":\"guest\"}"));
        assertFalse(matches(yaml, "{\"level\":\"INFO\"}"));
    }

    @Test
    void anyConditionMatchNeedsOnlyOneCondition() {
        String yaml = "- any_condition_match: true\n"
                + "  conditions:\n"
                + "    - {key: level, type: exact, value: ERROR}\n"
                + "    - {key: level, type: exact, value: CRITICAL}\n"
                + "  pipelines: [hit]\n";
        assertTrue(matches(yaml, "{\"level\":\"ERROR\"}"));
        assertTrue(matches(yaml, "{\"level\":\"CRITICAL\"}"));
        assertFalse(matches(yaml, "{\"level\":\"INFO\"}"));
        assertFalse(matches(yaml, "{}"));
    }

    @Test
    void pipelinesOfAllMatchingRulesAreUnitedOnceInRuleOrder() {
        String yaml = "- conditions: [{key: level, type: exact, value: ERROR}]\n"
                + "  pipelines: [errors, alerts, errors]\n"
                + "- conditions: [{key: message, type: partial, value: disk}]\n"
                + "  pipelines: [ops, alerts]\n"
                + "- conditions: [{key: message, type: partial, value: nothing}]\n"
                + "  pipelines: [never]\n";
        Match match = rules(dir, yaml).evaluate(event("{\"level\":\"ERROR\",\"message\":\"disk full\"}"));
        assertEquals(List.of("errors", "alerts", "ops"), match.pipelines());
        assertFalse(match.stdout());
    }

    @Test
    void ruleWithOnlyStdoutPrintsWithoutShipping() {
        String yaml = "- conditions: [{key: level, type: exact, value: WARNING}]\n"
                + "  stdout: true\n";
        Match match = rules(dir, yaml).evaluate(event("{\"level\":\"WARNING\"}"));
        assertTrue(match.stdout());
        assertFalse(match.ships());
        assertTrue(match.pipelines().isEmpty());
    }

    @Test
    void stdoutFromAnyMatchingRulePrintsTheRecord() {
        String yaml = "- conditions: [{key: level, type: exact, value: ERROR}]\n"
                + "  pipelines: [errors]\n"
                + "- conditions: [{key: level, type: partial, value: ERR}]\n"
                + "  stdout: true\n";
        Match match = rules(dir, yaml).evaluate(event("{\"level\":\"ERROR\"}"));
        assertEquals(List.of("errors"), match.pipelines());
        assertTrue(match.stdout());
    }

    @Test
    void noMatchingRuleGivesTheSharedNone() {
        RuleSet set = rules(dir, rule("level", "exact", "ERROR", false));
        assertSame(Match.NONE, set.evaluate(event("{\"level\":\"INFO\"}")));
        assertSame(Match.NONE, RuleSet.EMPTY.evaluate(event("{\"level\":\"INFO\"}")));
    }

    @Test
    void theSameCombinationOfMatchingRulesGivesTheSameMatchInstance() {
        RuleSet set = rules(dir, rule("level", "exact", "ERROR", false) + rule("message", "partial", "x", false));
        Match first = set.evaluate(event("{\"level\":\"ERROR\",\"message\":\"x1\"}"));
        Match second = set.evaluate(event("{\"level\":\"ERROR\",\"message\":\"x2\"}"));
        assertSame(first, second);
        assertEquals(List.of("hit"), first.pipelines());
        assertEquals(1, set.cachedMatches());
    }

    @Test
    void numbersAndBooleansAreComparedThroughTheirJsonText() {
        String three = rule("context.retry_count", "exact", "'3'", false);
        assertTrue(matches(three, "{\"context\":{\"retry_count\":3}}"));
        assertTrue(matches(three, "{\"context\":{\"retry_count\":\"3\"}}"));
        assertFalse(matches(three, "{\"context\":{\"retry_count\":13}}"));
        assertTrue(matches(rule("context.beta", "exact", "'true'", false), "{\"context\":{\"beta\":true}}"));
        assertTrue(matches(rule("context.ratio", "exact", "'0.5'", false), "{\"context\":{\"ratio\":0.5}}"));
        assertTrue(matches(rule("context.ms", "regex", "'[0-9]{4,}'", false), "{\"context\":{\"ms\":12000}}"));

        RuleSet typed = rules(dir, rule("n", "exact", "'3'", false) + rule("b", "exact", "'false'", false)
                + rule("d", "partial", "'.25'", false) + rule("l", "regex", "'9{12}'", false));
        assertTrue(typed.evaluate(mapRecord(Map.of("n", 3))).ships());
        assertTrue(typed.evaluate(mapRecord(Map.of("n", 3L))).ships());
        assertTrue(typed.evaluate(mapRecord(Map.of("n", (short) 3))).ships());
        assertTrue(typed.evaluate(mapRecord(Map.of("b", Boolean.FALSE))).ships());
        assertTrue(typed.evaluate(mapRecord(Map.of("d", 1.25d))).ships());
        assertTrue(typed.evaluate(mapRecord(Map.of("d", 1.25f))).ships());
        assertTrue(typed.evaluate(mapRecord(Map.of("l", 999_999_999_999L))).ships());
        assertFalse(typed.evaluate(mapRecord(Map.of("n", 33))).ships());
    }

    @Test
    void objectsAndArraysAreComparedAsCompactJson() {
        String sku = rule("context.order.items", "partial", "'\"sku\":\"X-1\"'", false);
        assertTrue(matches(sku, "{\"context\":{\"order\":{\"items\":[{\"sku\":\"X-1\",\"qty\":2}]}}}"));
        assertFalse(matches(sku, "{\"context\":{\"order\":{\"items\":[{\"sku\":\"Y-2\",\"qty\":1}]}}}"));

        Map<String, Object> item = new LinkedHashMap<>();
        item.put("sku", "X-1");
        item.put("qty", 2);
        RuleSet exact = rules(dir, rule("items", "exact", "'[{\"sku\":\"X-1\",\"qty\":2}]'", false));
        assertTrue(exact.evaluate(mapRecord(Map.of("items", List.of(item)))).ships());
        assertTrue(exact.evaluate(event("{\"items\":[{\"sku\":\"X-1\",\"qty\":2}]}")).ships());
    }

    @Test
    void unquotedYamlScalarValueIsUsedAsItsText() {
        assertTrue(matches(rule("n", "exact", "3", false), "{\"n\":3}"));
        assertTrue(matches(rule("n", "exact", "3", false), "{\"n\":\"3\"}"));
        assertTrue(matches(rule("flag", "exact", "true", false), "{\"flag\":\"true\"}"));
        assertTrue(matches(rule("flag", "exact", "true", false), "{\"flag\":true}"));
    }

    @Test
    void valuesRendersEachTypeAsItsJsonText() {
        assertEquals("x", Values.text("x"));
        assertEquals("3", Values.text(3));
        assertEquals("true", Values.text(true));
        assertEquals("1.5", Values.text(1.5d));
        assertEquals("{\"a\":[1,\"b\"]}", Values.text(Map.of("a", List.of(1, "b"))));
        assertEquals("x", Values.text(RuleTestSupport.json("\"x\"")));
        assertEquals("12", Values.text(RuleTestSupport.json("12")));
        assertEquals("{\"k\":null}", Values.text(RuleTestSupport.json("{\"k\":null}")));
        assertEquals(null, Values.text(RuleTestSupport.json("null")));
        assertEquals(null, Values.text(null));
    }

    @Test
    void moreThan64RulesStillUniteEveryMatchingRule() {
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < 70; i++) {
            yaml.append("- conditions: [{key: n, type: exact, value: '").append(i % 7).append("'}]\n")
                    .append("  pipelines: [p").append(i).append("]\n");
        }
        RuleSet set = rules(dir, yaml.toString());
        assertEquals(70, set.size());
        List<String> expected = new ArrayList<>();
        for (int i = 3; i < 70; i += 7) {
            expected.add("p" + i);
        }
        Match first = set.evaluate(event("{\"n\":3}"));
        assertEquals(expected, first.pipelines());
        assertTrue(expected.contains("p66"), "a rule beyond the 64th is included");
        assertSame(first, set.evaluate(event("{\"n\":\"3\"}")));
        assertSame(Match.NONE, set.evaluate(event("{\"n\":9}")));
    }

    @Test
    void matchCacheStopsGrowingAtItsBoundButStaysCorrect() {
        MatchCache cache = new MatchCache();
        for (long bits = 1; bits <= MatchCache.MAX_ENTRIES + 100; bits++) {
            Match match = new Match(List.of("p" + bits), false);
            assertSame(match, cache.put(bits, match));
        }
        assertEquals(MatchCache.MAX_ENTRIES, cache.size());
        for (long bits = 1; bits <= MatchCache.MAX_ENTRIES; bits++) {
            assertEquals(List.of("p" + bits), cache.get(bits).pipelines());
        }
        assertEquals(null, cache.get(MatchCache.MAX_ENTRIES + 1));
        Match again = new Match(List.of("other"), false);
        assertEquals(List.of("p7"), cache.put(7, again).pipelines(), "an existing entry wins");
    }
}
