package io.datanadhi.agent.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.datanadhi.agent.rules.RuleTestSupport.CapturedDiagnostics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules against the shared conformance fixtures ({@code ../shared/conformance/rules/}), read
 * in place. The rule folder is copied into a temporary Data Nadhi directory only so that
 * {@code .rules.resolved.json} is written there, never into the shared folder.
 */
class RulesConformanceTest {

    private static final String INVALID = "rules/invalid.yml";

    @TempDir
    static Path datanadhiDir;

    private static Path fixtures;
    private static RuleLoadResult result;
    private static List<JsonNode> warnings;

    @BeforeAll
    static void loadFixtureRules() throws IOException {
        fixtures = locateFixtures();
        Path rules = Files.createDirectories(datanadhiDir.resolve("rules"));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(fixtures.resolve("rules"))) {
            for (Path file : files) {
                Files.copy(file, rules.resolve(file.getFileName()));
            }
        }
        try (CapturedDiagnostics diagnostics = new CapturedDiagnostics()) {
            result = RuleLoader.load(datanadhiDir);
            warnings = diagnostics.parsed().stream()
                    .filter(line -> line.path("level").asText().equals("WARN"))
                    .collect(Collectors.toList());
        }
    }

    /** Walks up from the working directory to the first ancestor that has shared/conformance/rules. */
    static Path locateFixtures() {
        Path start = Paths.get(System.getProperty("user.dir")).toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("conformance").resolve("rules");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return fail("conformance fixtures not found: no ancestor of " + start
                + " has shared/conformance/rules (expected the repository with ../shared beside it)");
    }

    @Test
    void everyEventGoesToExactlyTheExpectedPipelinesAndStdout() throws IOException {
        List<String> events = Files.readAllLines(fixtures.resolve("events.jsonl"), StandardCharsets.UTF_8);
        List<String> expectations = Files.readAllLines(fixtures.resolve("expected.jsonl"), StandardCharsets.UTF_8);
        events.removeIf(String::isBlank);
        expectations.removeIf(String::isBlank);
        assertEquals(events.size(), expectations.size(), "events.jsonl and expected.jsonl differ in length");
        assertTrue(events.size() > 0, "no events");

        for (int i = 0; i < events.size(); i++) {
            JsonNode event = RuleTestSupport.json(events.get(i));
            JsonNode expected = RuleTestSupport.json(expectations.get(i));
            assertEquals(expected.get("event"), event, "line " + (i + 1) + ": expected.jsonl is about another event");

            Match match = result.rules().evaluate(new JsonNodeView(event));

            List<String> expectedPipelines = new ArrayList<>();
            expected.get("pipelines").forEach(p -> expectedPipelines.add(p.asText()));
            List<String> actualPipelines = new ArrayList<>(match.pipelines());
            actualPipelines.sort(null);
            String what = "line " + (i + 1) + " (" + event.get("message") + ")";
            assertEquals(expectedPipelines, actualPipelines, what + ": pipelines");
            assertEquals(expected.get("stdout").asBoolean(), match.stdout(), what + ": stdout");
            assertFalse(match.pipelines().contains("never"), what + ": reached pipeline never");
        }
    }

    /**
     * Through {@code .rules.cache}: the second read comes from the cache, routes every event as
     * the parsed rules do, and warns the same problems, each once, in the same order.
     */
    @Test
    void theCachedRulesRouteEveryEventAndWarnEveryProblemAsTheParsedOnes() throws IOException {
        Path copy = Files.createDirectories(datanadhiDir.resolve("cached").resolve("rules"));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(fixtures.resolve("rules"))) {
            for (Path file : files) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        Path dir = copy.getParent();
        RuleLoadResult parsed;
        RuleLoadResult cached;
        List<JsonNode> parsedWarnings;
        List<JsonNode> cachedWarnings;
        try (CapturedDiagnostics diagnostics = new CapturedDiagnostics()) {
            parsed = RuleLoader.readCached(dir);
            parsedWarnings = diagnostics.parsed();
        }
        try (CapturedDiagnostics diagnostics = new CapturedDiagnostics()) {
            cached = RuleLoader.readCached(dir);
            cachedWarnings = diagnostics.parsed();
        }
        assertFalse(parsed.cached());
        assertTrue(cached.cached(), "the second read comes from " + dir.resolve(RuleCache.FILE_NAME));
        assertEquals(ResolvedRulesWriter.toJson(parsed).get("rules"), ResolvedRulesWriter.toJson(cached).get("rules"));
        assertEquals(ResolvedRulesWriter.toJson(parsed).get("problems"), ResolvedRulesWriter.toJson(cached).get("problems"));
        assertEquals(parsed.files(), cached.files());
        assertEquals(without(parsedWarnings, "time"), without(cachedWarnings, "time"));

        for (String line : Files.readAllLines(fixtures.resolve("events.jsonl"), StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNodeView event = new JsonNodeView(RuleTestSupport.json(line));
            Match fromFiles = parsed.rules().evaluate(event);
            Match fromCache = cached.rules().evaluate(event);
            assertEquals(fromFiles.pipelines(), fromCache.pipelines(), line);
            assertEquals(fromFiles.stdout(), fromCache.stdout(), line);
        }
    }

    private static List<String> without(List<JsonNode> lines, String field) {
        List<String> kept = new ArrayList<>();
        for (JsonNode line : lines) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) line).remove(field);
            kept.add(line.toString());
        }
        return kept;
    }

    @Test
    void validFilesLoadAllTheirRulesInFileOrder() {
        assertEquals(List.of("rules/app.yml", "rules/broken.yaml", "rules/invalid.yml",
                "rules/not-a-list.yml", "rules/typed.yaml"), result.files());
        assertEquals(7, countRulesFrom("rules/app.yml"));
        assertEquals(3, countRulesFrom("rules/typed.yaml"));
        assertEquals(10, result.rules().size());
        for (Rule rule : result.rules().rules()) {
            assertFalse(rule.pipelines().contains("never"), rule + " should have been skipped");
        }
        assertTrue(problemsFor("rules/app.yml").isEmpty(), "app.yml: " + problemsFor("rules/app.yml"));
        assertTrue(problemsFor("rules/typed.yaml").isEmpty(), "typed.yaml: " + problemsFor("rules/typed.yaml"));
    }

    @Test
    void everyInvalidEntryIsAProblemNamingFileAndIndex() {
        List<RuleProblem> problems = problemsFor(INVALID);
        List<Integer> indexes = problems.stream().map(RuleProblem::index).collect(Collectors.toList());
        assertEquals(List.of(0, 1, 2, 3, 4, 5), indexes, "one problem per entry: " + problems);
        for (RuleProblem problem : problems) {
            assertTrue(problem.message().startsWith(INVALID + " entry " + problem.index()), problem.message());
            assertTrue(problem.message().endsWith("rule skipped"), problem.message());
        }
        assertEquals("no-actions", problems.get(0).ruleName());
        assertTrue(problems.get(2).message().contains("unknown type \"fuzzy\""), problems.get(2).message());
        assertTrue(problems.get(3).message().contains("invalid regex"), problems.get(3).message());
        assertTrue(problems.get(4).message().contains("no key"), problems.get(4).message());
        assertNull(problems.get(5).ruleName());
    }

    @Test
    void notAListAndBrokenYamlAreEachOneWholeFileProblem() {
        for (String file : List.of("rules/not-a-list.yml", "rules/broken.yaml")) {
            List<RuleProblem> problems = problemsFor(file);
            assertEquals(1, problems.size(), file + ": " + problems);
            assertNull(problems.get(0).index(), file + " is a whole-file problem");
            assertTrue(problems.get(0).message().startsWith(file + ": "), problems.get(0).message());
            assertTrue(problems.get(0).message().endsWith("file skipped"), problems.get(0).message());
        }
    }

    @Test
    void filesOtherThanYamlAreNeverRead() {
        assertFalse(result.files().contains("rules/ignored.txt"));
        for (RuleProblem problem : result.problems()) {
            assertFalse(problem.message().contains("ignored.txt"), problem.message());
        }
        for (JsonNode warning : warnings) {
            assertFalse(warning.toString().contains("ignored.txt"), warning.toString());
        }
    }

    @Test
    void everyProblemWasWarnedOnceAsADiagnosticsLineNamingTheFile() {
        assertEquals(result.problems().size(), warnings.size(), "one warning per problem: " + warnings);
        for (int i = 0; i < warnings.size(); i++) {
            JsonNode warning = warnings.get(i);
            RuleProblem problem = result.problems().get(i);
            assertEquals("datanadhi", warning.path("logger").asText());
            assertEquals(problem.file(), warning.path("file").asText());
            assertEquals(problem.message(), warning.path("message").asText());
            if (problem.index() == null) {
                assertEquals("rules_file_invalid", warning.path("event").asText());
                assertTrue(warning.path("index").isMissingNode(), warning.toString());
            } else {
                assertEquals("rules_entry_skipped", warning.path("event").asText());
                assertEquals(problem.index().intValue(), warning.path("index").asInt());
            }
            assertFalse(warning.has("stacktrace"), "no stack traces in warnings");
        }
    }

    @Test
    void resolvedRulesFileListsTheValidRulesAndTheProblems() throws IOException {
        Path resolved = datanadhiDir.resolve(".rules.resolved.json");
        assertTrue(Files.isRegularFile(resolved), "missing " + resolved);
        assertFalse(Files.exists(fixtures.resolve(".rules.resolved.json")), "written into the shared folder");
        JsonNode json = RuleTestSupport.JSON.readTree(resolved.toFile());

        int fromApp = 0;
        int fromTyped = 0;
        for (JsonNode rule : json.get("rules")) {
            String source = rule.get("source").asText();
            fromApp += source.equals("rules/app.yml") ? 1 : 0;
            fromTyped += source.equals("rules/typed.yaml") ? 1 : 0;
            assertTrue(rule.get("index").isInt(), rule.toString());
            assertTrue(rule.get("conditions").size() > 0, rule.toString());
        }
        assertEquals(7, fromApp);
        assertEquals(3, fromTyped);
        assertEquals(10, json.get("rules").size());
        JsonNode first = json.get("rules").get(0);
        assertEquals("errors", first.get("name").asText());
        assertEquals(0, first.get("index").asInt());
        assertEquals("log_record.level", first.get("conditions").get(0).get("key").asText());
        assertEquals(result.problems().size(), json.get("problems").size());
        boolean listsUnknownType = false;
        for (JsonNode problem : json.get("problems")) {
            listsUnknownType |= problem.get("file").asText().equals(INVALID)
                    && problem.get("index").asInt() == 2
                    && problem.get("rule").asText().equals("unknown-type");
        }
        assertTrue(listsUnknownType, json.get("problems").toString());
    }

    private static long countRulesFrom(String file) {
        return result.rules().rules().stream().filter(r -> file.equals(r.source())).count();
    }

    private static List<RuleProblem> problemsFor(String file) {
        return result.problems().stream().filter(p -> file.equals(p.file())).collect(Collectors.toList());
    }
}
