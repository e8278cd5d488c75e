package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.datanadhi.it.IngestServer.Received;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Logs that join traces: the tracing app (Logback, Log4j 2 or JUL) logs one event before a span,
 * numbered events inside it and one after, beside the OpenTelemetry agent, beside the Elastic APM
 * agent, or with only the OpenTelemetry API in the application. A record logged inside carries the
 * span's trace id as its {@code trace_id} and the span's id as {@code context.span_id}; a record
 * logged outside any span a random UUID of its own. Whichever {@code -javaagent} comes first, every
 * event arrives exactly once, and the application's console shows what the tracing agent alone
 * puts there (OpenTelemetry's {@code trace_id}/{@code span_id}, Elastic's {@code trace.id}).
 */
class TracingAgentsTest {

    /** Every event of the tracing app's logger, and nothing else. */
    private static final String SHIP_TRACED = String.join("\n",
            "- name: traced",
            "  conditions:",
            "    - {key: log_record.module_name, type: exact, value: com.acme.Traced}",
            "  pipelines: [traced]",
            "");

    /** Events the app logs inside the span. */
    private static final int INSIDE = 3;

    /** The OpenTelemetry agent with every exporter off, and silent. */
    private static final List<String> OPENTELEMETRY = List.of("-Dotel.traces.exporter=none",
            "-Dotel.metrics.exporter=none", "-Dotel.logs.exporter=none", "-Dotel.javaagent.logging=none");

    /**
     * The Elastic APM agent with no server: nothing sent, no central configuration, no cloud
     * metadata requests, no metrics; its log (on stdout) only for errors.
     */
    private static final List<String> ELASTIC = List.of("-Delastic.apm.server_url=http://127.0.0.1:9",
            "-Delastic.apm.disable_send=true", "-Delastic.apm.central_config=false",
            "-Delastic.apm.cloud_provider=NONE", "-Delastic.apm.metrics_interval=0s",
            "-Delastic.apm.application_packages=io.datanadhi.it.apps.tracing", "-Delastic.apm.log_level=ERROR");

    private static final Pattern IDS = Pattern.compile("app: (span|transaction) trace=(\\S*) span=(\\S*)");
    private static final Pattern RANDOM_UUID =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

    /** The tracing app's main classes; {@code mdc}: its console line shows the MDC's trace keys. */
    enum App {
        LOGBACK("LogbackTracingApp", true),
        LOG4J2("Log4j2TracingApp", true),
        JUL("JulTracingApp", false);

        final String mainClass;
        final boolean mdc;

        App(String mainClass, boolean mdc) {
            this.mainClass = mainClass;
            this.mdc = mdc;
        }
    }

    /** Which {@code -javaagent} the JVM loads first. */
    enum Order {
        OURS_FIRST, TRACER_FIRST
    }

    /** The ids the app printed for a scope ("span", "transaction") before logging in it. */
    static final class Ids {
        final String trace;
        final String span;

        Ids(String trace, String span) {
            this.trace = trace;
            this.span = span;
        }

        @Override
        public String toString() {
            return "trace=" + trace + " span=" + span;
        }
    }

    @TempDir
    Path dir;
    IngestServer server;

