package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The primary server goes away while an application logs: EchoPost is started, keeps the records on
 * disk, replays them once the server is back, and exits. Every record is numbered; at the end each
 * number must have arrived (duplicates are allowed, counted and printed) or be in {@code dropped/}.
 */
class OutageTest {

    /** Every wait for delivery after the outage is bounded by this. */
    private static final long DELIVERY_TIMEOUT_MILLIS = 90_000;

    @TempDir
    Path dir;
    IngestServer server;
    EchoPostProcesses echoPosts;

    @BeforeEach
    void setUp() throws Exception {
        server = new IngestServer();
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        echoPosts = new EchoPostProcesses(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
        echoPosts.killAll(); // an EchoPost whose server never came back would wait for it forever
    }

    @Test
    void aTenSecondOutageIsBridgedByEchoPostAndEveryRecordArrives() throws Exception {
        // About 18 s at one every 2 ms: during the outage, thousands of small batches for EchoPost.
        int count = 9000;
        AppRun.Running app = AppRun.logback("sequence", Integer.toString(count), "2").shippingTo(server, dir).start();
        assertTrue(server.awaitRecords(200, 30_000), "the app shipped before the outage");

        server.stop();
        long outageStart = System.currentTimeMillis();
        ProcessHandle echoPost = echoPosts.awaitOne(15_000);
        sleepUntil(outageStart + 10_000);
        assertTrue(app.isAlive(), "the app still logs when the server returns");
        server.restart();

        AppRun.Result run = app.await();
        assertEquals(0, run.exitCode, run.toString());
        Ledger ledger = awaitDelivery(count);
        assertEquals(List.of(), ledger.missing(count), ledger + "\n" + run);
        assertTrue(echoPosts.awaitNone(60_000), "EchoPost exits once it has drained: " + echoPosts.running());
        assertFalse(echoPost.isAlive());
        assertFalse(Files.exists(echoPosts.socket()), "EchoPost removed its socket");
        assertEquals(List.of(), Ledger.droppedFiles(dir, ""), "nothing went to disk");

        // One EchoPost bridged the whole outage: none died under the load and had to be replaced.
        try (java.util.stream.Stream<Path> sessions = Files.list(dir.resolve("echopost"))) {
            assertEquals(1, sessions.filter(p -> p.getFileName().toString().startsWith("session-")).count(),
                    echoPosts.eventsLogs());
        }
        // Every file there is owner-only, the agent's start lock and EchoPost's lock included.
        for (String lock : List.of(".start.lock", "echopost.lock")) {
            Path file = dir.resolve("echopost").resolve(lock);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), lock);
        }
        long replayed = server.records(IngestServer.Received::fromEchoPost).size();
        assertTrue(replayed > 0, "records arrived by EchoPost's replay: " + ledger);
        assertTrue(run.agentLines("INFO").stream().anyMatch(l -> l.contains("\"event\":\"echopost_started\"")),
                run.agentLines().toString());
        System.out.println("outage: " + count + " logged, " + ledger + ", " + replayed + " replayed by EchoPost");
    }

    @Test
    void anAppThatExitsDuringAnOutageLeavesEveryRecordWithEchoPostOrOnDisk() throws Exception {
        int count = 1500;
        AppRun.Running app = AppRun.logback("sequence", Integer.toString(count), "3").shippingTo(server, dir)
                .env("DATANADHI_EXIT_TIMEOUT", "2").start();
        assertTrue(server.awaitRecords(100, 30_000), "the app shipped before the outage");
        server.stop();

        AppRun.Result run = app.await();
        assertEquals(0, run.exitCode, run.toString());
        assertEquals(1, echoPosts.running().size(), "EchoPost outlives the app, holding what it got");

        server.restart();
        Ledger ledger = awaitDelivery(count, "shutdown_unsent_");
        assertEquals(List.of(), ledger.missing(count), ledger + "\n" + run);
        assertTrue(echoPosts.awaitNone(60_000), "EchoPost exits once it has drained");
        List<Path> otherDrops = new java.util.ArrayList<>(Ledger.droppedFiles(dir, ""));
        otherDrops.removeAll(Ledger.droppedFiles(dir, "shutdown_unsent_"));
        assertEquals(List.of(), otherDrops);
        System.out.println("exit during outage: " + count + " logged, " + ledger);
    }

    @Test
    void echoPostKilledDuringAnOutageIsRestartedAndNothingIsLost() throws Exception {
        int count = 3000; // about 12 s
        AppRun.Running app = AppRun.logback("sequence", Integer.toString(count), "4").shippingTo(server, dir).start();
        assertTrue(server.awaitRecords(200, 30_000), "the app shipped before the outage");
        server.stop();

        ProcessHandle first = echoPosts.awaitOne(15_000);
        Thread.sleep(1500); // it stores records meanwhile
        first.destroyForcibly(); // kill -9
        first.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
        ProcessHandle second = awaitAnotherThan(first, 15_000);
        assertNotEquals(first.pid(), second.pid());
        Thread.sleep(2000);
        server.restart();

        AppRun.Result run = app.await();
        assertEquals(0, run.exitCode, run.toString());
        Ledger ledger = awaitDelivery(count, "");
        assertEquals(List.of(), ledger.missing(count), ledger + "\n" + run);
        assertTrue(echoPosts.awaitNone(60_000), "the restarted EchoPost exits once it has drained");
        System.out.println("EchoPost kill -9: " + count + " logged, " + ledger);
    }

    @Test
    void twoJvmsOnOneDirectoryShareOneEchoPost() throws Exception {
        server.stop(); // down from the start
        int count = 600;
        AppRun.Running a = AppRun.logback("sequence", Integer.toString(count), "5", "a").shippingTo(server, dir).start();
        AppRun.Running b = AppRun.logback("sequence", Integer.toString(count), "5", "b").shippingTo(server, dir).start();
        Set<Long> seen = new TreeSet<>();
        long deadline = System.currentTimeMillis() + AppRun.TIMEOUT_SECONDS * 1000;
        while ((a.isAlive() || b.isAlive()) && System.currentTimeMillis() < deadline) {
            for (ProcessHandle process : echoPosts.running()) {
                seen.add(process.pid());
            }
            Thread.sleep(25);
        }
        AppRun.Result runA = a.await();
        AppRun.Result runB = b.await();
        assertEquals(0, runA.exitCode, runA.toString());
        assertEquals(0, runB.exitCode, runB.toString());
        assertEquals(1, seen.size(), "exactly one EchoPost for the directory, seen: " + seen + "\n" + runA + runB);

        server.restart();
        Ledger ledger = awaitDelivery(2 * count, "");
        assertEquals(List.of(), ledger.missing(count, "a", "b"), ledger + "\n" + runA + runB);
        assertTrue(echoPosts.awaitNone(60_000));
    }

    @Test
    void theApiKeyReachesEchoPostByItsEnvironmentNotItsCommandLine() throws Exception {
        server.stop();
        AppRun.Result run = AppRun.jul("sequence", "20", "0").shippingTo(server, dir).env("DATANADHI_EXIT_TIMEOUT", "2").run();
        assertEquals(0, run.exitCode, run.toString());
        ProcessHandle echoPost = echoPosts.awaitOne(5_000);

        String args = EchoPostProcesses.psArgs(echoPost.pid());
        assertTrue(args.contains("-datanadhi"), "ps shows EchoPost's arguments: " + args);
        assertFalse(args.contains(TestRules.API_KEY), "the API key is not on the command line: " + args);
        String environment = new String(Files.readAllBytes(Path.of("/proc", Long.toString(echoPost.pid()), "environ")),
                StandardCharsets.UTF_8);
        assertTrue(environment.contains("DATANADHI_API_KEY=" + TestRules.API_KEY + "\0"), "it is in the environment");
    }

    private ProcessHandle awaitAnotherThan(ProcessHandle previous, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            for (ProcessHandle process : echoPosts.running()) {
                if (process.pid() != previous.pid()) {
                    return process;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no new EchoPost within " + timeoutMillis + " ms of the kill");
    }

    /** Waits (bounded) until the server and the given dropped files hold every record; the ledger at that point. */
    private Ledger awaitDelivery(int expected, String... droppedPrefixes) throws Exception {
        long deadline = System.currentTimeMillis() + DELIVERY_TIMEOUT_MILLIS;
        while (true) {
            Ledger ledger = new Ledger().addServer("server", server);
            for (String prefix : droppedPrefixes) {
                ledger.addDropped(dir, prefix);
            }
            if (ledger.distinct() >= expected || System.currentTimeMillis() > deadline) {
                return ledger;
            }
            Thread.sleep(100);
        }
    }

    private static void sleepUntil(long epochMillis) throws InterruptedException {
        long left = epochMillis - System.currentTimeMillis();
        if (left > 0) {
            Thread.sleep(left);
        }
    }
}
