package io.datanadhi.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.datanadhi.agent.diag.Diagnostics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeyTest {
    private static final String KEY = "dn-live-0123456789abcdef";

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

    private Path keyFile(String content) throws Exception {
        Path file = dir.resolve("api-key");
        Files.write(file, content.getBytes(StandardCharsets.UTF_8));
        return file;
    }

    @Test
    void apiKeyFromTheEnvironmentIsUsedAndRedactedFromDiagnostics() {
        AgentConfig config = new Sources(dir).env("DATANADHI_API_KEY", KEY).resolve();
        assertEquals(KEY, config.apiKey());
        Diagnostics.warn("test_event", "a message that quotes " + KEY);
        assertFalse(diagnostics.all().contains(KEY), diagnostics.all());
        assertTrue(diagnostics.events().isEmpty() || diagnostics.events("api_key_missing").isEmpty());
    }

    @Test
    void apiKeyIsReadFromTheKeyFileAndTrimmed() throws Exception {
        Path file = keyFile("  " + KEY + "\n\n");
        AgentConfig config = new Sources(dir).env("DATANADHI_API_KEY_FILE", file.toString()).resolve();
        assertEquals(KEY, config.apiKey());
        assertEquals(SourceKind.ENV, config.setting("api_key").source());
        assertTrue(config.setting("api_key").sourceDetail().contains("env DATANADHI_API_KEY_FILE"));
        assertTrue(diagnostics.events().isEmpty(), diagnostics.all());
    }

    @Test
    void keyFileFromAHigherSourceBeatsAKeyFromALowerSource() throws Exception {
        Path file = keyFile(KEY);
        AgentConfig config = new Sources(dir)
                .property("datanadhi.api_key_file", file.toString())
                .env("DATANADHI_API_KEY", "dn-other-key-from-env")
                .resolve();
        assertEquals(KEY, config.apiKey());
    }

    @Test
    void keyBeatsKeyFileFromTheSameSource() throws Exception {
        Path file = keyFile("dn-key-from-the-file-0000");
        AgentConfig config = new Sources(dir)
                .env("DATANADHI_API_KEY_FILE", file.toString())
                .env("DATANADHI_API_KEY", KEY)
                .resolve();
        assertEquals(KEY, config.apiKey());
    }

    @Test
    void unreadableKeyFileIsOneWarningAndNothingIsShipped() {
        Path missing = dir.resolve("no-such-key-file");
        AgentConfig config = new Sources(dir).env("DATANADHI_API_KEY_FILE", missing.toString()).resolve();
        assertNull(config.apiKey());
        assertEquals(1, diagnostics.events().size(), diagnostics.all());
        JsonNode warning = diagnostics.events().get(0);
        assertEquals(ConfigEvents.API_KEY_FILE_UNREADABLE, warning.path("event").asText());
        assertEquals("env DATANADHI_API_KEY_FILE", warning.path("source").asText());
        assertEquals(missing.toString(), warning.path("value").asText());
        assertTrue(warning.path("message").asText().contains("nothing will be shipped"), warning.toString());
    }

    @Test
    void emptyKeyFileIsOneWarning() throws Exception {
        Path file = keyFile(" \n");
        AgentConfig config = new Sources(dir).env("DATANADHI_API_KEY_FILE", file.toString()).resolve();
        assertNull(config.apiKey());
        assertEquals(1, diagnostics.events().size(), diagnostics.all());
        assertEquals(ConfigEvents.API_KEY_FILE_UNREADABLE, diagnostics.events().get(0).path("event").asText());
    }

    @Test
    void missingApiKeyIsOneWarningSayingNothingIsShipped() {
        AgentConfig config = new Sources(dir).resolve();
        assertNull(config.apiKey());
        assertNull(config.setting("api_key").value());
        List<JsonNode> warnings = diagnostics.events(ConfigEvents.API_KEY_MISSING);
        assertEquals(1, warnings.size(), diagnostics.all());
        assertEquals(1, diagnostics.events().size(), diagnostics.all());
        assertTrue(warnings.get(0).path("message").asText().contains("nothing will be shipped"));
        assertTrue(warnings.get(0).path("message").asText().contains("runs normally"));
    }

    @Test
    void apiKeyAsAnAgentArgumentIsUsedButWarnedOnceAsVisible() {
        AgentConfig config = new Sources(dir).args("api_key=" + KEY).resolve();
        assertEquals(KEY, config.apiKey());
        List<JsonNode> warnings = diagnostics.events(ConfigEvents.API_KEY_EXPOSED);
        assertEquals(1, warnings.size(), diagnostics.all());
        assertEquals("agent argument api_key", warnings.get(0).path("source").asText());
        assertTrue(warnings.get(0).path("message").asText().contains("DATANADHI_API_KEY_FILE"));
    }

    @Test
    void apiKeyAsASystemPropertyIsUsedButWarnedOnceAsVisible() {
        AgentConfig config = new Sources(dir)
                .property("datanadhi.api_key", KEY)
                .args("api_key=" + KEY)
                .resolve();
        assertEquals(KEY, config.apiKey());
        assertEquals(1, diagnostics.events(ConfigEvents.API_KEY_EXPOSED).size(), diagnostics.all());
    }

    @Test
    void apiKeyFromTheEnvironmentIsNotWarnedAbout() {
        new Sources(dir).env("DATANADHI_API_KEY", KEY).resolve();
        assertTrue(diagnostics.events().isEmpty(), diagnostics.all());
    }

    @Test
    void invalidApiKeyIsMaskedInItsWarning() {
        String bad = "dn live with spaces 0123456789";
        AgentConfig config = new Sources(dir).env("DATANADHI_API_KEY", bad).resolve();
        assertNull(config.apiKey());
        List<JsonNode> warnings = diagnostics.events(ConfigEvents.INVALID_VALUE);
        assertEquals(1, warnings.size(), diagnostics.all());
        assertEquals("****6789", warnings.get(0).path("value").asText());
        assertFalse(diagnostics.all().contains("with spaces"), diagnostics.all());
        assertTrue(diagnostics.events(ConfigEvents.API_KEY_MISSING).isEmpty(), "already reported as unusable");
    }

    @Test
    void apiKeyNeverAppearsInAnyWarningOrInTheResolvedFile() throws Exception {
        new Sources(dir)
                .args("api_key=" + KEY + ";async.workers=many;bogus=1")
                .property("datanadhi.api_key", KEY)
                .env("DATANADHI_API_KEY", KEY)
                .env("DATANADHI_QUEUE_SIZE", KEY)
                .configYml("api_key: " + KEY + "\nserver:\n  host: " + KEY + "\napikey: " + KEY + "\n")
                .resolve();
        AgentConfig config = new Sources(dir).args("api_key=" + KEY).resolve();
        assertTrue(ResolvedConfigWriter.write(config));
        String resolved = Files.readString(dir.resolve(ResolvedConfigWriter.FILE_NAME));

        assertFalse(diagnostics.lines().isEmpty());
        for (String line : diagnostics.lines()) {
            assertFalse(line.contains(KEY), line);
        }
        assertFalse(config.toString().contains(KEY), config.toString());
        assertFalse(resolved.contains(KEY), resolved);
        assertTrue(resolved.contains("\"****cdef\""), resolved);
        assertEquals("****cdef", config.setting("api_key").value());
    }

    @Test
    void maskShowsTheLastFourCharactersOnlyOfLongKeys() {
        assertEquals("****", ApiKeys.mask("short-key"));
        assertEquals("****", ApiKeys.mask("elevenchars"));
        assertEquals("****0000", ApiKeys.mask("twelve--0000"));
        assertNull(ApiKeys.mask(null));
    }
}
