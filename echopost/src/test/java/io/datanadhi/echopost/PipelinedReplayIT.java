package io.datanadhi.echopost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.http.testing.MisbehavingServer;
import io.datanadhi.http.testing.TestServer;
import io.datanadhi.proto.LogRequest;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replay pipelines records in store order on one connection, a window of them awaiting their
 * answers: a record not taken in the middle of the window is sent again after the ones behind
 * it that the server took, nothing else twice; a server that never answers or never ends its
 * answer costs one deadline, never a wedged replay.
 */
class PipelinedReplayIT {

    static final String KEY = "pipelined-replay-key-9d41";
    /** The flags the agent runs EchoPost with (EchoPostJvm): a window must fit this heap. */
    static final String[] AGENT_HEAP = {"-XX:+UseSerialGC", "-Xss512k", "-Xms8m", "-Xmx24m",
            "-XX:MaxDirectMemorySize=64m", "-XX:+ExitOnOutOfMemoryError"};

    @TempDir
    Path dir;

    @Test
    void twentyThousandRecordsReachAServer30MsAwayInStoreOrderOnOneConnection() throws Exception {
        int count = 20_000;
        try (TestServer server = TestServer.start()) {
            server.healthStatus.set(503); // down while the records are stored
            server.delayMillis.set(30);
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url()).jvmArg(AGENT_HEAP)
                    .env("DATANADHI_API_KEY", KEY).startReady()) {
                List<String> ids = storeNumbered(echo, "n", count, 200);
                long started = System.nanoTime();
                server.healthStatus.set(200);
                assertEquals(0, echo.awaitExit(120_000), echo.output());
                long tookMillis = (System.nanoTime() - started) / 1_000_000;
                System.out.printf("replayed %d records to a server 30 ms away in %d ms (%.0f records/s)%n", count,
                        tookMillis, count * 1000.0 / tookMillis);

                List<TestServer.Received> received = server.received();
                List<String> arrived = received.stream().map(r -> ReplayServer.id(r.text())).collect(Collectors.toList());
                assertEquals(ids, arrived, "every record once, in store order");
                assertTrue(received.stream().allMatch(TestServer.Received::fromEchoPost));
                assertTrue(received.stream().allMatch(r -> KEY.equals(r.apiKey)));
                assertEquals(1, received.stream().map(r -> r.connection).distinct().count(), "one connection");
                for (int i = 1; i < received.size(); i++) {
                    assertTrue(received.get(i).arrival > received.get(i - 1).arrival);
                }
                assertEquals(List.of(), echo.events("replay_interrupted"), echo.output());
                assertFalse(Files.exists(dir.resolve("store")), "empty store removed");
            }
        }
    }

    @Test
    void aRecordRefused503MidWindowIsSentAgainAfterTheRecordsBehindItThatTheServerTookAndNothingElseTwice()
            throws Exception {
        int count = 600;
        int window = 64;
        Map<String, Integer> refusalsLeft = new ConcurrentHashMap<>(Map.of("m300", 1));
        try (ReplayServer server = ReplayServer.down()) {
            server.logStatus = body -> {
                Integer left = refusalsLeft.computeIfPresent(ReplayServer.id(body), (k, n) -> n - 1);
                return left != null && left >= 0 ? 503 : 200;
            };
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url())
                    .arg("-max-in-flight", Integer.toString(window)).env("DATANADHI_API_KEY", KEY).startReady()) {
                List<String> ids = storeNumbered(echo, "m", count, 0);
                server.start();
                assertEquals(0, echo.awaitExit(30_000), echo.output());

                List<Map<String, String>> interrupted = echo.eventFields("replay_interrupted");
                assertEquals(1, interrupted.size(), echo.output());
                assertEquals("503", interrupted.get(0).get("status"));
                int takenBehind = Integer.parseInt(interrupted.get(0).get("taken_behind"));
                assertEquals(window - 1, takenBehind, "the window was full: all behind it were sent, and taken");

                // On the wire: m0 .. m(300 + window - 1), then m300 again, then the rest; each once but m300.
                List<String> expected = new ArrayList<>(ids.subList(0, 301 + takenBehind));
                expected.add("m300");
                expected.addAll(ids.subList(301 + takenBehind, count));
                assertEquals(expected, StatusClassesIT.idsOf(server.posts()));
                List<String> accepted = StatusClassesIT.idsOf(server.accepted());
                assertEquals(count, accepted.size(), "each delivered once");
                assertEquals(new TreeSet<>(ids), new TreeSet<>(accepted));
                assertEquals(List.of(), echo.sessionLog("agent-failure.log"));
                assertEquals(count, echo.sessionLog("agent-success.log").size());
                assertFalse(Files.exists(dir.resolve("store")), "progress passed every record: store removed");
            }
        }
    }

    @Test
    void aServerThatNeverAnswersOrNeverEndsItsBodyInterruptsReplayWithinTheTimeoutAndGetsEveryRecordOnceHealed()
            throws Exception {
        for (MisbehavingServer.Fault fault : List.of(MisbehavingServer.Fault.NEVER_ANSWERS,
                MisbehavingServer.Fault.ENDLESS_CHUNKED_BODY)) {
            Path home = dir.resolve(fault.name().toLowerCase(java.util.Locale.ROOT));
            try (TestServer health = unhealthy(TestServer.start());
                    MisbehavingServer records = MisbehavingServer.start(fault);
                    SplitFront front = new SplitFront(health.port(), Integer.parseInt(records.url().replaceAll(".*:", "")));
                    EchoPostProcess echo = EchoPostProcess.in(home).healthUrl(front.url()).arg("-timeout", "1")
                            .env("DATANADHI_API_KEY", KEY).startReady()) {
                List<String> ids = storeNumbered(echo, "w", 5, 0);
                health.healthStatus.set(200);
                long stored = System.nanoTime();
                awaitEvents(echo, "replay_interrupted", 1, 15_000);
                // A health check, a connection, and the 1 s deadline: a few seconds (more on a busy machine).
                long firstMillis = (System.nanoTime() - stored) / 1_000_000;
                assertTrue(firstMillis < 10_000, fault + ": interrupted after " + firstMillis + " ms\n" + echo.output());
                Map<String, String> first = echo.eventFields("replay_interrupted").get(0);
                assertEquals("timeout", first.get("failure"), fault + ": " + first);
                assertTrue(echo.alive());
                assertEquals(0, records.answered(), fault + ": nothing answered yet");

                records.heal();
                assertEquals(0, echo.awaitExit(30_000), fault + "\n" + echo.output());
                Set<String> delivered = new TreeSet<>(records.bodies().stream().map(ReplayServer::id)
                        .collect(Collectors.toList()));
                assertEquals(new TreeSet<>(ids), delivered, fault + ": every record kept and delivered");
                assertEquals(ids.size(), echo.sessionLog("agent-success.log").size(), fault + "\n" + echo.output());
                assertFalse(Files.exists(home.resolve("store")), fault + ": store removed once delivered");
            }
        }
    }

    @Test
    void aServerThatClosesItsConnectionAfterEveryFiftyAnswersGetsEveryRecordOnceWithoutAnInterruption()
            throws Exception {
        int window = 16;
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl("http://127.0.0.1:" + port)
                .arg("-max-in-flight", Integer.toString(window)).env("DATANADHI_API_KEY", KEY).startReady()) {
            List<String> ids = storeNumbered(echo, "c", 250, 0);
            try (ClosingServer server = new ClosingServer(port, 50)) {
                assertEquals(0, echo.awaitExit(30_000), echo.output());
                // Those pipelined behind a Connection: close were never read: sent again at once, on a
                // new connection, without waiting for a health check.
                assertEquals(List.of(), echo.events("replay_interrupted"), echo.output());
                List<String> arrived = server.bodies().stream().map(ReplayServer::id).collect(Collectors.toList());
                assertEquals(ids.size(), arrived.size(), "nothing twice: " + arrived);
                assertEquals(new TreeSet<>(ids), new TreeSet<>(arrived));
                assertTrue(server.connectionsAccepted() >= ids.size() / 50, "connections: " + server.connectionsAccepted());
                assertTrue(mostOvertaking(ids, arrived) < window, "at most the window behind one overtakes it: " + arrived);
            }
        }
    }

    /** For the record overtaken most: how many stored after it arrived before it. */
    private static int mostOvertaking(List<String> stored, List<String> arrived) {
        Map<String, Integer> position = new java.util.HashMap<>();
        for (int i = 0; i < stored.size(); i++) {
            position.put(stored.get(i), i);
        }
        int most = 0;
        for (int i = 0; i < arrived.size(); i++) {
            int overtaking = 0;
            for (int j = 0; j < i; j++) {
                if (position.get(arrived.get(j)) > position.get(arrived.get(i))) {
                    overtaking++;
                }
            }
            most = Math.max(most, overtaking);
        }
        return most;
    }

    /** Stores {@code {"id":"<prefix><i>","pad":"..."}} for i in 0..count-1 by SendBatch; returns the ids in order. */
    static List<String> storeNumbered(EchoPostProcess echo, String prefix, int count, int padBytes) {
        List<String> ids = new ArrayList<>();
        String pad = "x".repeat(padBytes);
        ManagedChannel channel = Clients.channel(echo.socket());
        try {
            for (int first = 0; first < count; first += 500) {
                List<LogRequest> batch = new ArrayList<>();
                for (int i = first; i < Math.min(count, first + 500); i++) {
                    String id = prefix + i;
                    ids.add(id);
                    batch.add(Clients.request("{\"id\":\"" + id + "\",\"pad\":\"" + pad + "\"}", List.of("p"), KEY));
                }
                assertTrue(Clients.sendBatch(channel, batch).getSuccess());
            }
        } finally {
            channel.shutdownNow();
        }
        return ids;
    }

    /** The server fails its health checks until a test sets 200: EchoPost waits for the records it is given. */
    static TestServer unhealthy(TestServer server) {
        server.healthStatus.set(503);
        return server;
    }

    static void awaitEvents(EchoPostProcess echo, String name, int count, long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (echo.events(name).size() < count) {
            assertTrue(System.currentTimeMillis() < deadline, "no " + count + " " + name + " event(s) within "
                    + timeoutMillis + " ms\n" + echo.output());
            Thread.sleep(20);
        }
    }
}
