package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent is configured the way Java agents are: agent arguments, properties, environment. */
class ConfigurationTest {

    @TempDir
    Path dir;

    @Test
    void agentArgumentsWinOverPropertiesAndEnvironment() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        try (IngestServer wanted = new IngestServer(); IngestServer ignored = new IngestServer()) {
            AppRun.Result run = AppRun.jul("sequence", "3", "0")
                    .agentArgs("server.host=" + wanted.url() + ";dir=" + dir)
                    .jvm("-Ddatanadhi.server.host=" + ignored.url())
                    .env("DATANADHI_SERVER_HOST", ignored.url())
                    .env("DATANADHI_API_KEY", TestRules.API_KEY)
                    .run();
            assertEquals(0, run.exitCode, run.toString());
            assertEquals(3, wanted.records().size(), run.toString());
            assertTrue(ignored.requests().isEmpty());
        }
        JsonNode resolved = IngestServer.JSON.readTree(dir.resolve(".config.resolved.json").toFile());
        assertEquals("argument", resolved.at("/config/server.host/source").asText(), resolved.toString());
        assertEquals("env", resolved.at("/config/api_key/source").asText());
        assertFalse(resolved.toString().contains(TestRules.API_KEY), "the API key is masked");
    }

    @Test
    void stdoutRulePrintsEachRecordAsOneJsonLineEvenWithoutAnApiKey() throws Exception {
        TestRules.write(dir, "print.yml", String.join("\n",
                "- name: print-warnings",
                "  conditions:",
                "    - {key: log_record.level, type: exact, value: WARNING}",
                "  stdout: true",
                ""));
        AppRun.Result run = AppRun.jul("basic").env("DATANADHI_DIR", dir.toString()).run();
        assertEquals(0, run.exitCode, run.toString());
        List<JsonNode> printed = new ArrayList<>();
        for (String line : run.stdout.lines().filter(l -> l.startsWith("{")).toArray(String[]::new)) {
            printed.add(IngestServer.JSON.readTree(line));
        }
        assertEquals(1, printed.size(), run.stdout);
        assertEquals("stock low for sku-1: 3 left", printed.get(0).get("message").asText());
        assertEquals("WARNING", printed.get(0).at("/log_record/level").asText());
        assertEquals(1, run.agentLines("WARN").size(), "only the missing API key: " + run.agentLines());
        assertTrue(Files.exists(dir.resolve(".rules.resolved.json")));
    }
}
