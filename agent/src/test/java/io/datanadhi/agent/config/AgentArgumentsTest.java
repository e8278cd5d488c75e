package io.datanadhi.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentArgumentsTest {
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

    private List<JsonNode> argumentWarnings() {
        List<JsonNode> found = diagnostics.events(ConfigEvents.ARGUMENT_MALFORMED);
        found.addAll(diagnostics.events(ConfigEvents.ARGUMENT_REPEATED));
        found.addAll(diagnostics.events(ConfigEvents.UNKNOWN_KEY));
        return found;
    }

    @Test
    void missingEmptyOrOnlySeparatorArgumentsGiveDefaultsWithoutWarnings() {
        for (String args : Arrays.asList(null, "", "   ", ";", " ; ;; ")) {
            AgentConfig config = new Sources(dir).args(args).resolve();
            assertEquals(10000, config.queueSize(), String.valueOf(args));
        }
        assertTrue(argumentWarnings().isEmpty(), diagnostics.all());
    }

    @Test
    void trailingSemicolonIsIgnored() {
        AgentConfig config = new Sources(dir).args("async.workers=3;").resolve();
        assertEquals(3, config.workers());
        assertTrue(argumentWarnings().isEmpty(), diagnostics.all());
    }

    @Test
    void valueMayContainEqualsSigns() {
        AgentConfig config = new Sources(dir).args("module_name=a=b==c;async.workers=4").resolve();
        assertEquals("a=b==c", config.moduleName());
        assertEquals(4, config.workers());
    }

    @Test
    void whitespaceAroundEntriesKeysAndValuesIsTrimmed() {
        AgentConfig config = new Sources(dir)
                .args("  server.host =  http://h:9/  ;\tasync.queue_size\t=\t12 ; ")
                .resolve();
        assertEquals("http://h:9", config.serverHost());
        assertEquals(12, config.queueSize());
        assertEquals("agent argument server.host", config.setting("server.host").sourceDetail());
    }

    @Test
    void entryWithoutKeyValueWarnsOnceAndTheRestStillApplies() {
        AgentConfig config = new Sources(dir).args("verbose;async.workers=5").resolve();
        assertEquals(5, config.workers());
        List<JsonNode> warnings = diagnostics.events(ConfigEvents.ARGUMENT_MALFORMED);
        assertEquals(1, warnings.size(), diagnostics.all());
        assertEquals("verbose", warnings.get(0).path("entry").asText());
    }

    @Test
    void entryWithoutKeyIsNotEchoedWhenItMayBeASecret() {
        new Sources(dir).args("sk-live/9f8e7d6c5b4a").resolve();
        assertEquals(1, diagnostics.events(ConfigEvents.ARGUMENT_MALFORMED).size(), diagnostics.all());
        assertFalse(diagnostics.all().contains("9f8e7d6c5b4a"), diagnostics.all());
    }

    @Test
    void entryWithEmptyKeyWarnsOnce() {
        new Sources(dir).args("=5").resolve();
        assertEquals(1, diagnostics.events(ConfigEvents.ARGUMENT_MALFORMED).size(), diagnostics.all());
    }

    @Test
    void repeatedKeyWarnsOnceAndTheLastValueWins() {
        AgentConfig config = new Sources(dir).args("async.workers=2;async.workers=6").resolve();
        assertEquals(6, config.workers());
        List<JsonNode> warnings = diagnostics.events(ConfigEvents.ARGUMENT_REPEATED);
        assertEquals(1, warnings.size(), diagnostics.all());
        assertEquals("async.workers", warnings.get(0).path("key").asText());
    }

    @Test
    void unknownArgumentKeyWarnsOnceWithASuggestion() {
        AgentConfig config = new Sources(dir).args("async.queue_sise=5").resolve();
        assertEquals(10000, config.queueSize());
        List<JsonNode> warnings = diagnostics.events(ConfigEvents.UNKNOWN_KEY);
        assertEquals(1, warnings.size(), diagnostics.all());
        assertEquals("agent argument async.queue_sise", warnings.get(0).path("source").asText());
        assertEquals("async.queue_sise", warnings.get(0).path("key").asText());
        assertTrue(warnings.get(0).path("message").asText().contains("did you mean async.queue_size?"));
    }
}
