package io.datanadhi.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileTest {
    @TempDir
    Path dir;

    private DiagnosticsCapture diagnostics;

    @BeforeEach
    void capture() {
        diagnostics = new DiagnosticsCapture();
    }

    @AfterEach
    void restore() {
        diagnostics.close();
    }

    private List<JsonNode> configWarnings() {
        return diagnostics.events().stream()
                .filter(e -> e.path("event").asText().startsWith("config_"))
                .collect(Collectors.toList());
    }

    @Test
    void malformedYamlWarnsOnceNamingTheFileAndOtherSourcesStillApply() {
        AgentConfig config = new Sources(dir)
                .configYml("async:\n  workers: 5\n  queue_size: [1, 2\nserver:\n  host: http://file:1\n")
                .env("DATANADHI_SERVER_HOST", "http://env:2")
                .args("async.exit_timeout=7")
                .resolve();
        assertEquals("http://env:2", config.serverHost());
        assertEquals(7, config.exitTimeout().getSeconds());
        assertEquals(2, config.workers(), "the file's values are ignored");
        List<JsonNode> warnings = configWarnings();
        assertEquals(1, warnings.size(), diagnostics.all());
        JsonNode warning = warnings.get(0);
        assertEquals(ConfigEvents.FILE_MALFORMED, warning.path("event").asText());
        assertEquals(dir.resolve("config.yml").toString(), warning.path("file").asText());
        assertTrue(warning.path("message").asText().contains("config.yml is not valid YAML (line "),
                warning.toString());
        assertFalse(warning.has("stacktrace"), warning.toString());
    }

    @Test
    void malformedYamlWarningDoesNotQuoteTheOffendingLine() {
        new Sources(dir).configYml("server:\n  host: http://x\n api_key: dn-secret-0123456789: x\n").resolve();
        assertEquals(1, diagnostics.events(ConfigEvents.FILE_MALFORMED).size(), diagnostics.all());
        assertFalse(diagnostics.all().contains("dn-secret-0123456789"), diagnostics.all());
    }

    @Test
    void fileThatIsNotAMappingWarnsOnce() {
        AgentConfig config = new Sources(dir).configYml("- server.host\n- async.workers\n").resolve();
        assertEquals(2, config.workers());
        assertEquals(1, diagnostics.events(ConfigEvents.FILE_MALFORMED).size(), diagnostics.all());
    }

    @Test
    void emptyFileOrOnlyCommentsIsFine() {
        new Sources(dir).configYml("# nothing yet\n").resolve();
        new Sources(dir).configYml("").resolve();
        assertTrue(configWarnings().isEmpty(), diagnostics.all());
    }

    @Test
    void unreadableFileWarnsOnceAndOtherSourcesStillApply() throws Exception {
        Files.createDirectory(dir.resolve("config.yml"));
        AgentConfig config = new Sources(dir).env("DATANADHI_WORKERS", "3").resolve();
        assertEquals(3, config.workers());
        List<JsonNode> warnings = configWarnings();
        assertEquals(1, warnings.size(), diagnostics.all());
        assertEquals(ConfigEvents.FILE_UNREADABLE, warnings.get(0).path("event").asText());
    }

    @Test
    void configYamlIsReadWhenThereIsNoConfigYml() {
        AgentConfig config = new Sources(dir).file("config.yaml", "async:\n  workers: 9\n").resolve();
        assertEquals(9, config.workers());
        assertEquals("file " + dir.resolve("config.yaml"), config.setting("async.workers").sourceDetail());
        assertTrue(configWarnings().isEmpty(), diagnostics.all());
    }

    @Test
    void bothConfigYmlAndConfigYamlUsesConfigYmlAndWarnsOnce() {
        AgentConfig config = new Sources(dir)
                .configYml("async:\n  workers: 3\n")
                .file("config.yaml", "async:\n  workers: 4\n")
                .resolve();
        assertEquals(3, config.workers());
        List<JsonNode> warnings = configWarnings();
        assertEquals(1, warnings.size(), diagnostics.all());
        assertEquals(ConfigEvents.FILE_DUPLICATE, warnings.get(0).path("event").asText());
        assertEquals(dir.resolve("config.yaml").toString(), warnings.get(0).path("ignored").asText());
    }

    @Test
    void unknownFileKeyWarnsOnceEachWithASuggestion() {
        AgentConfig config = new Sources(dir)
                .configYml("sever:\n  host: http://x:1\ncolour: blue\nasync:\n  workers: 3\n")
                .resolve();
        assertEquals(3, config.workers());
        List<JsonNode> warnings = diagnostics.events(ConfigEvents.UNKNOWN_KEY);
        assertEquals(2, warnings.size(), diagnostics.all());
        assertEquals("sever.host", warnings.get(0).path("key").asText());
        assertTrue(warnings.get(0).path("message").asText().contains("did you mean server.host?"));
        assertEquals("file " + dir.resolve("config.yml"), warnings.get(0).path("source").asText());
        assertEquals("colour", warnings.get(1).path("key").asText());
    }

    @Test
    void unknownKeyWarningDoesNotShowTheValue() {
        new Sources(dir).configYml("apikey: dn-typo-secret-value\n").resolve();
        assertEquals(1, diagnostics.events(ConfigEvents.UNKNOWN_KEY).size(), diagnostics.all());
        assertFalse(diagnostics.all().contains("dn-typo-secret-value"), diagnostics.all());
    }

    @Test
    void unknownDatanadhiPropertyWarnsOnceAndOtherPropertiesAreNotRead() {
        new Sources(dir)
                .property("datanadhi.server.hots", "http://x:1")
                .property("java.version", "17")
                .property("user.dir", "/")
                .resolve();
        List<JsonNode> warnings = diagnostics.events(ConfigEvents.UNKNOWN_KEY);
        assertEquals(1, warnings.size(), diagnostics.all());
        assertEquals("property datanadhi.server.hots", warnings.get(0).path("source").asText());
    }

    @Test
    void unknownDatanadhiEnvironmentVariablesAreNotWarned() {
        new Sources(dir).env("DATANADHI_SOMETHING_ELSE", "1").resolve();
        assertTrue(configWarnings().isEmpty(), diagnostics.all());
    }

    @Test
    void dirInTheFileIsIgnoredWithOneWarning(@TempDir Path elsewhere) {
        AgentConfig config = new Sources(dir).configYml("dir: " + elsewhere + "\n").resolve();
        assertEquals(dir.toAbsolutePath().normalize(), config.dir());
        List<JsonNode> warnings = configWarnings();
        assertEquals(1, warnings.size(), diagnostics.all());
        assertEquals(ConfigEvents.KEY_IGNORED, warnings.get(0).path("event").asText());
    }

    @Test
    void dottedKeysInTheFileWorkLikeNestedOnes() {
        AgentConfig config = new Sources(dir).configYml("async.workers: 6\n").resolve();
        assertEquals(6, config.workers());
    }
}
