package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.http.testing.MisbehavingServer;
import io.datanadhi.http.testing.MisbehavingServer.Fault;
import io.datanadhi.http.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A server that goes wrong in ways a connection refusal does not show: a body that never ends,
 * headers that never end, no answer at all, garbage, a response cut short. With
 * {@code server.timeout} at 1 s each is a server that is down: the application logs on unhindered,
 * {@code primary_down} is reported, the records go the usual way (EchoPost, or the fallback when
 * EchoPost is disabled), and once the server is healed every record has arrived, each once, or is
 * in {@code dropped/} with a reason.
 */
class MisbehavingServerTest {

    /** 20 records over 1 s: the app still logs while the agent meets the fault (1 s deadline). */
    private static final int COUNT = 20;
    private static final int PER_SECOND = 20;
    /**
     * The "rate" scenario logs on a schedule: against a healthy server it takes its 950 ms to the
     * millisecond or two. A logging call that waited for the server would add its 1 s deadline.
     */
    private static final long SCHEDULED_LOGGING_MILLIS = (COUNT - 1) * 1000L / PER_SECOND;
    private static final long LOGGING_SLACK_MILLIS = 1000;

    /**
     * EchoPost as the agent installed it for an earlier fault: each case starts with it in place, as on
     * a host where it stays installed, instead of rebuilding the 12 MB jar (seconds of CPU) every time.
     */
    @TempDir
    static Path installed;
    static Path installedEchoPost;

    @TempDir
    Path dir;
    MisbehavingServer server;
    TestServer fallback;
    EchoPostProcesses echoPosts;

