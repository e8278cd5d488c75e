package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar datanadhi-agent.jar doctor}, run as a user would, against real setups. */
class DoctorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        new EchoPostProcesses(dir).killAll();
    }

    /** One doctor run: its exit code, its text and, with --json, its report. */
    private static final class Checkup {
        final int exitCode;
        final String output;

        Checkup(int exitCode, String output) {
            this.exitCode = exitCode;
            this.output = output;
        }

        JsonNode json() throws IOException {
            return JSON.readTree(output);
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n" + output;
        }
    }

    private Checkup doctor(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Env.java(), "-jar", Env.agentJar().toString(), "doctor",
                "--dir", dir.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("DATANADHI_") || name.equals("JAVA_TOOL_OPTIONS"));
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "doctor did not finish");
        return new Checkup(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    private Map<String, String> servers(IngestServer primary, IngestServer fallback) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DATANADHI_SERVER_HOST", primary.url());
        env.put("DATANADHI_FALLBACK_SERVER_HOST", fallback.url());
        env.put("DATANADHI_API_KEY", TestRules.API_KEY);
        return env;
    }

    private IngestServer server() throws IOException {
        IngestServer server = new IngestServer();
        closing.add(server);
        return server;
    }

    /** From the .rules.resolved.json a running agent rewrites at each reload: when, by whom, and what changed since. */
    @Test
    void saysWhenARunningAgentLastLoadedTheRulesAndWhatChangedSince() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        IngestServer primary = server();
        Map<String, String> env = servers(primary, server());
        java.nio.file.Path stop = dir.resolve("stop");
        AppRun.Running app = AppRun.jul("live", "1", "1", "5000", stop.toString()).shippingTo(primary, dir).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!app.stderrSoFar().contains("\"event\":\"agent_started\"") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            JsonNode running = doctor(env, "--json").json().get("rules").get("last_loaded");
            assertTrue(running.get("known").asBoolean(), running.toString());
            assertEquals(app.pid(), running.get("pid").asLong(), running.toString());
            assertTrue(running.get("agent_running").asBoolean(), running.toString());
            assertEquals(1, running.get("rules").asInt(), running.toString());
        } finally {
            Files.createFile(stop);
            app.await();
        }
        Thread.sleep(20);
        TestRules.write(dir, "later.yml", TestRules.EVERYTHING);
        Checkup after = doctor(env);
        assertTrue(after.output.contains("(no longer running)"), after.output);
        assertTrue(after.output.contains("changed since: rules/later.yml"), after.output);
    }

    @Test
    void aHealthySetupExitsZeroAndShowsWhereEachValueComesFrom() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        Map<String, String> env = servers(server(), server());
        env.put("DATANADHI_QUEUE_SIZE", "2048");
        Checkup text = doctor(env);
        assertEquals(0, text.exitCode, text.toString());
        assertTrue(text.output.contains("Everything looks healthy."), text.output);
        assertTrue(text.output.matches("(?s).*async\\.queue_size +2048 +env DATANADHI_QUEUE_SIZE.*"), text.output);
        assertFalse(text.output.contains(TestRules.API_KEY), "the API key is masked");

        Checkup json = doctor(env, "--json");
        assertEquals(0, json.exitCode, json.toString());
        JsonNode report = json.json();
        assertTrue(report.get("healthy").asBoolean());
        assertEquals(1, report.get("rules").get("valid_rules").asInt());
        assertTrue(report.get("servers").get("primary").get("reachable").asBoolean());
        assertEquals(200, report.get("servers").get("fallback").get("status").asInt());
        assertEquals(0, report.get("dropped").get("records").asInt());
        assertFalse(report.get("echopost").get("installed").asBoolean());
        assertFalse(json.output.contains(TestRules.API_KEY), "the API key is masked");
    }

    @Test
    void aBrokenConfigAndBrokenRulesAreNamedAndExitOne() throws Exception {
        TestRules.write(dir, "app.yml", String.join("\n",
                "- name: fine",
                "  conditions:",
                "    - {key: message, type: partial, value: order}",
                "  pipelines: [orders]",
                "- name: fuzzy",
                "  conditions:",
                "    - {key: message, type: fuzzy, value: x}",
                "  pipelines: [p]",
                ""));
        Files.writeString(dir.resolve("config.yml"), "async:\n  workers: many\n");
        Checkup json = doctor(servers(server(), server()), "--json");
        assertEquals(1, json.exitCode, json.toString());
        JsonNode report = json.json();
        assertFalse(report.get("healthy").asBoolean());
        JsonNode ruleProblem = report.get("rules").get("problems").get(0);
        assertEquals("rules/app.yml", ruleProblem.get("file").asText());
        assertEquals(1, ruleProblem.get("index").asInt());
        String problems = report.get("problems").toString();
        assertTrue(problems.contains("async.workers") && problems.contains("many"), problems);
        assertTrue(problems.contains("rules/app.yml entry 1"), problems);

        Checkup text = doctor(servers(server(), server()));
        assertEquals(1, text.exitCode);
        assertTrue(text.output.contains("Needs attention (2):"), text.output);
    }

    @Test
    void anUnreachableServerIsReported() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Map<String, String> env = servers(server(), server());
        env.put("DATANADHI_SERVER_HOST", "http://127.0.0.1:" + closedPort);
        Checkup json = doctor(env, "--json");
        assertEquals(1, json.exitCode, json.toString());
        JsonNode primary = json.json().get("servers").get("primary");
        assertFalse(primary.get("reachable").asBoolean());
        assertTrue(primary.get("error").asText().contains("ConnectException"), primary.toString());
        assertTrue(json.json().get("servers").get("fallback").get("reachable").asBoolean());
    }

    @Test
    void droppedRecordsAreCountedByReason() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        Path dropped = Files.createDirectories(dir.resolve("dropped"));
        String line = "{\"pipelines\":[\"p\"],\"log_data\":{\"message\":\"m\"}}\n";
        Files.writeString(dropped.resolve("primary_failed_1732000000000_1.jsonl"), line.repeat(3));
        Files.writeString(dropped.resolve("primary_failed_1732000000001_2.jsonl"), line.repeat(4));
        Files.writeString(dropped.resolve("queue_full_1732000000002_3.jsonl"), line.repeat(2));
        Checkup json = doctor(servers(server(), server()), "--json");
        assertEquals(1, json.exitCode, json.toString());
        JsonNode section = json.json().get("dropped");
        assertEquals(9, section.get("records").asInt());
        assertEquals(7, section.get("by_reason").get("primary_failed").get("records").asInt());
        assertEquals(2, section.get("by_reason").get("primary_failed").get("files").asInt());
        assertEquals(2, section.get("by_reason").get("queue_full").get("records").asInt());
        assertTrue(json.json().get("problems").toString().contains("replay-dropped"), json.output);
    }

    @Test
    void aRunningEchoPostWithABacklogShowsItsPidCountAndAge() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        IngestServer primary = server();
        primary.stop(); // down: the records go to EchoPost, which keeps them until the server is back
        long before = System.currentTimeMillis();
        AppRun.Result run = AppRun.jul("sequence", "25", "0").shippingTo(primary, dir)
                .env("DATANADHI_EXIT_TIMEOUT", "30").run(); // time to install and start EchoPost on a busy machine
        assertEquals(0, run.exitCode, run.toString());
        ProcessHandle echoPost = new EchoPostProcesses(dir).awaitOne(10_000);

        Checkup json = doctor(servers(primary, server()), "--json");
        long after = System.currentTimeMillis();
        assertEquals(1, json.exitCode, json.toString());
        JsonNode section = json.json().get("echopost");
        assertTrue(section.get("installed").asBoolean(), section.toString());
        assertTrue(section.get("running").asBoolean(), section.toString());
        assertEquals(echoPost.pid(), section.get("pid").asLong());
        assertEquals(25, section.get("backlog").asInt(), section + "\n" + run);
        long age = section.get("oldest_age_seconds").asLong();
        assertTrue(age >= 0 && age <= (after - before) / 1000 + 1, "age " + age + " s");
        assertEquals(0, section.get("quarantined_segments").asInt());
        assertTrue(json.json().get("problems").toString().contains("EchoPost holds 25 record(s)"), json.output);
        assertFalse(json.json().get("servers").get("primary").get("reachable").asBoolean());
    }
}
