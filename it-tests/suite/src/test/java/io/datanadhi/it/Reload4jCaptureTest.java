package io.datanadhi.it;

import static io.datanadhi.it.JulCaptureTest.only;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.datanadhi.it.IngestServer.Received;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Log4j 1.2 API on reload4j: fields, the MDC, and one capture for a logger with two appenders. */
class Reload4jCaptureTest {

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
    void matchingEventsArriveWithTheMdcAndTheirCallSite() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.ORDERS_WARNINGS_ERRORS + String.join("\n",
                "- name: critical",
                "  conditions:",
                "    - {key: log_record.level, type: exact, value: CRITICAL}",
                "  pipelines: [pager]",
                ""));
        AppRun.Result run = AppRun.reload4j("basic").shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());
        assertEquals(4, server.records().size(), server.records() + "\n" + run);

        Received order = only(server.records(r -> r.message().equals("order placed id=42")));
        assertEquals(List.of("orders", "audit"), order.pipelines());
        JsonNode data = order.logData();
        JsonNode record = data.get("log_record");
        assertEquals("log4j", record.get("framework").asText());
        assertEquals("INFO", record.get("level").asText());
        assertEquals("INFO", record.get("native_level").asText());
        assertEquals("com.acme.OrderService", record.get("module_name").asText());
        assertEquals("io.datanadhi.it.apps.Reload4jApp", record.get("class_name").asText());
        assertEquals("placeOrder", record.get("function_name").asText());
        assertEquals(run.line("placeOrder"), record.get("line_number").asInt());
        assertEquals("main", record.get("thread_name").asText());
        assertEquals("trace-abc-123", data.get("trace_id").asText(), "trace_id from the MDC");
        assertEquals("admin", data.get("context").get("user").asText());

        Received warning = only(server.records(r -> r.pipelines().equals(List.of("warnings"))));
        assertEquals("WARN", warning.logData().get("log_record").get("native_level").asText());

        Received error = only(server.records(r -> r.pipelines().equals(List.of("errors"))));
        assertEquals(run.line("error"), error.logData().get("log_record").get("line_number").asInt());
        JsonNode thrown = error.logData().get("context").get("error");
        assertEquals("java.lang.IllegalStateException", thrown.get("type").asText());
        assertTrue(thrown.get("stacktrace").asText().contains("Caused by: java.io.IOException: gateway timeout"));

        Received fatal = only(server.records(r -> r.pipelines().equals(List.of("pager"))));
        assertEquals("FATAL", fatal.logData().get("log_record").get("native_level").asText());
        assertFalse(server.records().stream().anyMatch(r -> r.message().contains("below")), "nothing below a level");

        List<String> written = run.stdout.lines().collect(Collectors.toList());
        assertTrue(written.contains("audit: INFO com.acme.OrderService - order placed id=42"), written.toString());
        assertTrue(written.contains("INFO com.acme.OrderService - order placed id=42"), "and the root's, by additivity");
    }

    @Test
    void everyEventArrivesExactlyOnceThroughTwoAppenders() throws Exception {
        TestRules.write(dir, "all.yml", TestRules.EVERYTHING);
        AppRun.Result run = AppRun.reload4j("sequence", "200", "0").shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());

        Ledger ledger = new Ledger().addServer("server", server);
        assertEquals(List.of(), ledger.missing(200), ledger + "\n" + run);
        assertEquals(200, server.records().size(), "each event once: " + ledger);
    }
}
