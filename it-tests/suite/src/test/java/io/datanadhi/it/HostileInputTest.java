package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.it.IngestServer.Received;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Values and exceptions that misbehave (the sample apps' {@code hostile} scenario, see
 * {@code HostileInput}): with the agent the application prints exactly what it prints without
 * it, exits 0, and the ordinary event logged after each hostile one arrives.
 */
class HostileInputTest {

    private static final List<String> PHASES = List.of("early", "ready");
    private static final int MAX_MESSAGE_BYTES = 32 * 1024;

    @TempDir
    Path dir;
    IngestServer server;

    @BeforeEach
    void startServer() throws Exception {
        server = new IngestServer();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void logbackAppGoesOnAndLaterEventsArriveWhateverItLogs() throws Exception {
        runBothWays(AppRun::logback, List.of("throwing-toString", "recursive-toString", "null-message",
                "huge-message", "huge-mdc-value", "many-mdc-entries", "throwing-key-value",
                "self-containing-key-value", "throwing-getMessage", "cyclic-causes", "own-cause", "self-suppressed"));
        List<Received> many = server.records(r -> r.message().equals("many mdc entries"));
        assertEquals(2, many.size());
        for (Received r : many) {
            assertEquals(1000, r.logData().get("context").size(), "at most 1 000 context entries");
            assertTrue(r.logData().get("log_record").get("truncated").asBoolean(), r.toString().substring(0, 300));
        }
        for (Received r : server.records(r -> r.message().equals("throwing key-value"))) {
            assertTrue(r.logData().get("context").get("hostile").asText().endsWith(".toString() threw java.lang.IllegalStateException)"));
        }
        assertEquals(2, server.records(r -> r.message().equals("self-containing key-value")).size());
    }

    @Test
    void julAppGoesOnAndLaterEventsArriveWhateverItLogs() throws Exception {
        runBothWays(AppRun::jul, List.of("throwing-toString", "recursive-toString", "null-message", "huge-message",
                "throwing-getMessage", "cyclic-causes", "own-cause", "self-suppressed"));
    }

    @Test
    void log4j2AppGoesOnAndLaterEventsArriveWhateverItLogs() throws Exception {
        runBothWays(AppRun::log4j2, List.of("throwing-toString", "recursive-toString", "throwing-parameter",
                "null-message", "huge-message", "huge-mdc-value", "many-mdc-entries", "throwing-getMessage",
                "cyclic-causes", "own-cause", "self-suppressed"));
    }

    /** Runs the scenario without the agent, then with it, and checks what must hold for every framework. */
    private AppRun.Result runBothWays(Function<String[], AppRun> app, List<String> cases) throws Exception {
        TestRules.write(dir, "all.yml", TestRules.EVERYTHING);
        // Rules that read the message and the context of every event, hostile values included
        // (decided from the framework's event, or by the record view for a value it must copy):
        // they match nothing, and change nothing of what is shipped or of what the app sees.
        TestRules.write(dir, "reads.yml", String.join("\n",
                "- name: reads",
                "  any_condition_match: true",
                "  conditions:",
                "    - {key: message, type: regex, value: '^no such message'}",
                "    - {key: message, type: partial, value: 'no such text'}",
                "    - {key: context.hostile, type: exact, value: 'x'}",
                "    - {key: context.loop, type: partial, value: 'no such element'}",
                "    - {key: context.huge, type: regex, value: '[0-9]+z'}",
                "    - {key: context.hostile.inner, type: exact, value: 'x'}",
                "  pipelines: [never]",
                ""));
        AppRun.Result alone = app.apply(new String[] {"hostile"}).withoutAgent().run();
        AppRun.Result run = app.apply(new String[] {"hostile"}).shippingTo(server, dir).run();
        String summary = summary(run);
        assertEquals(0, alone.exitCode, alone.stdout.length() > 4096 ? alone.appLines().toString() : alone.toString());
        assertEquals(0, run.exitCode, summary);
        assertEquals(alone.appLines(), run.appLines(), "the application sees the same with and without the agent");
        for (String phase : PHASES) {
            for (String c : cases) {
                String after = "after " + c + " " + phase;
                assertTrue(run.appLines().contains("app: " + after), after + "\n" + summary);
                assertEquals(1, server.records(r -> r.message().equals(after)).size(),
                        "the event after " + c + " (" + phase + ") arrived once\n" + summary);
            }
        }
        List<Received> huge = server.records(r -> r.message().startsWith("0123456789abc"));
        assertEquals(2, huge.size(), summary);
        for (Received r : huge) {
            assertTrue(r.logData().get("log_record").path("truncated").booleanValue(), "a 10 MB message is cut");
            assertCut(r.message());
        }
        for (Received r : server.records(r -> r.message().equals("huge mdc value"))) {
            assertCut(r.logData().get("context").get("huge").asText());
        }
        for (String cycle : List.of("cyclic causes", "own cause", "self suppressed")) {
            List<Received> records = server.records(r -> r.message().equals(cycle));
            assertEquals(2, records.size(), cycle + "\n" + summary);
            for (Received r : records) {
                assertTrue(stackTrace(r).contains("[CIRCULAR REFERENCE: "), stackTrace(r));
            }
        }
        for (Received r : server.records(r -> r.message().equals("getMessage throws"))) {
            assertTrue(r.logData().get("context").get("error").get("message").asText().contains(".getMessage() threw "));
        }
        return run;
    }

    /** Within the default cap, and the cap is used: at most a character (4 bytes) short of it. */
    private static void assertCut(String text) {
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(bytes <= MAX_MESSAGE_BYTES && bytes > MAX_MESSAGE_BYTES - 4, bytes + " bytes");
    }

    private static String stackTrace(Received r) {
        return r.logData().get("context").get("error").get("stacktrace").asText();
    }

    /** The run, and one line per record received (long values shortened): what a failure needs. */
    private String summary(AppRun.Result run) {
        StringBuilder out = new StringBuilder();
        out.append("exit ").append(run.exitCode).append(" after ").append(run.millis).append(" ms\n");
        run.appLines().forEach(l -> out.append(l).append('\n'));
        run.agentLines().forEach(l -> out.append(l).append('\n'));
        run.stderr.lines().filter(l -> !l.contains("\"logger\":\"datanadhi\"")).limit(60)
                .forEach(l -> out.append("stderr: ").append(l.length() > 300 ? l.substring(0, 300) + "..." : l).append('\n'));
        for (Received r : server.records()) {
            String text = r.logData().toString();
            out.append("record: ").append(text.length() > 600 ? text.substring(0, 600) + "... (" + text.length() + ")" : text)
                    .append('\n');
        }
        return out.toString();
    }
}
