package io.datanadhi.it;

import static io.datanadhi.it.JulCaptureTest.only;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.datanadhi.it.IngestServer.Received;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every logging API over every backend it can be bridged to: each event is captured exactly once,
 * by the backend that really logs it, with the application's call site, while both of the
 * backend's appenders still write it. One JVM per combination, composed from the bridge app's
 * jars (see {@code it-tests/apps/bridge-app}).
 */
class BridgeMatrixTest {

    private static final int EVENTS = 40;
    private static final String JBOSS_MANAGER = "-Djava.util.logging.manager=org.jboss.logmanager.LogManager";
    private static final List<String> LOGBACK = List.of("slf4j-api", "logback-classic", "logback-core");
    private static final List<String> LOG4J2 = List.of("log4j-api", "log4j-core");

    @TempDir
    Path dir;

    /** One combination: the API the app calls, its class path, and where the event is captured. */
    static final class Combination {
        final String name;
        final String api;
        final String setup;
        final List<String> jars;
        final String framework;
        final boolean mdc;
        final List<String> jvm = new ArrayList<>();

        Combination(String name, String api, String setup, List<String> jars, String framework, boolean mdc) {
            this.name = name;
            this.api = api;
            this.setup = setup;
            this.jars = jars;
            this.framework = framework;
            this.mdc = mdc;
        }

        Combination jvm(String arg) {
            jvm.add(arg);
            return this;
        }

