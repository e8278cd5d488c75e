package io.datanadhi.it;

import static io.datanadhi.it.JulCaptureTest.only;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.datanadhi.it.IngestServer.Received;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogbackCaptureTest {

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
    void matchingLogbackEventsArriveWithMdcAndKeyValues() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.ORDERS_WARNINGS_ERRORS + String.join("\n",
                "- name: shipped",
                "  conditions:",
                "    - {key: context.order_id, type: exact, value: \"42\"}",
                "  pipelines: [shipping]",
                ""));
        AppRun.Result run = AppRun.logback("basic").shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());
        assertEquals(4, server.records().size(), server.records() + "\n" + run);

        Received order = only(server.records(r -> r.message().equals("order placed id=42")));
        assertEquals(List.of("orders", "audit"), order.pipelines());
        assertEquals(TestRules.API_KEY, order.apiKey);
        JsonNode data = order.logData();
        JsonNode record = data.get("log_record");
        assertEquals("logback", record.get("framework").asText());
        assertEquals("INFO", record.get("level").asText());
        assertEquals("com.acme.OrderService", record.get("module_name").asText());
        assertEquals("io.datanadhi.it.apps.LogbackApp", record.get("class_name").asText());
        assertEquals("placeOrder", record.get("function_name").asText());
        assertEquals("LogbackApp.java", record.get("filename").asText());
        assertEquals(run.line("placeOrder"), record.get("line_number").asInt());
        assertEquals("trace-abc-123", data.get("trace_id").asText(), "trace_id from the MDC");
        assertEquals("admin", data.get("context").get("user").asText());
        assertEquals("trace-abc-123", data.get("context").get("trace_id").asText());

        Received warning = only(server.records(r -> r.pipelines().equals(List.of("warnings"))));
        assertEquals("stock low for sku-1: 3 left", warning.message());
        assertEquals("WARN", warning.logData().get("log_record").get("native_level").asText());
        assertEquals("WARNING", warning.logData().get("log_record").get("level").asText());

        Received error = only(server.records(r -> r.pipelines().equals(List.of("errors"))));
        assertEquals(run.line("error"), error.logData().get("log_record").get("line_number").asInt());
        JsonNode thrown = error.logData().get("context").get("error");
        assertEquals("java.lang.IllegalStateException", thrown.get("type").asText());
        assertEquals("card declined", thrown.get("message").asText());
        assertTrue(thrown.get("stacktrace").asText().contains("Caused by: java.io.IOException: gateway timeout"));
        assertEquals("admin", error.logData().get("context").get("user").asText());

        Received shipped = only(server.records(r -> r.pipelines().equals(List.of("shipping"))));
        assertEquals("order shipped", shipped.message());
        assertEquals(42, shipped.logData().get("context").get("order_id").asInt(), "SLF4J 2 key-values keep their type");
        assertTrue(shipped.logData().get("context").get("express").asBoolean());
        assertFalse(shipped.logData().get("context").has("user"), "the MDC was cleared before this event");
    }

    @Test
    void withLogCallerOffRecordsCarryNoCallSiteAndEverythingElse() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.ORDERS_WARNINGS_ERRORS);
        AppRun.Result run = AppRun.logback("basic").shippingTo(server, dir).env("DATANADHI_LOG_CALLER", "false").run();
        assertEquals(0, run.exitCode, run.toString());

        JsonNode data = only(server.records(r -> r.message().equals("order placed id=42"))).logData();
        JsonNode record = data.get("log_record");
        assertTrue(record.get("filename").isNull(), record.toString());
        assertTrue(record.get("function_name").isNull(), record.toString());
        assertTrue(record.get("class_name").isNull(), record.toString());
        assertEquals(0, record.get("line_number").asInt());
        assertEquals("com.acme.OrderService", record.get("module_name").asText());
        assertEquals("INFO", record.get("level").asText());
        assertEquals("trace-abc-123", data.get("trace_id").asText());
        assertEquals("admin", data.get("context").get("user").asText());
        assertEquals(3, server.records().size(), server.records() + "\n" + run);
    }

    @Test
    void julRoutedIntoLogbackByTheBridgeArrivesExactlyOnce() throws Exception {
        TestRules.write(dir, "all.yml", TestRules.EVERYTHING);
        AppRun.Result run = AppRun.logback("bridge", "50").shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());

        List<Received> bridged = server.records(r -> r.message().startsWith("bridged event seq="));
        assertEquals(50, bridged.size(), "each bridged event exactly once: " + bridged.size());
        for (int i = 0; i < 50; i++) {
            int seq = i;
            assertEquals(1, bridged.stream().filter(r -> r.message().equals("bridged event seq=" + seq)).count());
        }
        assertEquals("logback", bridged.get(0).logData().get("log_record").get("framework").asText(),
                "captured where the level decision is made, in Logback");
        assertTrue(server.records(r -> r.message().contains("refused by logback")).isEmpty(),
                "an event Logback refuses is not captured from JUL either");
        assertTrue(server.records(r -> r.message().contains("below the JUL level")).isEmpty());
        assertEquals(1, server.records(r -> r.message().equals("direct slf4j event")).size());
        assertEquals(51, server.records().size(), server.records().toString());
    }

    @Test
    void theLog4j2ApiRoutedIntoLogbackByLog4jToSlf4jArrivesExactlyOnce() throws Exception {
        TestRules.write(dir, "all.yml", TestRules.EVERYTHING);
        AppRun.Result run = AppRun.logback("log4j-bridge", "50").shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());

        List<Received> bridged = server.records(r -> r.message().startsWith("log4j bridged seq="));
        assertEquals(50, bridged.size(), "each event exactly once: " + server.records());
        for (int i = 0; i < 50; i++) {
            int seq = i;
            assertEquals(1, bridged.stream().filter(r -> r.message().equals("log4j bridged seq=" + seq)).count());
        }
        JsonNode first = only(server.records(r -> r.message().equals("log4j bridged seq=0"))).logData();
        JsonNode record = first.get("log_record");
        assertEquals("logback", record.get("framework").asText(), "captured where the level decision is made");
        assertEquals("com.acme.Log4jBridged", record.get("module_name").asText());
        assertEquals("io.datanadhi.it.apps.LogbackApp", record.get("class_name").asText(), "the call site, not the bridge");
        assertEquals("log4jBridge", record.get("function_name").asText());
        assertEquals(run.line("log4jBridged"), record.get("line_number").asInt());
        assertEquals("admin", first.get("context").get("user").asText(), "the ThreadContext, through SLF4J's MDC");
        assertTrue(server.records(r -> r.message().contains("refused by logback")).isEmpty());
        assertTrue(server.records(r -> r.message().contains("below Logback's level")).isEmpty());
        assertEquals(50, server.records().size(), server.records().toString());
    }
}
