package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.http.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server 30 ms away (every request answered 30 ms after it arrived) and an application logging
 * 1 500 records a second: one request per record, so the agent must keep about 45 requests in
 * flight. With the default window it keeps up: everything arrives, nothing is slow or down.
 */
class DistantServerTest {

    private static final int COUNT = 15_000;
    private static final int PER_SECOND = 1_500;

    @TempDir
    Path dir;
    TestServer server;
    /** What arrived, kept here rather than in the server's copy-on-write list (15 000 copies of a growing array). */
    final Queue<TestServer.Received> arrived = new ConcurrentLinkedQueue<>();
    EchoPostProcesses echoPosts;

    @BeforeEach
    void setUp() throws Exception {
        server = TestServer.start().keepNothing().onReceived(arrived::add);
        server.delayMillis.set(30);
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        echoPosts = new EchoPostProcesses(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
        echoPosts.killAll();
    }

    @Test
    void aServerThirtyMillisecondsAwayKeepsUpWithFifteenHundredRecordsASecond() throws Exception {
        AppRun.Result run = AppRun.jul("rate", Integer.toString(COUNT), Integer.toString(PER_SECOND))
                .shippingTo(server.url(), dir)
                .env("DATANADHI_FALLBACK_SERVER_HOST", DeadServer.url())
                .run();
        assertEquals(0, run.exitCode, run.toString());
        // The app waited for delivery before it exited: what is not there within a moment never will be.
        assertTrue(server.await(COUNT, 5_000), server.posts() + " of " + COUNT + " arrived\n" + run.agentLines());

        Ledger ledger = new Ledger().addJson("server", arrived.stream().map(TestServer.Received::text)
                .collect(Collectors.toList()));
        assertEquals(List.of(), ledger.missing(COUNT), ledger + "\n" + run.agentLines());
        assertEquals(0, ledger.duplicates(), "each record once: " + ledger);
        assertEquals(COUNT, ledger.distinct(), ledger.toString());
        assertEquals(List.of(), Ledger.droppedFiles(dir, ""), "nothing went to disk");
        assertEquals(List.of(), run.agentEvents("primary_down"), "the server was never taken for down");
        assertEquals(List.of(), run.agentEvents("primary_slow"), "the window kept up");
        assertTrue(arrived.stream().noneMatch(TestServer.Received::fromEchoPost), "all sent by the agent");

        System.out.println("distant server: " + COUNT + " records at " + PER_SECOND + "/s to a server 30 ms away, "
                + run.loggingSummary() + "; " + server.connectionsAccepted() + " connection(s) accepted, at most "
                + server.mostConnectionsOpen() + " open at once");
    }
}
