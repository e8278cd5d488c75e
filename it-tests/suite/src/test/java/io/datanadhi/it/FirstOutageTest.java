package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.echopost.EmbeddedEchoPost;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first outage on a directory where EchoPost was never installed: nothing is rebuilt before
 * EchoPost starts, a short job's records reach it, an exit during a slow start keeps its deadline,
 * and only what this agent carries is ever run.
 */
class FirstOutageTest {

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
        echoPosts.killAll();
    }

    @Test
    void theFirstOutageOnAFreshDirectoryStartsEchoPostAndEveryRecordArrives() throws Exception {
        int count = 1500;
        AppRun.Running app = AppRun.logback("sequence", Integer.toString(count), "2").shippingTo(server, dir).start();
        assertTrue(server.awaitRecords(200, 30_000), "the app shipped before the outage");
        assertFalse(Files.exists(dir.resolve("echopost").resolve("echopost")), "not installed before it is needed");
        server.stop();
        AppRun.Result run = app.await();
        assertEquals(0, run.exitCode, run.toString());

        Instant down = time(run, "primary_down");
        Instant started = time(run, "echopost_started");
        server.restart();
        Ledger ledger = awaitDelivery(count);
        assertEquals(List.of(), ledger.missing(count), ledger + "\n" + run);
        assertEquals(List.of(), Ledger.droppedFiles(dir, ""), "nothing went to disk: " + run.agentLines());
        assertTrue(echoPosts.awaitNone(60_000), "EchoPost exits once it has drained");
        System.out.println("first outage (fresh directory): primary_down to echopost_started "
                + Duration.between(down, started).toMillis() + " ms; " + ledger);
    }

    @Test
    void anAppThatExitsJustAfterTheFirstFailureHandsEveryRecordToEchoPost() throws Exception {
        server.stop(); // down from the start: the first delivery fails, and the app ends about 200 ms later
        int count = 100;
        AppRun.Result run = AppRun.jul("sequence", Integer.toString(count), "2").shippingTo(server, dir)
                .env("DATANADHI_EXIT_TIMEOUT", "10").run();
        assertEquals(0, run.exitCode, run.toString());
        assertEquals(List.of(), Ledger.droppedFiles(dir, ""), "everything went to EchoPost: " + run.agentLines());

        server.restart();
        Ledger ledger = awaitDelivery(count);
        assertEquals(List.of(), ledger.missing(count), ledger + "\n" + run);
        assertTrue(server.records().stream().allMatch(IngestServer.Received::fromEchoPost), "all by EchoPost: " + ledger);
        assertTrue(echoPosts.awaitNone(60_000), "EchoPost exits once it has drained");
    }

    @Test
    void anAppThatExitsDuringASlowStartExitsWithinItsExitTimeoutAndNoEchoPostStartsAfter() throws Exception {
        server.stop();
        // Every start takes 10 s before it would run the real EchoPost.
        Path binary = dir.resolve("slow-echopost");
        Files.writeString(binary, "#!/bin/sh\nsleep 10\nexec '" + Env.java() + "' -jar '" + Env.echopostJar()
                + "' \"$@\"\n");
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwx------"));
        int exitTimeoutSeconds = 2;
        AppRun.Running app = AppRun.jul("sequence", "100", "5").shippingTo(server, dir)
                .env("DATANADHI_ECHOPOST_BINARY", binary.toString())
                .env("DATANADHI_ECHOPOST_START_TIMEOUT", "2")
                .env("DATANADHI_EXIT_TIMEOUT", Integer.toString(exitTimeoutSeconds)).start();
        long deadline = System.currentTimeMillis() + 60_000;
        while (!app.stdoutSoFar().contains("app: done") && app.isAlive() && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        long done = System.nanoTime();
        AppRun.Result run = app.await();
        long exitMillis = (System.nanoTime() - done) / 1_000_000;
        assertEquals(0, run.exitCode, run.toString());
        assertTrue(exitMillis <= exitTimeoutSeconds * 1000L + 1000, "the JVM exited " + exitMillis
                + " ms after main returned; async.exit_timeout is " + exitTimeoutSeconds + " s\n" + run);

        Ledger ledger = new Ledger().addDropped(dir, "shutdown_unsent_");
        assertEquals(List.of(), ledger.missing(100), ledger + "\n" + run);
        Thread.sleep(11_000); // past the slow start's 10 s: it was stopped, not left to start late
        assertEquals(List.of(), echoPosts.running(), "no EchoPost started after the records went to dropped/");
        System.out.println("exit during a slow start: the JVM exited " + exitMillis + " ms after main returned"
                + " (async.exit_timeout " + exitTimeoutSeconds + " s)");
    }

    @Test
    void aTamperedEchoPostIsReplacedWithWhatTheAgentCarriesBeforeAnythingRuns() throws Exception {
        String version;
        try (ZipFile jar = new ZipFile(Env.agentJar().toFile())) {
            version = EmbeddedEchoPost.version(jar);
        }
        Path echoDir = dir.resolve("echopost");
        Files.createDirectories(echoDir);
        // Someone else's jar (a working EchoPost with only SendLog: the agent would say so if it ran
        // it) behind the real header, and as the copy the launcher names.
        byte[] other = Files.readAllBytes(Env.appJar("sendlog-only-echopost"));
        Path launcher = echoDir.resolve("echopost");
        String header = "#!/bin/sh\n# Data Nadhi EchoPost, installed by the Data Nadhi Java agent.\n"
                + "# datanadhi-echopost-version: " + version + "\nexec java -jar \"$0\" \"$@\"\n";
        byte[] headed = new byte[header.length() + other.length];
        System.arraycopy(header.getBytes(StandardCharsets.US_ASCII), 0, headed, 0, header.length());
        System.arraycopy(other, 0, headed, header.length(), other.length);
        Files.write(launcher, headed);
        Path copy = echoDir.resolve("echopost-" + version + ".jar");
        Files.write(copy, other);

        server.stop();
        AppRun.Result run = AppRun.jul("sequence", "100", "5").shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());
        assertTrue(run.agentLines().stream().noneMatch(l -> l.contains("echopost_sendlog_only")), "the other jar ran: "
                + run.agentLines());
        assertArrayEquals(Files.readAllBytes(Env.agentJar()), Files.readAllBytes(copy), "the copy is the agent jar again");
        String script = Files.readString(launcher, StandardCharsets.ISO_8859_1);
        assertTrue(script.contains("echopost-" + version + ".jar") && script.length() < 1000, script);
        ProcessHandle echoPost = echoPosts.awaitOne(5_000);
        assertTrue(EchoPostProcesses.psArgs(echoPost.pid()).contains(copy.toString()),
                EchoPostProcesses.psArgs(echoPost.pid()));

        server.restart();
        Ledger ledger = awaitDelivery(100);
        assertEquals(List.of(), ledger.missing(100), ledger + "\n" + run);
    }

    @Test
    void anAgentJarDeletedWhileTheAppRunsStillInstallsAndStartsEchoPost() throws Exception {
        Path agentCopy = dir.resolve("upgrade").resolve("datanadhi-agent.jar");
        Files.createDirectories(agentCopy.getParent());
        Files.copy(Env.agentJar(), agentCopy);
        int count = 1500;
        AppRun.Running app = AppRun.logback("sequence", Integer.toString(count), "3").shippingTo(server, dir)
                .agentJar(agentCopy).start();
        assertTrue(server.awaitRecords(100, 30_000), "the app shipped before the outage");
        Files.delete(agentCopy); // an upgrade removed the jar the application started with
        server.stop();
        ProcessHandle echoPost;
        try {
            echoPost = echoPosts.awaitOne(30_000);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + app.await(), e);
        }
        Files.copy(Env.echopostJar(), agentCopy); // and put another file at its path
        AppRun.Result run = app.await();
        assertEquals(0, run.exitCode, run.toString());
        assertTrue(echoPost.isAlive(), "EchoPost runs from its own copy");

        server.restart();
        Ledger ledger = awaitDelivery(count);
        assertEquals(List.of(), ledger.missing(count), ledger + "\n" + run);
        assertEquals(List.of(), Ledger.droppedFiles(dir, ""), run.agentLines().toString());
        assertTrue(echoPosts.awaitNone(60_000), "EchoPost exits once it has drained");
    }

    private static Instant time(AppRun.Result run, String event) {
        String line = run.agentLines().stream().filter(l -> l.contains("\"event\":\"" + event + "\"")).findFirst()
                .orElseThrow(() -> new AssertionError("no " + event + " in " + run.agentLines()));
        int at = line.indexOf("\"time\":\"") + 8;
        return Instant.parse(line.substring(at, line.indexOf('"', at)));
    }

    private Ledger awaitDelivery(int count) throws Exception {
        long deadline = System.currentTimeMillis() + DELIVERY_TIMEOUT_MILLIS;
        Ledger ledger = new Ledger().addServer("server", server);
        while (!ledger.missing(count).isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
            ledger = new Ledger().addServer("server", server);
        }
        return ledger;
    }
}
