package io.datanadhi.agent.rules;

import static io.datanadhi.agent.rules.RuleTestSupport.writeRuleFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.datanadhi.agent.rules.RuleTestSupport.CapturedDiagnostics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the loader reads rule folders, and how it reports what is wrong in them. */
class RuleLoaderTest {

    @TempDir
    Path dir;

    private static final String VALID = "- name: ok\n"
            + "  conditions: [{key: message, type: exact, value: x}]\n"
            + "  pipelines: [p]\n";

    @Test
    void missingRulesFolderGivesNoRulesAndOneNoValidRulesWarning() {
        try (CapturedDiagnostics diagnostics = new CapturedDiagnostics()) {
            RuleLoadResult result = RuleLoader.load(dir);
            assertTrue(result.rules().isEmpty());
            assertTrue(result.problems().isEmpty(), result.problems().toString());
            assertTrue(result.files().isEmpty());
            List<JsonNode> warnings = warnings(diagnostics);
            assertEquals(1, warnings.size(), warnings.toString());
            assertEquals("rules_none_valid", warnings.get(0).get("event").asText());
            assertTrue(warnings.get(0).get("message").asText().contains("ship nothing"));
        }
    }

    @Test
    void missingDataNadhiDirectoryIsNotAnError() {
        RuleLoadResult result = RuleLoader.load(dir.resolve("does-not-exist"));
        assertTrue(result.rules().isEmpty());
        assertTrue(result.problems().isEmpty());
    }

    @Test
    void rulesPathThatIsAFileIsOneProblemAndNoRules() throws IOException {
        Files.writeString(dir.resolve("rules"), "not a folder");
        try (CapturedDiagnostics diagnostics = new CapturedDiagnostics()) {
            RuleLoadResult result = RuleLoader.load(dir);
            assertTrue(result.rules().isEmpty());
            assertEquals(1, result.problems().size());
            assertEquals("rules", result.problems().get(0).file());
            assertNull(result.problems().get(0).index());
            assertEquals(List.of("rules_dir_unreadable", "rules_none_valid"), events(warnings(diagnostics)));
        }
    }