        /** The app's class that makes the logging calls. */
        String callerClass() {
            switch (api) {
                case "slf4j": return "io.datanadhi.it.apps.bridge.Slf4jCalls";
                case "jcl": return "io.datanadhi.it.apps.bridge.JclCalls";
                case "jboss-logging": return "io.datanadhi.it.apps.bridge.JbossLoggingCalls";
                case "jul": return "io.datanadhi.it.apps.bridge.JulCalls";
                default: return "io.datanadhi.it.apps.bridge.Log4j1Calls";
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static List<String> jars(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all;
    }

    static Stream<Combination> combinations() {
        return Stream.of(
                new Combination("slf4j -> log4j-slf4j2-impl -> Log4j 2", "slf4j", "none",
                        jars(LOG4J2, "slf4j-api", "log4j-slf4j2-impl"), "log4j2", true),
                new Combination("slf4j -> slf4j-jdk14 -> JUL", "slf4j", "jul",
                        List.of("slf4j-api", "slf4j-jdk14"), "jul", false),
                new Combination("slf4j -> slf4j-reload4j -> reload4j", "slf4j", "none",
                        List.of("slf4j-api", "slf4j-reload4j", "reload4j"), "log4j", true),
                new Combination("commons-logging -> Logback", "jcl", "none",
                        jars(LOGBACK, "commons-logging"), "logback", false),
                new Combination("commons-logging -> Log4j 2", "jcl", "none",
                        jars(LOG4J2, "commons-logging"), "log4j2", false),
                new Combination("commons-logging -> JUL", "jcl", "jul",
                        List.of("commons-logging"), "jul", false),
                new Combination("commons-logging -> JBoss LogManager", "jcl", "jul",
                        List.of("commons-logging", "jboss-logmanager"), "jboss", false).jvm(JBOSS_MANAGER),
                new Combination("commons-logging -> slf4j -> reload4j", "jcl", "none",
                        List.of("commons-logging", "slf4j-api", "slf4j-reload4j", "reload4j"), "log4j", false),
                new Combination("spring-jcl -> Logback", "jcl", "none",
                        jars(LOGBACK, "spring-jcl"), "logback", false),
                new Combination("spring-jcl -> Log4j 2", "jcl", "none",
                        jars(LOG4J2, "spring-jcl"), "log4j2", false),
                new Combination("spring-jcl -> JUL", "jcl", "jul",
                        List.of("spring-jcl"), "jul", false),
                new Combination("spring-jcl -> JBoss LogManager", "jcl", "jul",
                        List.of("spring-jcl", "jboss-logmanager"), "jboss", false).jvm(JBOSS_MANAGER),
                new Combination("jboss-logging -> JBoss LogManager", "jboss-logging", "jul",
                        List.of("jboss-logging", "jboss-logmanager"), "jboss", true).jvm(JBOSS_MANAGER),
                new Combination("jboss-logging -> Logback", "jboss-logging", "none",
                        jars(LOGBACK, "jboss-logging"), "logback", true),
                new Combination("jboss-logging -> Log4j 2", "jboss-logging", "none",
                        jars(LOG4J2, "jboss-logging"), "log4j2", true),
                new Combination("jboss-logging -> reload4j", "jboss-logging", "none",
                        List.of("jboss-logging", "reload4j"), "log4j", true),
                new Combination("jboss-logging -> JUL", "jboss-logging", "jul",
                        List.of("jboss-logging"), "jul", false),
                new Combination("JUL on JBoss LogManager (-Djava.util.logging.manager)", "jul", "jul",
                        List.of("jboss-logmanager"), "jboss", false).jvm(JBOSS_MANAGER),
                new Combination("JUL on JBoss LogManager installed by the app after the agent started", "jul",
                        "late-jboss-manager", List.of("jboss-logmanager"), "jboss", false),
                new Combination("Log4j 1.2 API on the original log4j 1.2.17", "log4j1", "none",
                        List.of("log4j"), "log4j", true),
                new Combination("Log4j 1.2 API on reload4j", "log4j1", "none",
                        List.of("reload4j"), "log4j", true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("combinations")
    void eachEventIsCapturedOnceWhereItIsReallyLogged(Combination c) throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        AppRun.Result run;
        try (IngestServer server = new IngestServer()) {
            run = AppRun.bridge(c.jars, c.api, c.setup, String.valueOf(EVENTS)).shippingTo(server, dir)
                    .jvm(c.jvm.toArray(new String[0])).run();
            assertEquals(0, run.exitCode, run.toString());
            assertTrue(run.appLines().contains("app: logged " + EVENTS), run.toString());
            if (c.setup.equals("late-jboss-manager") || c.framework.equals("jboss")) {
                assertTrue(run.appLines().contains("app: manager=org.jboss.logmanager.LogManager"),
                        "the application's own JUL manager: " + run.appLines());
            }

            for (int i = 0; i < EVENTS; i++) {
                String message = "bridge event " + i;
                Received event = only(server.records(r -> r.message().equals(message)));
                JsonNode record = event.logData().get("log_record");
                assertEquals(c.framework, record.get("framework").asText(), event.toString());
                assertEquals("INFO", record.get("level").asText());
                assertEquals(c.callerClass(), record.get("class_name").asText(), event.toString());
                assertEquals("run", record.get("function_name").asText());
                assertEquals("bridge." + c.api, record.get("module_name").asText(), "the logger's name");
                assertEquals(c.callerClass().substring(c.callerClass().lastIndexOf('.') + 1) + ".java",
                        record.get("filename").asText());
                assertTrue(record.get("line_number").asInt() > 0, record.toString());
                assertEquals("INFO", record.get("native_level").asText(), record.toString());
                assertTrue(event.logData().get("timestamp").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"));
                assertEquals("main", record.get("thread_name").asText());
                if (c.mdc) {
                    assertEquals("r-" + i, event.logData().path("context").path("request_id").asText(),
                            event.toString());
                }
            }
            Received failure = only(server.records(r -> r.message().equals("bridge failure")));
            assertEquals("WARNING", failure.logData().get("log_record").get("level").asText());
            JsonNode error = failure.logData().get("context").get("error");
            assertEquals("java.lang.IllegalStateException", error.get("type").asText());
            assertEquals("boom", error.get("message").asText());
            assertTrue(error.get("stacktrace").asText().contains("Caused by: java.io.IOException: disk"),
                    error.toString());
            assertFalse(server.records().stream().anyMatch(r -> r.message().contains("bridge debug")),
                    "an event below the level is not captured");
            assertEquals(EVENTS + 1, server.records().size(), "nothing else, nothing twice");
        }
        // The application's own output is untouched: both appenders wrote every event.
        long written = run.stderr.lines().filter(l -> l.contains("bridge event 7")).count();
        assertEquals(2, written, "lines written by the two appenders:\n" + run.stderr);
    }
}