    @BeforeEach
    void setUp() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        echoPosts = new EchoPostProcesses(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
        if (fallback != null) {
            fallback.close();
        }
        echoPosts.killAll();
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"ENDLESS_CHUNKED_BODY", "BODY_NEVER_COMPLETES", "HEADERS_NEVER_END",
        "NEVER_ANSWERS", "GARBAGE_AFTER_STATUS", "CLOSES_MID_RESPONSE"})
    void theRecordsGoToEchoPostAndArriveOnceTheServerIsHealed(Fault fault) throws Exception {
        server = MisbehavingServer.start(fault);
        reuseInstalledEchoPost();
        AppRun.Result run = app(server, dir)
                .env("DATANADHI_FALLBACK_SERVER_HOST", DeadServer.url())
                // EchoPost (a JVM) starts within this on a busy machine: the records are with it, not in
                // shutdown_unsent, when the app exits.
                .env("DATANADHI_EXIT_TIMEOUT", "20")
                .run();
        keepInstalledEchoPost();
        assertNeverBlocked(run, fault);
        assertPrimaryDown(run, fault);

        server.heal();
        Ledger ledger = awaitEveryRecord();
        String where = fault + ": " + ledger + "\n" + run.agentLines() + "\n" + echoPosts.eventsLogs();
        assertEquals(List.of(), ledger.missing(COUNT), where);
        assertEquals(0, ledger.duplicates(), where);
        assertFalse(run.agentEvents("echopost_started").isEmpty(), "EchoPost was started: " + where);
        List<MisbehavingServer.Delivered> delivered = server.delivered();
        long replayed = delivered.stream().filter(MisbehavingServer.Delivered::fromEchoPost).count();
        assertTrue(replayed > 0, "records arrived by EchoPost's replay after the heal: " + where);
        assertTrue(echoPosts.awaitNone(30_000), "EchoPost exits once it has drained: " + where);
        System.out.println("misbehaving server " + fault + ", EchoPost: " + run.loggingSummary() + "; " + ledger + "; "
                + replayed + " replayed by EchoPost; " + server.requests().size() + " request(s) read; "
                + run.agentEvents("primary_down"));
    }

    /**
     * The deadline alone, without EchoPost, against the fault an idle timeout never catches: a body
     * that keeps coming. Every request is given up after 1 s, so nothing is left in flight when the
     * app exits (5 s later at most) and the fallback has every record.
     */
    @Test
    void withoutEchoPostABodyThatNeverEndsMeetsTheDeadlineAndTheFallbackGetsTheRecords() throws Exception {
        Fault fault = Fault.ENDLESS_CHUNKED_BODY;
        server = MisbehavingServer.start(fault);
        fallback = TestServer.start();
        AppRun.Result run = app(server, dir)
                .env("DATANADHI_ECHOPOST_DISABLE", "true")
                .env("DATANADHI_FALLBACK_SERVER_HOST", fallback.url())
                .run();
        assertNeverBlocked(run, fault);
        assertPrimaryDown(run, fault);

        Ledger ledger = new Ledger().addServer("fallback", fallback)
                .addJson("server", server.delivered().stream().map(d -> d.body).collect(Collectors.toList()))
                .addDropped(dir, "");
        String where = fault + ": " + ledger + "\n" + run.agentLines();
        assertEquals(List.of(), ledger.missing(COUNT), where);
        assertEquals(0, ledger.duplicates(), where);
        assertFalse(fallback.received().isEmpty(), "the fallback took the records: " + where);
        assertEquals(List.of(), Ledger.droppedFiles(dir, ""), where);
        assertEquals(List.of(), echoPosts.running());
        System.out.println("misbehaving server " + fault + ", fallback: " + run.loggingSummary() + "; " + ledger + "; "
                + server.requests().size() + " request(s) read; " + run.agentEvents("primary_down"));
    }

    /** The JUL app logging {@link #COUNT} numbered records at {@link #PER_SECOND}, a 1 s deadline per request. */
    private static AppRun app(MisbehavingServer server, Path dataNadhiDir) {
        return AppRun.jul("rate", Integer.toString(COUNT), Integer.toString(PER_SECOND))
                .shippingTo(server.url(), dataNadhiDir)
                .env("DATANADHI_SERVER_TIMEOUT", "1");
    }

    private static void assertNeverBlocked(AppRun.Result run, Fault fault) {
        assertEquals(0, run.exitCode, fault + ": " + run);
        assertTrue(run.appLines().contains("app: done"), run.toString());
        assertTrue(run.loggingMillis() <= SCHEDULED_LOGGING_MILLIS + LOGGING_SLACK_MILLIS, fault + ": "
                + run.loggingSummary() + "; " + SCHEDULED_LOGGING_MILLIS + " ms as scheduled");
        // A call that waited for the server would have waited for its 1 s deadline. The first call is
        // left out: it loads the classes of the capture path (a second on a loaded machine), whatever the server.
        assertTrue(run.slowestCallMillis() < 1000, fault + ": " + run.loggingSummary());
    }

    private static void assertPrimaryDown(AppRun.Result run, Fault fault) {
        List<String> down = run.agentEvents("primary_down");
        assertFalse(down.isEmpty(), fault + ": primary_down expected: " + run.agentLines());
        assertTrue(down.get(0).contains("\"level\":\"WARN\""), down.get(0));
        assertEquals(List.of(), run.agentEvents("primary_rejected"), "not a refusal of the records: " + run.agentLines());
    }

    private void reuseInstalledEchoPost() throws Exception {
        if (installedEchoPost != null) {
            Files.createDirectories(dir.resolve("echopost"));
            Files.copy(installedEchoPost, dir.resolve("echopost").resolve("echopost"), StandardCopyOption.COPY_ATTRIBUTES);
        }
    }

    private void keepInstalledEchoPost() throws Exception {
        Path echoPost = dir.resolve("echopost").resolve("echopost");
        if (installedEchoPost == null && Files.isRegularFile(echoPost)) {
            installedEchoPost = Files.copy(echoPost, installed.resolve("echopost"), StandardCopyOption.COPY_ATTRIBUTES);
        }
    }

    /**
     * Waits (bounded) until every record was delivered to the healed server or is in
     * {@code dropped/}, and EchoPost has exited; the ledger at that point.
     */
    private Ledger awaitEveryRecord() throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            Ledger ledger = new Ledger()
                    .addJson("server", server.delivered().stream().map(d -> d.body).collect(Collectors.toList()))
                    .addDropped(dir, "");
            boolean done = ledger.distinct() >= COUNT && echoPosts.running().isEmpty();
            if (done || System.currentTimeMillis() > deadline) {
                return ledger;
            }
            Thread.sleep(100);
        }
    }
}
