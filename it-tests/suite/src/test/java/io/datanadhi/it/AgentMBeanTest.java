package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MBean {@code io.datanadhi:type=Agent}, read by the application from its own platform MBean
 * server, and the periodic {@code agent_counters} line (its interval shortened by the hidden
 * {@code datanadhi.internal.summary_interval_ms}).
 */
class AgentMBeanTest {

    private static final String SHORT_SUMMARY = "-Ddatanadhi.internal.summary_interval_ms=300";
    private static final String JMX_RULES = String.join("\n",
            "- name: jmx",
            "  conditions:",
            "    - {key: message, type: partial, value: jmx match}",
            "  pipelines: [jmx]",
            "");

    @TempDir
    Path dir;

    @Test
    void theMBeanCountsExactlyWhatTheApplicationLoggedAndTheRulesShipped() throws Exception {
        TestRules.write(dir, "app.yml", JMX_RULES);
        AppRun.Result run;
        try (IngestServer server = new IngestServer()) {
            run = AppRun.logback("jmx", "4", "6", "2000").shippingTo(server, dir).jvm(SHORT_SUMMARY).run();
            assertEquals(0, run.exitCode, run.toString());
            assertEquals(4, server.records(r -> r.message().startsWith("jmx match")).size(), server.records().toString());
        }
        assertTrue(run.appLines().contains("app: jmx registered=true"), run.toString());
        Map<String, String> before = JmxLines.attributes(run, "before");
        Map<String, String> after = JmxLines.attributes(run, "after");

        assertEquals(10, JmxLines.delta(before, after, "Captured"), "every event the application logged: " + run);
        assertEquals(4, JmxLines.delta(before, after, "Matched"), run.toString());
        assertEquals(4, JmxLines.delta(before, after, "ShippedPrimary"), run.toString());
        assertEquals(0, JmxLines.delta(before, after, "SentEchoPost"));
        assertEquals(0, JmxLines.delta(before, after, "SentFallback"));
        for (String gauge : List.of("Dropped", "DroppedQueueFull", "Lost", "QueueDepth")) {
            assertEquals("0", after.get(gauge), gauge + " in " + after);
        }
        assertEquals("true", after.get("PrimaryUp"));
        assertEquals("false", after.get("EchoPostRunning"));

        // The summary: the final counters once, not again while the application was quiet for
        // 2 s (six intervals); and every line differs from the one before it.
        List<JsonNode> summaries = summaries(run);
        assertTrue(!summaries.isEmpty(), "agent_counters lines: " + run);
        JsonNode last = summaries.get(summaries.size() - 1);
        assertEquals(Long.parseLong(after.get("Captured")), last.get("captured").asLong(), last.toString());
        assertEquals(Long.parseLong(after.get("ShippedPrimary")), last.get("shipped_primary").asLong());
        assertEquals("INFO", last.get("level").asText());
        for (int i = 1; i < summaries.size(); i++) {
            assertNotEquals(counters(summaries.get(i - 1)), counters(summaries.get(i)), "repeated: " + summaries);
        }
    }

    @Test
    void theAgentNeverCreatesThePlatformMBeanServerItself() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        Path classLog = dir.resolve("classes.log");
        AppRun.Result run;
        try (IngestServer server = new IngestServer()) {
            run = AppRun.logback("sequence", "40", "50").shippingTo(server, dir)
                    .jvm(SHORT_SUMMARY, "-Xlog:class+init=info:file=" + classLog).run();
            assertEquals(0, run.exitCode, run.toString());
            assertEquals(40, server.records().size(), server.records().toString());
        }
        assertTrue(!summaries(run).isEmpty(), "the agent's housekeeping ran (it looks for the server there): " + run);
        // Initialized, not loaded: see NoEarlyJulTest for what JDK 24+ loads through Netty.
        List<String> initialized = Files.readAllLines(classLog).stream()
                .filter(line -> line.contains("Initializing 'com/sun/jmx/mbeanserver/JmxMBeanServer'")
                        || line.contains("Initializing 'java/util/logging/"))
                .collect(Collectors.toList());
        assertEquals(List.of(), initialized, "no MBean server and no java.util.logging class");
    }


    private static List<JsonNode> summaries(AppRun.Result run) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : run.agentLines()) {
            JsonNode json = IngestServer.JSON.readTree(line);
            if (json.path("event").asText().equals("agent_counters")) {
                lines.add(json);
            }
        }
        return lines;
    }

    /** The line without its time. */
    private static JsonNode counters(JsonNode line) {
        return ((com.fasterxml.jackson.databind.node.ObjectNode) line.deepCopy()).without("time");
    }
}
