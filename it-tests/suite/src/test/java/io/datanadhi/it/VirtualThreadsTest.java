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
 * A thread per task, the way servers run requests on Java 21 and later: a Logback application
 * logs once on each of many virtual threads, each with its own MDC. Runs on the second JDK (the
 * first has no virtual threads).
 */
class VirtualThreadsTest {

    private static final String SHIP_VT = String.join("\n",
            "- name: vt",
            "  conditions:",
            "    - {key: message, type: partial, value: vt shipped}",
            "  pipelines: [vt]",
            "");
    private static final Pattern SEQ = Pattern.compile("seq=(\\d+)");

    @TempDir
    java.nio.file.Path dir;

    @Test
    void everyEventIsCapturedOnceWithItsOwnContextAndCountedExactly() throws Exception {
        assumeTrue(javaFeature() >= 21, "virtual threads need Java 21: " + Env.java());
        TestRules.write(dir, "vt.yml", SHIP_VT);
        int threads = 100_000;
        int shipEvery = 100;
        AppRun.Result run;
        Map<Long, Integer> seen = new TreeMap<>();
        try (IngestServer server = new IngestServer()) {
            run = AppRun.logback("virtual", Integer.toString(threads), Integer.toString(shipEvery))
                    .shippingTo(server, dir).run();
            assertEquals(0, run.exitCode, run.toString());
            for (IngestServer.Received record : server.records()) {
                Matcher seq = SEQ.matcher(record.message());
                assertTrue(seq.find(), record.toString());
                long n = Long.parseLong(seq.group(1));
                seen.merge(n, 1, Integer::sum);
                assertEquals(Long.toString(n * shipEvery), record.logData().path("context").path("task").asText(),
                        "the MDC of the thread that logged it: " + record);
            }
        }
        assertEquals(threads / shipEvery, seen.size(), "every shipped event: " + run);
        assertTrue(seen.values().stream().allMatch(count -> count == 1), "each once: " + seen);
        Map<String, String> before = JmxLines.attributes(run, "before");
        Map<String, String> after = JmxLines.attributes(run, "after");
        assertEquals(threads, JmxLines.delta(before, after, "Captured"), "every event the application logged: " + run);
        assertEquals(threads / shipEvery, JmxLines.delta(before, after, "Matched"), run.toString());
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
