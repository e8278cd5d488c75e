package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application that logs at full speed from the first line of {@code main}, while the agent is
 * still reading its configuration and rules: every event logged meanwhile is evaluated once they
 * are loaded (kept in memory, past a budget in {@code <dir>/startup/}), none skipped; every event
 * a rule ships arrives (directly, or later from EchoPost when the busy test server dropped
 * connections meanwhile) or is in {@code dropped/} with its reason.
 */
class EarlyEventsTest {

    private static final int EVENTS = 500_000;
    private static final String SHIP_BURST = String.join("\n",
            "- name: burst",
            "  conditions:",
            "    - {key: log_record.module_name, type: exact, value: com.acme.BurstShipped}",
            "  pipelines: [burst]",
            "");
    private static final Pattern EARLY = Pattern.compile("\"early_events\":(\\d+),\"early_spilled\":(\\d+)");
    /** The start-up buffer's memory, smaller than its 8 MB so that the file is used with a few thousand events. */
    private static final String SMALL_BUFFER = "-Ddatanadhi.internal.startup_memory_bytes=65536";
    private static final Pattern CAPTURED = Pattern.compile("captured=(\\d+), matched=(\\d+)");
    private static final long DELIVERY_TIMEOUT_MILLIS = 90_000;

    @TempDir
    java.nio.file.Path dir;

    @Test
    void aBurstOnFourPlatformThreadsFromTheFirstLineIsEvaluatedWhole() throws Exception {
        burst("platform-4");
    }

    @Test
    void aBurstOnVirtualThreadsFromTheFirstLineIsEvaluatedWhole() throws Exception {
        assumeTrue(VirtualThreadsTest.javaFeature() >= 21, "virtual threads need Java 21: " + Env.java());
        burst("virtual");
    }

    private void burst(String mode) throws Exception {
        TestRules.write(dir, "burst.yml", SHIP_BURST);
        AppRun.Result run;
        Ledger ledger;
        EchoPostProcesses echoPosts = new EchoPostProcesses(dir);
        try (IngestServer server = new IngestServer()) {
            run = AppRun.jul("burst", Integer.toString(EVENTS), mode).shippingTo(server, dir)
                    .env("DATANADHI_AGENT_LOG_LEVEL", "DEBUG").jvm(SMALL_BUFFER).run();
            assertEquals(0, run.exitCode, run.toString());
            ledger = awaitDelivery(server, EVENTS / 100);
        } finally {
            echoPosts.killAll();
        }
        assertTrue(run.appLines().contains("app: burst logged " + EVENTS), run.toString());
        assertEquals(List.of(), run.agentEvents("startup_events_skipped"));
        assertEquals(List.of(), run.agentEvents("startup_events_unevaluated"));

        List<String> started = run.agentEvents("agent_started");
        assertEquals(1, started.size(), run.toString());
        Matcher early = EARLY.matcher(started.get(0));
        assertTrue(early.find(), started.get(0));
        // Thousands logged before the agent was ready, most of them through the file: else this run proves little.
        assertTrue(Long.parseLong(early.group(1)) > 2_000, "events logged before the agent was ready: " + started);
        assertTrue(Long.parseLong(early.group(2)) > 1_000, "events that went through the file: " + started);

        List<String> stopped = run.agentEvents("agent_stopped");
        assertEquals(1, stopped.size(), run.toString());
        Matcher captured = CAPTURED.matcher(stopped.get(0));
        assertTrue(captured.find(), stopped.get(0));
        assertEquals(EVENTS, Long.parseLong(captured.group(1)), "every event evaluated once: " + stopped);
        assertEquals(EVENTS / 100, Long.parseLong(captured.group(2)), "every shipped event kept once: " + stopped);

        assertEquals(List.of(), ledger.missing(EVENTS / 100), ledger + "\n" + String.join("\n", run.agentLines("WARN"))
                + "\n" + String.join("\n", run.agentLines("INFO")) + "\n" + stopped);
        // A record whose answer was lost with its connection is sent again: a duplicate, never a loss.
        assertEquals(EVENTS / 100, ledger.distinct(), ledger.toString());
        assertEquals(List.of(), spillFiles(), "the spill file is deleted once read");
    }

    /**
     * A start-up burst whose every event a rule ships, more than the queue holds: the evaluation
     * of the early events (the agent's own thread) waits for room in the queue while the workers
     * empty it, so the records go to the server at the pace it takes them, not past the queue's
     * limits to the fallback or {@code dropped/} while the server is up. The application's threads
     * never wait.
     */
    @Test
    void aStartUpBurstLargerThanTheQueueGoesToTheServerNotToDisk() throws Exception {
        int events = 10_000;
        TestRules.write(dir, "burst.yml", SHIP_BURST);
        // Two thousand more rules (on loggers nobody uses) to read: the agent is ready about a second
        // after start, well after the burst (a few hundred ms without them, about when it ends).
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 2_000; i++) {
            many.append("- name: unused-").append(i).append("\n  conditions: [{key: log_record.module_name, type: exact, value: com.acme.Unused")
                    .append(i).append("}]\n  pipelines: [unused]\n");
        }
        TestRules.write(dir, "many.yml", many.toString());
        Path stop = dir.resolve("stop");
        AppRun.Result run;
        Ledger ledger;
        try (IngestServer server = new IngestServer()) {
            AppRun.Running app = AppRun.jul("burst", Integer.toString(events), "platform-4", stop.toString(), "1")
                    .shippingTo(server, dir).env("DATANADHI_QUEUE_SIZE", "1000").start();
            ledger = awaitDelivery(server, events);
            Files.createFile(stop);
            run = app.await();
        }
        assertEquals(0, run.exitCode, run.toString());
        List<String> started = run.agentEvents("agent_started");
        assertEquals(1, started.size(), run.toString());
        Matcher early = EARLY.matcher(started.get(0));
        assertTrue(early.find(), started.get(0));
        // The burst logged before the agent was ready, ten times the queue. Events logged after it was
        // ready go to the queue from the application's threads at once, as they should: more than a
        // few hundred of them would fill this small queue by themselves, and the run would prove nothing.
        long logged = Long.parseLong(early.group(1));
        assumeTrue(logged >= events - 300, "the agent was ready before the burst ended: " + started);
        assertEquals(List.of(), ledger.missing(events), ledger.toString());
        assertEquals(List.of(), Ledger.droppedFiles(dir, ""), String.join("\n", run.agentLines("WARN")));
        assertEquals(List.of(), run.agentEvents("drain_started"));
        assertEquals(List.of(), run.agentEvents("queue_full"));
    }

    /** Waits (bounded) until the server and {@code dropped/} hold every shipped record; the ledger then. */
    private Ledger awaitDelivery(IngestServer server, int expected) throws Exception {
        long deadline = System.currentTimeMillis() + DELIVERY_TIMEOUT_MILLIS;
        while (true) {
            Ledger ledger = new Ledger().addServer("server", server).addDropped(dir, "");
            if (ledger.distinct() >= expected || System.currentTimeMillis() > deadline) {
                return ledger;
            }
            Thread.sleep(100);
        }
    }

    private List<java.nio.file.Path> spillFiles() throws java.io.IOException {
        java.nio.file.Path startup = dir.resolve("startup");
        if (!Files.isDirectory(startup)) {
            return List.of();
        }
        try (java.util.stream.Stream<java.nio.file.Path> files = Files.list(startup)) {
            return files.collect(java.util.stream.Collectors.toList());
        }
    }
}