    @BeforeEach
    void startServer() throws Exception {
        server = new IngestServer();
        TestRules.write(dir, "traced.yml", SHIP_TRACED);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    static Stream<Arguments> appsInBothOrders() {
        return Stream.of(App.values()).flatMap(app -> Stream.of(Order.values()).map(order -> Arguments.of(app, order)));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("appsInBothOrders")
    void theOpenTelemetryAgentsSpanIsTheTraceOfWhatIsLoggedInIt(App app, Order order) throws Exception {
        AppRun.Result run = besideTracer(app, "otel", order, Env.openTelemetryAgentJar(), OPENTELEMETRY);
        Map<String, Ids> ids = printedIds(run, List.of("span"));
        Ids span = ids.get("span");
        assertJoinsTheTrace("OpenTelemetry agent, " + app + ", " + order, app, run, ids, messages("span"),
                scope -> scope.equals("span") ? span.trace + "|" + span.span + "|" : "||");
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("appsInBothOrders")
    void theElasticAgentsTransactionAndSpanAreTheTraceOfWhatIsLoggedInThem(App app, Order order) throws Exception {
        AppRun.Result run = besideTracer(app, "elastic", order, Env.elasticAgentJar(), ELASTIC);
        Map<String, Ids> ids = printedIds(run, List.of("transaction", "span"));
        assertEquals(ids.get("transaction").trace, ids.get("span").trace, "the span is in the transaction's trace: " + run);
        String trace = ids.get("span").trace;
        assertJoinsTheTrace("Elastic APM agent, " + app + ", " + order, app, run, ids, messages("transaction", "span"),
                scope -> scope.equals("outside") ? "||" : "||" + trace);
    }

    /** No tracing agent: the application's own OpenTelemetry API holds the current span. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(App.class)
    void theOpenTelemetryApiAloneGivesItsCurrentSpanToWhatIsLoggedInIt(App app) throws Exception {
        AppRun.Result run = AppRun.tracing(app.mainClass, "otel-api", Integer.toString(INSIDE)).shippingTo(server, dir)
                .run();
        Map<String, Ids> ids = printedIds(run, List.of("span"));
        assertEquals("trace=4bf92f3577b34da6a3ce929d0e0e4736 span=00f067aa0ba902b7", ids.get("span").toString(),
                "the app's fixed span: " + run);
        assertJoinsTheTrace("OpenTelemetry API only, " + app, app, run, ids, messages("span"), scope -> "||");
    }

    /** The app in {@code mode}, with our agent and the tracing agent {@code tracer} (and its options) in {@code order}. */
    private AppRun.Result besideTracer(App app, String mode, Order order, Path tracer, List<String> options)
            throws Exception {
        AppRun run = AppRun.tracing(app.mainClass, mode, Integer.toString(INSIDE)).shippingTo(server, dir);
        String javaagent = "-javaagent:" + tracer;
        if (order == Order.OURS_FIRST) {
            run.jvm(javaagent);
        } else {
            run.jvmFirst(javaagent);
        }
        return run.jvm(options.toArray(new String[0])).run();
    }

    /**
     * The ids the app printed for each of {@code scopes}, checked to be real ones (32 and 16
     * lowercase hex digits, not all zero): the tracer did make the span.
     */
    private static Map<String, Ids> printedIds(AppRun.Result run, List<String> scopes) {
        assertEquals(0, run.exitCode, run.toString());
        assertTrue(run.appLines().contains("app: done"), run.toString());
        Map<String, Ids> ids = new LinkedHashMap<>();
        for (String line : run.appLines()) {
            Matcher m = IDS.matcher(line);
            if (m.matches()) {
                ids.put(m.group(1), new Ids(m.group(2), m.group(3)));
            }
        }
        assertEquals(scopes, new ArrayList<>(ids.keySet()), "the scopes the app printed ids for: " + run);
        for (Map.Entry<String, Ids> scope : ids.entrySet()) {
            Ids id = scope.getValue();
            assertTrue(id.trace.matches("[0-9a-f]{32}") && !id.trace.matches("0+")
                    && id.span.matches("[0-9a-f]{16}") && !id.span.matches("0+"),
                    "the tracer made a real " + scope.getKey() + " (" + id + "): " + run);
        }
        return ids;
    }

    /**
     * The messages the app logs, in order: "outside before", inside each scope, "outside after".
     * Elastic: a transaction event before the span and one after it.
     */
    private static List<String> messages(String... scopes) {
        List<String> messages = new ArrayList<>();
        messages.add("outside before");
        boolean transaction = List.of(scopes).contains("transaction");
        if (transaction) {
            messages.add("inside transaction seq=0");
        }
        for (int seq = 0; seq < INSIDE; seq++) {
            messages.add("inside span seq=" + seq);
        }
        if (transaction) {
            messages.add("inside transaction seq=1");
        }
        messages.add("outside after");
        return messages;
    }

    /** "span", "transaction" or "outside": where the app logged {@code message}. */
    private static String scopeOf(String message) {
        return message.startsWith("inside ") ? message.split(" ")[1] : "outside";
    }

    /**
     * What a run must show, each part checked and reported on its own: every event once; the
     * records logged inside a scope carry its ids; those outside a random UUID each; the app's own
     * console lines show {@code consoleMdc} of their scope ("trace_id|span_id|trace.id" as the MDC
     * has them) for Logback and Log4j 2, and each event once for JUL; our agent warned of nothing.
     */
    private void assertJoinsTheTrace(String setup, App app, AppRun.Result run, Map<String, Ids> ids,
            List<String> messages, Function<String, String> consoleMdc) {
        List<Received> records = server.records();
        String evidence = "\n--- " + setup + "\n--- records\n"
                + records.stream().map(Received::toString).collect(Collectors.joining("\n"))
                + "\n--- app (ids " + ids + ")\n" + run;
        assertAll(
                () -> assertEveryEventOnce(records, messages, evidence),
                () -> assertInsideRecordsJoinTheirScope(records, messages, ids, evidence),
                () -> assertOutsideRecordsHaveRandomTraceIds(records, messages, ids, evidence),
                () -> assertConsole(setup, app, run, messages, consoleMdc),
                () -> assertEquals(List.of(), agentWarnings(run), "our agent's warnings and errors" + evidence));
    }

    private static void assertEveryEventOnce(List<Received> records, List<String> messages, String evidence) {
        Map<String, Long> expected = messages.stream().collect(Collectors.toMap(m -> m, m -> 1L, Long::sum, TreeMap::new));
        Map<String, Long> received = records.stream()
                .collect(Collectors.groupingBy(Received::message, TreeMap::new, Collectors.counting()));
        assertEquals(expected, received, "each event exactly once (message=count)" + evidence);
    }

    private static void assertInsideRecordsJoinTheirScope(List<Received> records, List<String> messages,
            Map<String, Ids> ids, String evidence) {
        List<String> wrong = new ArrayList<>();
        List<String> inside = messages.stream().filter(m -> !scopeOf(m).equals("outside")).collect(Collectors.toList());
        for (String message : inside) {
            Ids want = ids.get(scopeOf(message));
            for (JsonNode data : logData(records, message, wrong)) {
                String traceId = data.path("trace_id").asText();
                JsonNode spanId = data.path("context").path("span_id");
                if (!want.trace.equals(traceId) || !want.span.equals(spanId.asText())) {
                    wrong.add("\"" + message + "\": trace_id=" + traceId + " context.span_id="
                            + (spanId.isMissingNode() ? "(none)" : spanId.asText()) + ", want " + want);
                }
            }
        }
        assertTrue(wrong.isEmpty(), "records logged inside a span or transaction (" + inside.size() + "), want its trace id"
                + " as trace_id and its id as context.span_id:\n" + String.join("\n", wrong) + evidence);
    }

    private static void assertOutsideRecordsHaveRandomTraceIds(List<Received> records, List<String> messages,
            Map<String, Ids> ids, String evidence) {
        List<String> wrong = new ArrayList<>();
        List<String> traceIds = new ArrayList<>();
        for (String message : messages) {
            if (!scopeOf(message).equals("outside")) {
                continue;
            }
            for (JsonNode data : logData(records, message, wrong)) {
                String traceId = data.path("trace_id").asText();
                traceIds.add(traceId);
                boolean theSpans = ids.values().stream().anyMatch(id -> id.trace.equals(traceId));
                if (!RANDOM_UUID.matcher(traceId).matches() || theSpans || data.path("context").has("span_id")) {
                    wrong.add("\"" + message + "\": trace_id=" + traceId + (theSpans ? " (the span's)" : "")
                            + " context.span_id=" + data.path("context").path("span_id").asText("(none)"));
                }
            }
        }
        assertTrue(wrong.isEmpty(), "records logged outside any span, want a random UUID as trace_id and no span_id:\n"
                + String.join("\n", wrong) + evidence);
        assertEquals(traceIds.size(), traceIds.stream().distinct().count(),
                "each record outside a span its own trace_id: " + traceIds + evidence);
    }

    /** The log_data of the records of {@code message}; none: "not received" is added to {@code wrong}. */
    private static List<JsonNode> logData(List<Received> records, String message, List<String> wrong) {
        List<JsonNode> data = records.stream().filter(r -> r.message().equals(message)).map(Received::logData)
                .collect(Collectors.toList());
        if (data.isEmpty()) {
            wrong.add("\"" + message + "\": not received");
        }
        return data;
    }

    /**
     * The application's own console: Logback's and Log4j 2's line for each event, with the MDC's
     * trace keys exactly as the tracing agent alone puts them there (our agent adds none); JUL's
     * console handler (stderr) writes each event once.
     */
    private static void assertConsole(String setup, App app, AppRun.Result run, List<String> messages,
            Function<String, String> consoleMdc) {
        List<String> wrong = new ArrayList<>();
        for (String message : messages) {
            String line = app.mdc ? "INFO com.acme.Traced - [" + consoleMdc.apply(scopeOf(message)) + "] " + message
                    : "INFO: " + message;
            long count = (app.mdc ? run.stdout : run.stderr).lines().filter(line::equals).count();
            if (count != 1) {
                wrong.add(count + " x \"" + line + "\"");
            }
        }
        assertTrue(wrong.isEmpty(), "the app's console lines, each wanted once:\n" + String.join("\n", wrong)
                + "\n--- " + setup + "\n--- app\n" + run);
    }

    private static List<String> agentWarnings(AppRun.Result run) {
        List<String> warnings = new ArrayList<>(run.agentLines("WARN"));
        warnings.addAll(run.agentLines("ERROR"));
        return warnings;
    }
}
