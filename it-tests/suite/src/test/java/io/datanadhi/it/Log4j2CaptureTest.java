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

/**
 * Log4j 2 with log4j-core: synchronous loggers, a logger with two appenders (its own and, by
 * additivity, the root's), an AsyncAppender, and all-async loggers.
 */
class Log4j2CaptureTest {

    private static final String ALL_ASYNC =
            "-Dlog4j2.contextSelector=org.apache.logging.log4j.core.async.AsyncLoggerContextSelector";
    /**
     * All-async events reach the appenders (and the agent) on Log4j's thread a little later; the
     * app stays up meanwhile, as a server would. (What is still in Log4j's ring buffer when the JVM
     * exits is flushed by Log4j's own shutdown hook, concurrently with the agent's: see issue 5.)
     */
    private static final String LINGER = "-Dapp.linger=1500";

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
    void matchingLog4j2EventsArriveWithTheThreadContextAndTheirCallSite() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.ORDERS_WARNINGS_ERRORS + String.join("\n",
                "- name: critical",
                "  conditions:",
                "    - {key: log_record.level, type: exact, value: CRITICAL}",
                "  pipelines: [pager]",
                "- name: async",
                "  conditions:",
                "    - {key: log_record.module_name, type: exact, value: com.acme.Async}",
                "  pipelines: [async]",
                ""));
        AppRun.Result run = AppRun.log4j2("basic").shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());
        assertEquals(5, server.records().size(), server.records() + "\n" + run);

        Received order = only(server.records(r -> r.message().equals("order placed id=42")));
        assertEquals(List.of("orders", "audit"), order.pipelines());
        JsonNode data = order.logData();
        JsonNode record = data.get("log_record");
        assertEquals("log4j2", record.get("framework").asText());
        assertEquals("INFO", record.get("level").asText());
        assertEquals("INFO", record.get("native_level").asText());
        assertEquals("com.acme.OrderService", record.get("module_name").asText());
        assertEquals("io.datanadhi.it.apps.Log4j2App", record.get("class_name").asText());
        assertEquals("placeOrder", record.get("function_name").asText());
        assertEquals("Log4j2App.java", record.get("filename").asText());
        assertEquals(run.line("placeOrder"), record.get("line_number").asInt());
        assertEquals("main", record.get("thread_name").asText());
        assertEquals("trace-abc-123", data.get("trace_id").asText(), "trace_id from the thread context");
        assertEquals("admin", data.get("context").get("user").asText());

        Received warning = only(server.records(r -> r.pipelines().equals(List.of("warnings"))));
        assertEquals("stock low for sku-1: 3 left", warning.message());
        assertEquals("WARN", warning.logData().get("log_record").get("native_level").asText());

        Received error = only(server.records(r -> r.pipelines().equals(List.of("errors"))));
        assertEquals("payment failed", error.message());
        assertEquals(run.line("error"), error.logData().get("log_record").get("line_number").asInt());
        JsonNode thrown = error.logData().get("context").get("error");
        assertEquals("java.lang.IllegalStateException", thrown.get("type").asText());
        assertEquals("card declined", thrown.get("message").asText());
        assertTrue(thrown.get("stacktrace").asText().contains("Caused by: java.io.IOException: gateway timeout"));

        Received fatal = only(server.records(r -> r.pipelines().equals(List.of("pager"))));
        assertEquals("FATAL", fatal.logData().get("log_record").get("native_level").asText());
        assertEquals("CRITICAL", fatal.logData().get("log_record").get("level").asText());

        Received async = only(server.records(r -> r.pipelines().equals(List.of("async"))));
        assertEquals("handed to an async appender", async.message());
        JsonNode asyncRecord = async.logData().get("log_record");
        assertEquals("main", asyncRecord.get("thread_name").asText(), "captured on the thread that logged it");
        assertEquals(run.line("async"), asyncRecord.get("line_number").asInt());
        assertFalse(async.logData().get("context").has("user"), "the thread context was cleared before this event");

        assertTrue(server.records(r -> r.message().contains("below")).isEmpty(), "nothing below a logger's level");
        List<String> written = run.stdout.lines().collect(java.util.stream.Collectors.toList());
        assertTrue(written.contains("audit: INFO com.acme.OrderService - order placed id=42"),
                "the logger's own appender wrote it: " + written);
        assertTrue(written.contains("INFO com.acme.OrderService - order placed id=42"), "and the root's, by additivity");
    }

    @Test
    void allAsyncLoggersAreCapturedOnLog4jsThreadWithTheEventsOwnThreadAndContext() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.ORDERS_WARNINGS_ERRORS);
        AppRun.Result run = AppRun.log4j2("basic").jvm(ALL_ASYNC, LINGER).shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());
        assertEquals(3, server.records().size(), server.records() + "\n" + run);

        Received order = only(server.records(r -> r.message().equals("order placed id=42")));
        JsonNode record = order.logData().get("log_record");
        assertEquals("log4j2", record.get("framework").asText());
        assertEquals("main", record.get("thread_name").asText(), "the thread that logged, not Log4j's");
        assertEquals("admin", order.logData().get("context").get("user").asText());
        assertEquals("trace-abc-123", order.logData().get("trace_id").asText());
        assertFalse(record.path("class_name").asText("").startsWith("com.lmax"),
                "no call site from Log4j's own thread: " + record);
        Received error = only(server.records(r -> r.pipelines().equals(List.of("errors"))));
        assertTrue(error.logData().get("context").get("error").get("stacktrace").asText().contains("gateway timeout"));
    }

    @Test
    void allAsyncLoggersDeliverEveryEventExactlyOnce() throws Exception {
        TestRules.write(dir, "all.yml", TestRules.EVERYTHING);
        AppRun.Result run = AppRun.log4j2("sequence", "200", "0").jvm(ALL_ASYNC, LINGER).shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());

        Ledger ledger = new Ledger().addServer("server", server);
        assertEquals(List.of(), ledger.missing(200), ledger + "\n" + run);
        assertEquals(200, server.records().size(), "each event once: " + ledger);
    }

    /**
     * The events still in the ring buffer when main returns are flushed by Log4j's own shutdown
     * hook; the agent's shutdown runs after every application hook, so they are delivered too.
     */
    @Test
    void allAsyncEventsFlushedByLog4jsShutdownHookAreDelivered() throws Exception {
        TestRules.write(dir, "all.yml", TestRules.EVERYTHING);
        // An appender taking 2 ms per event: about a second of backlog at exit.
        AppRun.Result run = AppRun.log4j2("sequence", "500", "0")
                .jvm(ALL_ASYNC, "-Dapp.stop-log4j=false", "-Dapp.slow-appender-millis=2").shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());

        Ledger ledger = new Ledger().addServer("server", server);
        assertEquals(List.of(), ledger.missing(500), ledger + "\n" + run);
        assertEquals(500, server.records().size(), "each event once: " + ledger);
        assertTrue(run.agentLines().stream().noneMatch(l -> l.contains("shutdown_unsent") || l.contains("logged_after")),
                run.toString());
    }

    @Test
    void everyEventArrivesExactlyOnceThroughTwoAppendersAndAnAsyncAppender() throws Exception {
        TestRules.write(dir, "all.yml", TestRules.EVERYTHING);
        AppRun.Result run = AppRun.log4j2("sequence", "200", "0").shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());

        Ledger ledger = new Ledger().addServer("server", server);
        assertEquals(List.of(), ledger.missing(200), ledger + "\n" + run);
        assertEquals(200, server.records().size(), "each event once: " + ledger);
    }

    @Test
    void aMixedAsyncLoggerIsCapturedOnceOnTheCallersThreadWithItsCallSite() throws Exception {
        TestRules.write(dir, "all.yml", TestRules.EVERYTHING);
        AppRun.Result run = AppRun.log4j2("mixed", "200").shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());

        for (int i = 0; i < 200; i++) {
            String message = "mixed event seq=" + i;
            Received event = only(server.records(r -> r.message().equals(message)));
            JsonNode record = event.logData().get("log_record");
            assertEquals("main", record.get("thread_name").asText());
            assertEquals("io.datanadhi.it.apps.Log4j2App", record.get("class_name").asText(), record.toString());
            assertEquals("mixed", record.get("function_name").asText());
            assertEquals(String.valueOf(i), event.logData().get("context").get("seq").asText());
        }
        assertEquals(200, server.records().size(), "each event once");
        List<String> written = run.stdout.lines().collect(java.util.stream.Collectors.toList());
        assertTrue(written.contains("audit: INFO com.acme.Mixed - mixed event seq=7"), "its own, asynchronous appender");
        assertTrue(written.contains("INFO com.acme.Mixed - mixed event seq=7"), "and the root's, synchronous");
    }

    @Test
    void theFieldsOfMapAndStructuredDataMessagesAreTheRecordsContext() throws Exception {
        TestRules.write(dir, "app.yml", String.join("\n",
                "- name: express",
                "  conditions:",
                "    - {key: context.express, type: exact, value: \"true\"}",
                "  pipelines: [express]",
                "- name: shipping",
                "  conditions:",
                "    - {key: context.carrier, type: exact, value: dhl}",
                "  pipelines: [shipping]",
                ""));
        AppRun.Result run = AppRun.log4j2("structured").shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());
        assertEquals(2, server.records().size(), server.records() + "\n" + run);

        JsonNode order = only(server.records(r -> r.pipelines().equals(List.of("express")))).logData();
        JsonNode context = order.get("context");
        assertEquals(42, context.get("order_id").asInt());
        assertTrue(context.get("order_id").isNumber(), "a field keeps its type: " + context);
        assertTrue(context.get("express").isBoolean(), context.toString());
        assertEquals("c-7", context.get("customer").asText());
        assertEquals("admin", context.get("user").asText(), "next to the thread context");
        assertTrue(order.get("message").asText().contains("order_id=\"42\""), "Log4j's own rendering: " + order);

        JsonNode shipment = only(server.records(r -> r.pipelines().equals(List.of("shipping")))).logData();
        assertEquals("3", shipment.get("context").get("days").asText());
        assertEquals("WARNING", shipment.get("log_record").get("level").asText());
    }
}
