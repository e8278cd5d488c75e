package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.datanadhi.it.IngestServer.Received;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JulCaptureTest {

    @TempDir
    Path dir;
    IngestServer server;

    @BeforeEach
    void startServer() throws Exception {
        server = new IngestServer();
        TestRules.write(dir, "app.yml", TestRules.ORDERS_WARNINGS_ERRORS);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void matchingJulEventsArriveWithEveryField() throws Exception {
        AppRun.Result run = AppRun.jul("basic").shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());

        List<Received> records = server.records();
        assertEquals(3, records.size(), "orders, warning and error only: " + records + "\n" + run);

        Received order = only(server.records(r -> r.message().equals("order placed id=42")));
        assertEquals(List.of("orders", "audit"), order.pipelines());
        assertEquals(TestRules.API_KEY, order.apiKey);
        JsonNode data = order.logData();
        JsonNode record = data.get("log_record");
        assertEquals("INFO", record.get("level").asText());
        assertEquals("INFO", record.get("native_level").asText());
        assertEquals("jul", record.get("framework").asText());
        assertEquals("com.acme.OrderService", record.get("module_name").asText());
        assertEquals("io.datanadhi.it.apps.JulApp", record.get("class_name").asText());
        assertEquals("placeOrder", record.get("function_name").asText());
        assertEquals("JulApp.java", record.get("filename").asText());
        assertEquals(run.line("placeOrder"), record.get("line_number").asInt());
        assertEquals("main", record.get("thread_name").asText());
        assertEquals("io.datanadhi.it.apps.JulApp", data.get("module_name").asText(), "service name: the main class");
        assertTrue(data.get("timestamp").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), data.toString());
        assertTrue(data.get("trace_id").asText().matches("[0-9a-f-]{36}"), "a new UUID when the event has none: " + data);
        assertTrue(data.get("context").isObject());

        Received warning = only(server.records(r -> r.pipelines().equals(List.of("warnings"))));
        assertEquals("stock low for sku-1: 3 left", warning.message(), "JUL parameters formatted as JUL does");
        assertEquals("WARNING", warning.logData().get("log_record").get("native_level").asText());
        assertEquals(run.line("warning"), warning.logData().get("log_record").get("line_number").asInt());

        Received error = only(server.records(r -> r.pipelines().equals(List.of("errors"))));
        assertEquals("payment failed", error.message());
        assertEquals("SEVERE", error.logData().get("log_record").get("native_level").asText());
        assertEquals("ERROR", error.logData().get("log_record").get("level").asText());
        JsonNode thrown = error.logData().get("context").get("error");
        assertEquals("java.lang.IllegalStateException", thrown.get("type").asText());
        assertEquals("card declined", thrown.get("message").asText());
        String trace = thrown.get("stacktrace").asText();
        assertTrue(trace.startsWith("java.lang.IllegalStateException: card declined\n\tat io.datanadhi.it.apps.JulApp.basic("), trace);
        assertTrue(trace.contains("Caused by: java.io.IOException: gateway timeout"), trace);

        assertTrue(server.records(r -> r.message().contains("unrelated") || r.message().contains("below")).isEmpty());
    }

    @Test
    void applicationOutputAndExitAreUnchanged() throws Exception {
        AppRun.Result without = AppRun.jul("basic").withoutAgent().run();
        AppRun.Result with = AppRun.jul("basic").shippingTo(server, dir).run();
        assertEquals(without.exitCode, with.exitCode);
        assertEquals(without.appLines(), with.appLines());
        assertEquals(without.stderr.lines().filter(l -> l.contains("INFO: ") || l.contains("SEVERE: ")).count(),
                with.stderr.lines().filter(l -> l.contains("INFO: ") || l.contains("SEVERE: ")).count(),
                "JUL's console handler prints the same events");
        assertTrue(with.agentLines("WARN").isEmpty(), with.toString());
        assertFalse(with.stderr.contains("Sharing is only supported"), "no CDS warning: " + with.stderr);
    }

    /**
     * The bootstrap classes are defined in the boot loader by the agent (a direct call of the JDK's
     * Unsafe, no reflection), not found on an appended boot class path: the fallback would bring
     * back JDK 11-17's CDS warning and, on any JDK, a slower premain.
     */
    @Test
    void bootstrapClassesAreDefinedNotAppended() throws Exception {
        Path log = dir.resolve("class-load.log");
        AppRun.Result run = AppRun.jul("basic").shippingTo(server, dir)
                .jvm("-Xlog:class+load=info:file=" + log).run();
        assertEquals(0, run.exitCode, run.toString());
        String loaded = Files.readString(log);
        assertTrue(loaded.contains("io.datanadhi.agent.JdkInternals source:"), "the direct call was made");
        assertTrue(loaded.contains("io.datanadhi.bootstrap.CaptureBridge source: __JVM_DefineClass__"),
                "CaptureBridge defined, not loaded from the jar: "
                        + loaded.lines().filter(l -> l.contains("io.datanadhi.bootstrap")).collect(Collectors.toList()));
    }

    /**
     * A short job's few records go on the blocking connection the agent opens for the first
     * records: Netty's HTTP client (its event loop, a few hundred classes) is never started.
     */
    @Test
    void aShortJobShipsWithoutStartingTheHttpClient() throws Exception {
        Path log = dir.resolve("class-load.log");
        AppRun.Result run = AppRun.jul("basic").shippingTo(server, dir)
                .jvm("-Xlog:class+load=info:file=" + log).run();
        assertEquals(0, run.exitCode, run.toString());
        assertEquals(3, server.records().size(), run.toString());
        String loaded = Files.readString(log);
        assertTrue(loaded.contains("io.datanadhi.http.BlockingConnection source:"), "the records went on the blocking connection");
        assertFalse(loaded.contains("io.netty.channel.nio.NioIoHandler source:"), "the HTTP client's event loop was never made");
        assertFalse(loaded.contains("io.netty.handler.codec.http.HttpClientCodec source:"), "nor its HTTP codec");
        // Each lambda is a class the JVM spins at its first use (half a millisecond on JDK 25, and work for its JIT).
        List<String> spun = new ArrayList<>();
        Matcher lambda = Pattern.compile("io\\.datanadhi\\.[\\w.$]*\\$\\$Lambda\\S*").matcher(loaded);
        while (lambda.find()) {
            spun.add(lambda.group());
        }
        assertEquals(List.of(), spun, "no lambda of the agent's on the way to a short job's records");

        // Started again, its rules read from .rules.cache: the records are written without Jackson,
        // whose factory and first generator alone cost a cold JVM 20 to 35 ms.
        Path again = dir.resolve("class-load-again.log");
        AppRun.Result second = AppRun.jul("basic").shippingTo(server, dir)
                .jvm("-Xlog:class+load=info:file=" + again).run();
        assertEquals(0, second.exitCode, second.toString());
        assertEquals(6, server.records().size(), second.toString());
        List<String> jackson = new ArrayList<>();
        Matcher jacksonClass = Pattern.compile("com\\.fasterxml\\.jackson\\.\\S+").matcher(Files.readString(again));
        while (jacksonClass.find()) {
            jackson.add(jacksonClass.group());
        }
        assertEquals(List.of(), jackson, "no Jackson class on the way to a short job's records");
    }

    static Received only(List<Received> records) {
        assertEquals(1, records.size(), records.toString());
        return records.get(0);
    }
}