    @Test
    void unreadableRulesFolderIsOneProblemAndNoRules() throws IOException {
        Path rules = Files.createDirectories(dir.resolve("rules"));
        writeRuleFile(dir, "a.yml", VALID);
        Files.setPosixFilePermissions(rules, PosixFilePermissions.fromString("-wx------"));
        try {
            assumeFalse(Files.isReadable(rules), "permissions are not enforced for this user (root)");
            RuleLoadResult result = RuleLoader.load(dir);
            assertTrue(result.rules().isEmpty());
            assertEquals(1, result.problems().size());
            assertTrue(result.problems().get(0).message().contains("cannot list"), result.problems().toString());
        } finally {
            Files.setPosixFilePermissions(rules, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void unreadableRuleFileIsSkippedAndTheOthersStillLoad() throws IOException {
        Path bad = writeRuleFile(dir, "a.yml", VALID);
        writeRuleFile(dir, "b.yml", VALID);
        Files.setPosixFilePermissions(bad, PosixFilePermissions.fromString("-w-------"));
        assumeFalse(Files.isReadable(bad), "permissions are not enforced for this user (root)");
        RuleLoadResult result = RuleLoader.load(dir);
        assertEquals(1, result.rules().size());
        assertEquals("rules/b.yml", result.rules().rules().get(0).source());
        assertEquals(1, result.problems().size());
        assertEquals("rules/a.yml: cannot be read (permission denied); file skipped",
                result.problems().get(0).message());
    }

    @Test
    void folderNamedLikeARuleFileIsSkippedWithAProblem() throws IOException {
        Files.createDirectories(dir.resolve("rules").resolve("odd.yml"));
        writeRuleFile(dir, "real.yml", VALID);
        RuleLoadResult result = RuleLoader.load(dir);
        assertEquals(1, result.rules().size());
        assertEquals(1, result.problems().size());
        assertEquals("rules/odd.yml: not a regular file; skipped", result.problems().get(0).message());
    }

    @Test
    void emptyOrCommentOnlyFileGivesNoRulesAndNoProblem() {
        writeRuleFile(dir, "empty.yml", "");
        writeRuleFile(dir, "comments.yaml", "# nothing here yet\n");
        writeRuleFile(dir, "empty-list.yml", "[]\n");
        writeRuleFile(dir, "real.yml", VALID);
        try (CapturedDiagnostics diagnostics = new CapturedDiagnostics()) {
            RuleLoadResult result = RuleLoader.load(dir);
            assertEquals(1, result.rules().size());
            assertTrue(result.problems().isEmpty(), result.problems().toString());
            assertTrue(warnings(diagnostics).isEmpty(), diagnostics.lines.toString());
            assertEquals(4, result.files().size());
        }
    }

    @Test
    void filesAreReadInNameOrderAndOnlyYmlAndYaml() {
        writeRuleFile(dir, "b.yaml", VALID.replace("[p]", "[second]"));
        writeRuleFile(dir, "a.yml", VALID.replace("[p]", "[first]"));
        writeRuleFile(dir, "c.yml.bak", VALID.replace("[p]", "[never]"));
        writeRuleFile(dir, "notes.txt", "not yaml: [");
        RuleLoadResult result = RuleLoader.load(dir);
        assertEquals(List.of("rules/a.yml", "rules/b.yaml"), result.files());
        assertEquals(List.of("first", "second"),
                result.rules().evaluate(RuleTestSupport.event("{\"message\":\"x\"}")).pipelines());
    }

    @Test
    void brokenYamlIsOneProblemWithLineAndTheOtherFilesStillLoad() {
        writeRuleFile(dir, "a.yml", "- name: broken\n  conditions: [ {key: message\n  pipelines: [p]\n");
        writeRuleFile(dir, "b.yml", VALID);
        RuleLoadResult result = RuleLoader.load(dir);
        assertEquals(1, result.rules().size());
        RuleProblem problem = result.problems().get(0);
        assertEquals("rules/a.yml", problem.file());
        assertTrue(problem.message().matches("rules/a\\.yml: not valid YAML \\(line \\d+, column \\d+: .*\\); file skipped"),
                problem.message());
        assertFalse(problem.message().contains("\n"), "one line");
    }

    @Test
    void severalYamlDocumentsInOneFileSkipTheFile() {
        writeRuleFile(dir, "multi.yml", VALID + "---\n" + VALID);
        RuleLoadResult result = RuleLoader.load(dir);
        assertTrue(result.rules().isEmpty());
        assertEquals(1, result.problems().size());
        assertTrue(result.problems().get(0).message().contains("several YAML documents"));
    }

    @Test
    void topLevelMappingIsOneProblemSayingWhatWasFound() {
        writeRuleFile(dir, "map.yml", "name: stray\nconditions: []\n");
        RuleLoadResult result = RuleLoader.load(dir);
        assertEquals("rules/map.yml: the top level is a mapping, not a list of rules; file skipped",
                result.problems().get(0).message());
    }

    @Test
    void eachInvalidEntryIsOneProblemWithFileIndexNameAndReason() {
        writeRuleFile(dir, "bad.yml", String.join("",
                "- name: no-type\n  conditions: [{key: message, value: x}]\n  pipelines: [p]\n",
                "- name: no-value\n  conditions: [{key: message, type: exact}]\n  pipelines: [p]\n",
                "- name: empty-key\n  conditions: [{key: '', type: exact, value: x}]\n  pipelines: [p]\n",
                "- name: hollow-key\n  conditions: [{key: a..b, type: exact, value: x}]\n  pipelines: [p]\n",
                "- name: number-pipeline\n  conditions: [{key: message, type: exact, value: x}]\n  pipelines: [p, 7]\n",
                "- name: pipelines-text\n  conditions: [{key: message, type: exact, value: x}]\n  pipelines: p\n",
                "- name: negate-text\n  conditions: [{key: m, type: exact, value: x, negate: 'no'}]\n  pipelines: [p]\n",
                "- name: stdout-text\n  conditions: [{key: m, type: exact, value: x}]\n  stdout: 'yes'\n",
                "- name: conditions-map\n  conditions: {key: m, type: exact, value: x}\n  pipelines: [p]\n",
                "- name: condition-text\n  conditions: [message]\n  pipelines: [p]\n",
                "- name: no-conditions\n  pipelines: [p]\n",
                "- name: empty-pipelines\n  conditions: [{key: m, type: exact, value: x}]\n  pipelines: []\n",
                "- name: value-list\n  conditions: [{key: m, type: exact, value: [a]}]\n  pipelines: [p]\n",
                "- name: misspelt\n  conditions: [{key: m, type: exact, value: x}]\n  pipeline: [p]\n",
                "- 42\n"));
        RuleLoadResult result = RuleLoader.load(dir);
        assertTrue(result.rules().isEmpty(), result.rules().rules().toString());
        String[] reasons = {
            "condition 0: no type (expected exact, partial or regex)",
            "condition 0: no value",
            "condition 0: key is empty",
            "condition 0: key \"a..b\" has an empty part",
            "pipeline 1 must be a name (text), not the number 7",
            "pipelines must be a list of names, not the text \"p\"",
            "condition 0: negate must be true or false, not the text \"no\"",
            "stdout must be true or false, not the text \"yes\"",
            "conditions must be a list, not a mapping",
            "condition 0: not a mapping but the text \"message\"",
            "no conditions",
            "no actions (no pipelines, and stdout is not true)",
            "condition 0: value must be text, a number or a boolean, not a list",
            "no actions (no pipelines, and stdout is not true); unknown key \"pipeline\"",
            "not a rule (a mapping) but the number 42",
        };
        assertEquals(reasons.length, result.problems().size(), result.problems().toString());
        for (int i = 0; i < reasons.length; i++) {
            RuleProblem problem = result.problems().get(i);
            assertEquals("rules/bad.yml", problem.file());
            assertEquals(i, problem.index());
            String name = problem.ruleName() == null ? "" : " (\"" + problem.ruleName() + "\")";
            assertEquals("rules/bad.yml entry " + i + name + ": " + reasons[i] + "; rule skipped", problem.message());
        }
    }

    @Test
    void misspeltKeyInAValidRuleIsReportedButTheRuleIsKept() {
        writeRuleFile(dir, "typo.yml", "- name: typo\n"
                + "  conditions: [{key: m, type: exact, value: x, negat: true}]\n"
                + "  pipelines: [p]\n");
        try (CapturedDiagnostics diagnostics = new CapturedDiagnostics()) {
            RuleLoadResult result = RuleLoader.load(dir);
            assertEquals(1, result.rules().size());
            assertEquals("rules/typo.yml entry 0 (\"typo\"): condition 0: unknown key \"negat\"; ignored, rule kept",
                    result.problems().get(0).message());
            assertEquals(List.of("rules_entry_unknown_key"), events(warnings(diagnostics)));
        }
    }

    @Test
    void everyProblemIsWarnedExactlyOnceWithFileAndIndexFields() {
        writeRuleFile(dir, "a.yml", "- name: a\n  conditions: []\n  pipelines: [p]\n" + VALID);
        writeRuleFile(dir, "b.yml", "{not: a list}\n");
        try (CapturedDiagnostics diagnostics = new CapturedDiagnostics()) {
            RuleLoadResult result = RuleLoader.load(dir);
            List<JsonNode> warnings = warnings(diagnostics);
            assertEquals(List.of("rules_entry_skipped", "rules_file_invalid"), events(warnings));
            assertEquals("rules/a.yml", warnings.get(0).get("file").asText());
            assertEquals(0, warnings.get(0).get("index").asInt());
            assertEquals("a", warnings.get(0).get("rule").asText());
            assertEquals("rules/b.yml", warnings.get(1).get("file").asText());
            assertEquals(2, result.problems().size());
        }
    }

    @Test
    void noValidRulesAtAllIsWarnedOnce() {
        writeRuleFile(dir, "a.yml", "- conditions: []\n  pipelines: [p]\n");
        writeRuleFile(dir, "b.yml", "- conditions: [{key: m, type: fuzzy, value: x}]\n  pipelines: [p]\n");
        try (CapturedDiagnostics diagnostics = new CapturedDiagnostics()) {
            RuleLoader.load(dir);
            List<JsonNode> none = diagnostics.events("rules_none_valid");
            assertEquals(1, none.size());
            assertTrue(none.get(0).get("message").asText().startsWith("no valid rules in 2 rule file(s)"),
                    none.get(0).toString());
        }
    }

    @Test
    void resolvedRulesFileIsReplacedAtomicallyAndKeepsNoTempFiles() throws IOException {
        writeRuleFile(dir, "a.yml", VALID);
        RuleLoader.load(dir);
        writeRuleFile(dir, "a.yml", VALID + VALID.replace("name: ok", "name: second"));
        RuleLoader.load(dir);
        JsonNode resolved = RuleTestSupport.JSON.readTree(dir.resolve(".rules.resolved.json").toFile());
        assertEquals(2, resolved.get("rules").size());
        assertEquals("second", resolved.get("rules").get(1).get("name").asText());
        assertEquals(1, resolved.get("rules").get(1).get("index").asInt());
        assertEquals("rules/a.yml", resolved.get("rules").get(1).get("source").asText());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(".rules.resolved.json", "rules"),
                    files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList()));
        }
    }

    @Test
    void failureToWriteTheResolvedFileIsOneWarningNotAnException() throws IOException {
        // A non-empty directory where the file should go cannot be replaced, whoever runs the test.
        Files.createDirectories(dir.resolve(".rules.resolved.json").resolve("occupied"));
        writeRuleFile(dir, "a.yml", VALID);
        try (CapturedDiagnostics diagnostics = new CapturedDiagnostics()) {
            RuleLoadResult result = RuleLoader.load(dir);
            assertEquals(1, result.rules().size());
            assertEquals(List.of("rules_resolved_write_failed"), events(warnings(diagnostics)));
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "temp file left behind");
        }
    }

    private static List<JsonNode> warnings(CapturedDiagnostics diagnostics) {
        return diagnostics.parsed().stream()
                .filter(line -> line.path("level").asText().equals("WARN"))
                .collect(Collectors.toList());
    }

    private static List<String> events(List<JsonNode> lines) {
        return lines.stream().map(line -> line.path("event").asText()).collect(Collectors.toList());
    }
}
