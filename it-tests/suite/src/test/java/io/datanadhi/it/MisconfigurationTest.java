package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input gets one clear warning and a safe default; the application's own output is the same
 * as without the agent, and the agent never prints a stack trace.
 */
class MisconfigurationTest {

    @TempDir
    Path dir;
    IngestServer server;
    AppRun.Result baseline;

    @BeforeEach
    void setUp() throws Exception {
        server = new IngestServer();
        baseline = AppRun.logback("basic").withoutAgent().run();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void noRulesWarnsOnceAndShipsNothing() throws Exception {
        AppRun.Result run = AppRun.logback("basic").shippingTo(server, dir).run();
        assertUnchanged(run);
        assertOneWarning(run, "rules_none_valid");
        assertEquals(List.of(), server.records(), "records shipped (path, agent, body)");
    }

    @Test
    void missingApiKeyWarnsOnceAndShipsNothing() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        AppRun.Result run = AppRun.logback("basic")
                .env("DATANADHI_DIR", dir.toString())
                .env("DATANADHI_SERVER_HOST", server.url())
                .run();
        assertUnchanged(run);
        assertOneWarning(run, "api_key_missing");
        assertEquals(List.of(), server.records(), "records shipped (path, agent, body)");
        assertTrue(server.requests().isEmpty(), "not even a connection: " + server.requests());
    }

    @Test
    void malformedConfigFileWarnsOnceAndTheRestStillWorks() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.ORDERS_WARNINGS_ERRORS);
        Files.writeString(dir.resolve("config.yml"), "server:\n  host: [unclosed\n async: {queue_size: 5\n");
        AppRun.Result run = AppRun.logback("basic").shippingTo(server, dir).run();
        assertUnchanged(run);
        String warning = assertOneWarning(run, "config_file_malformed");
        assertTrue(warning.contains("config.yml"), warning);
        assertEquals(3, server.records().size(), "environment and defaults still apply: " + server.records());
    }

    @Test
    void unparsableQueueSizeWarnsOnceAndUsesTheDefault() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.ORDERS_WARNINGS_ERRORS);
        AppRun.Result run = AppRun.logback("basic").shippingTo(server, dir).env("DATANADHI_QUEUE_SIZE", "lots").run();
        assertUnchanged(run);
        String warning = assertOneWarning(run, "config_invalid_value");
        assertTrue(warning.contains("DATANADHI_QUEUE_SIZE") && warning.contains("lots") && warning.contains("10000"), warning);
        assertEquals(3, server.records().size());
        assertTrue(Files.readString(dir.resolve(".config.resolved.json")).contains("10000"));
    }

    private void assertUnchanged(AppRun.Result run) {
        assertEquals(baseline.exitCode, run.exitCode, run.toString());
        assertEquals(baseline.appLines(), run.appLines());
        List<String> appStdout = run.stdout.lines().filter(l -> !l.startsWith("{")).collect(java.util.stream.Collectors.toList());
        List<String> baselineStdout = baseline.stdout.lines().collect(java.util.stream.Collectors.toList());
        assertEquals(baselineStdout, appStdout, "Logback's console output is untouched");
        assertFalse(run.stderr.contains("\tat "), "no stack trace from the agent: " + run.stderr);
        assertFalse(run.stderr.contains("Exception"), "no exception from the agent: " + run.stderr);
    }

    private static String assertOneWarning(AppRun.Result run, String event) {
        List<String> warnings = run.agentLines("WARN");
        assertEquals(1, warnings.size(), "exactly one warning: " + warnings);
        assertTrue(warnings.get(0).contains("\"event\":\"" + event + "\""), warnings.get(0));
        assertFalse(run.stderr.contains(TestRules.API_KEY), "the API key never appears");
        return warnings.get(0);
    }
}
