package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A thread per task, the way servers run requests on Java 21 and later: an application logs once
 * on each of many virtual threads, each with its own MDC, through Logback, Log4j 2,
 * java.util.logging, and java.util.logging routed into Logback by jul-to-slf4j; with an appender
 * (handler) that blocks, so that the threads unmount inside the logging call and resume on other
 * carriers. Runs on the second JDK (the first has no virtual threads).
 */
class VirtualThreadsTest {

    private static final String SHIP_VT = String.join("\n",
            "- name: vt",
            "  conditions:",
            "    - {key: message, type: partial, value: vt shipped}",
            "  pipelines: [vt]",
            "");
    private static final Pattern SEQ = Pattern.compile("seq=(\\d+)");

    /** 100 000 threads, and a record shipped for every 100th: 1 000 records. */
    private static final int THREADS = 100_000;
    private static final int SHIP_EVERY = 100;
    /**
     * Carrier threads for the virtual threads: more than one whatever the machine, so that a thread
     * that unmounts inside an appender can resume on another carrier.
     */
    private static final String CARRIERS = "-Djdk.virtualThreadScheduler.parallelism=4";

    @TempDir
    java.nio.file.Path dir;

    @Test
    void everyEventIsCapturedOnceWithItsOwnContextAndCountedExactly() throws Exception {
        assumeTrue(javaFeature() >= 21, "virtual threads need Java 21: " + Env.java());
        TestRules.write(dir, "vt.yml", SHIP_VT);
        try (IngestServer server = new IngestServer()) {
            AppRun.Result run = AppRun.logback("virtual", Integer.toString(THREADS), Integer.toString(SHIP_EVERY))
                    .shippingTo(server, dir).run();
            assertEveryEventOnce(run, server, "logback", true);
        }
    }

    /**
     * Logback with an appender that blocks (sleeps 1 ms): each thread unmounts inside the logging
     * call, after the agent captured the event, and resumes, often on another carrier. Nothing the
     * agent keeps for the event in progress may be left to the carrier: another thread mounted
     * there meanwhile would find it (its event taken for a nested one and not captured, or its
     * context mixed up). And the application's own appender still receives every event once, with
     * the thread's own MDC.
     */
    @Test
    void logbackWithAnAppenderThatBlocksEveryEventOnceWithItsOwnMdc() throws Exception {
        assumeTrue(javaFeature() >= 21, "virtual threads need Java 21: " + Env.java());
        TestRules.write(dir, "vt.yml", SHIP_VT);
        try (IngestServer server = new IngestServer()) {
            AppRun.Result run = AppRun.logback("virtual", Integer.toString(THREADS), Integer.toString(SHIP_EVERY),
                    "blocking").shippingTo(server, dir).jvm(CARRIERS).run();
            assertEveryEventOnce(run, server, "logback", true);
            assertTheAppenderSawEveryEventOnce(run);
        }
    }

    /** Log4j 2 (log4j-core), the thread context as the MDC, and an appender that blocks as above. */
    @Test
    void log4j2EveryEventOnceWithItsOwnThreadContext() throws Exception {
        assumeTrue(javaFeature() >= 21, "virtual threads need Java 21: " + Env.java());
        TestRules.write(dir, "vt.yml", SHIP_VT);
        try (IngestServer server = new IngestServer()) {
            AppRun.Result run = AppRun.log4j2("virtual", Integer.toString(THREADS), Integer.toString(SHIP_EVERY))
                    .shippingTo(server, dir).jvm(CARRIERS).run();
            assertEveryEventOnce(run, server, "log4j2", true);
            assertTheAppenderSawEveryEventOnce(run);
        }
    }

    /**
     * java.util.logging, with a handler that blocks: the agent captures a JUL event on the way out
     * of {@code Logger.log}, after the handlers, so the thread has unmounted and perhaps moved
     * between the hook's entry and its capture. JUL has no MDC: each event once, by its number, on
     * its own thread (by name).
     */
    @Test
    void julEveryEventOnceCapturedOnTheWayOutAfterTheThreadMoved() throws Exception {
        assumeTrue(javaFeature() >= 21, "virtual threads need Java 21: " + Env.java());
        TestRules.write(dir, "vt.yml", SHIP_VT);
        try (IngestServer server = new IngestServer()) {
            AppRun.Result run = AppRun.jul("virtual", Integer.toString(THREADS), Integer.toString(SHIP_EVERY))
                    .shippingTo(server, dir).jvm(CARRIERS).run();
            assertEveryEventOnce(run, server, "jul", false);
            assertTheAppenderSawEveryEventOnce(run);
        }
    }

    /**
     * java.util.logging routed into Logback by jul-to-slf4j, with Logback's MDC and the blocking
     * appender: captured once, by Logback, with the MDC. The JUL hook, still open around the
     * bridge, must see on its way out (after the thread moved) that Logback captured the event;
     * otherwise it is captured twice (by JUL too, without the MDC). And each thread's second JUL
     * event, which Logback refuses (its level for com.acme.quiet) before a JUL handler sleeps, is
     * captured by neither: the JUL hook must see on its way out, after the move, that the event
     * was handed to Logback (Captured would be 200 000, and "vt shipped though refused" shipped).
     */
    @Test
    void julToSlf4jIntoLogbackEveryEventOnceByLogbackWithItsOwnMdc() throws Exception {
        assumeTrue(javaFeature() >= 21, "virtual threads need Java 21: " + Env.java());
        TestRules.write(dir, "vt.yml", SHIP_VT);
        try (IngestServer server = new IngestServer()) {
            AppRun.Result run = AppRun.logback("virtual", Integer.toString(THREADS), Integer.toString(SHIP_EVERY),
                    "jul-to-slf4j").shippingTo(server, dir).jvm(CARRIERS).run();
            assertEveryEventOnce(run, server, "logback", true);
            assertTheAppenderSawEveryEventOnce(run);
            Map<String, Long> refused = figures(run, "app: refused by logback ");
            assertEquals(THREADS, refused.get("published"), "the events Logback refused, still written by JUL");
            assertTrue(refused.get("moved-carrier") > 0, "no thread moved after Logback refused: " + refused);
        }
    }

    /**
     * What a run of a "virtual" scenario ({@link #THREADS} threads, one event each, every
     * {@link #SHIP_EVERY}-th shipped) must show: every shipped event arrived exactly once,
     * captured by {@code framework}, on the thread that logged it (named "task-N" by it) and, with
     * {@code mdc}, with that thread's own MDC entry {@code task}; and the MBean counted every event
     * the application logged once (Captured) and every shipped one (Matched).
     */
    private static void assertEveryEventOnce(AppRun.Result run, IngestServer server, String framework, boolean mdc) {
        assertEquals(0, run.exitCode, run.toString());
        Map<Long, Integer> seen = new TreeMap<>();
        for (IngestServer.Received record : server.records()) {
            Matcher seq = SEQ.matcher(record.message());
            assertTrue(seq.find(), record.toString());
            long n = Long.parseLong(seq.group(1));
            seen.merge(n, 1, Integer::sum);
            String task = Long.toString(n * SHIP_EVERY);
            assertEquals(framework, record.logData().path("log_record").path("framework").asText(),
                    "captured by the framework that logged it: " + record);
            assertEquals("task-" + task, record.logData().path("log_record").path("thread_name").asText(),
                    "the thread that logged it: " + record);
            if (mdc) {
                assertEquals(task, record.logData().path("context").path("task").asText(),
                        "the MDC of the thread that logged it: " + record);
            }
        }
        Map<Long, Integer> twice = new TreeMap<>(seen);
        twice.values().removeIf(count -> count == 1);
        assertEquals(Map.of(), twice, "each once (seq=count)");
        assertEquals(THREADS / SHIP_EVERY, seen.size(), "every shipped event: " + run);
        Map<String, String> before = JmxLines.attributes(run, "before");
        Map<String, String> after = JmxLines.attributes(run, "after");
        assertEquals(THREADS, JmxLines.delta(before, after, "Captured"), "every event the application logged: " + run);
        assertEquals(THREADS / SHIP_EVERY, JmxLines.delta(before, after, "Matched"), run.toString());
    }

    /**
     * The application's own blocking appender (or handler) received every event once, with the
     * context of the thread that logged it, and the threads did resume on other carriers inside it
     * (else the run proved nothing about moving); each thread read its own context back after.
     */
    private static void assertTheAppenderSawEveryEventOnce(AppRun.Result run) {
        Map<String, Long> tally = figures(run, "app: appender ");
        assertEquals(THREADS, tally.get("appended"), "events the application's appender received: " + tally);
        assertEquals(THREADS, tally.get("once"), "tasks whose event it received exactly once: " + tally);
        assertEquals(0, tally.get("wrong-context"), "events with another thread's context: " + tally);
        assertTrue(tally.get("moved-carrier") > 0, "no append resumed on another carrier: " + tally);
        assertTrue(run.appLines().contains("app: context after logging wrong=0"), run.appLines().toString());
    }

    /** The figures of the application's line {@code <prefix>name=N name=N ...}. */
    private static Map<String, Long> figures(AppRun.Result run, String prefix) {
        Map<String, Long> figures = new TreeMap<>();
        for (String pair : run.appLines().stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no '" + prefix + "' in " + run)).substring(prefix.length())
                .split(" ")) {
            String[] nameValue = pair.split("=", 2);
            figures.put(nameValue[0], Long.parseLong(nameValue[1]));
        }
        return figures;
    }

    /**
     * Nothing per thread stays behind: the heap after GC is about the same after 100 000 and
     * 1 000 000 threads (before step 8 it grew by about 90 bytes per thread that logged: 16 MB, then 95 MB).
     */
    @Test
    void theHeapDoesNotGrowWithTheNumberOfThreadsThatLogged() throws Exception {
        assumeTrue(javaFeature() >= 21, "virtual threads need Java 21: " + Env.java());
        TestRules.write(dir, "vt.yml", SHIP_VT);
        long few = heapAfter(100_000);
        long many = heapAfter(1_000_000);
        long growth = many - few;
        assertTrue(growth < 16L * 1024 * 1024, "heap after GC: " + few + " bytes after 100 000 threads, " + many
                + " after 1 000 000");
    }

    private long heapAfter(int threads) throws Exception {
        try (IngestServer server = new IngestServer()) {
            AppRun.Result run = AppRun.logback("virtual", Integer.toString(threads), "10000").shippingTo(server, dir)
                    .jvm("-Xmx1g").run();
            assertEquals(0, run.exitCode, run.toString());
            assertEquals(threads, JmxLines.delta(JmxLines.attributes(run, "before"), JmxLines.attributes(run, "after"),
                    "Captured"), run.toString());
            String prefix = "app: heap after GC ";
            return Long.parseLong(run.appLines().stream().filter(l -> l.startsWith(prefix)).findFirst()
                    .orElseThrow(() -> new AssertionError("no heap line in " + run)).substring(prefix.length()));
        }
    }


    /** The feature version of the JVM the applications run on. */
    static int javaFeature() throws IOException, InterruptedException {
        Process process = new ProcessBuilder(Env.java(), "-version").redirectErrorStream(true).start();
        String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(30, TimeUnit.SECONDS);
        Matcher version = Pattern.compile("version \"(\\d+)").matcher(text);
        return version.find() ? Integer.parseInt(version.group(1)) : 0;
    }
}
