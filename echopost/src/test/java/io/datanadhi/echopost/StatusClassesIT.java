package io.datanadhi.echopost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replay's status classes against a real server: 2xx delivered; 3xx..500 refused for good (one
 * line in agent-failure.log, not retried); above 500, no connection or no answer: kept and sent
 * again after the next successful health check.
 */
class StatusClassesIT {

    static final String KEY = "status-classes-key-51c2";

    @TempDir
    Path dir;

    @Test
    void status400And500AreLoggedOnceInAgentFailureLogAndDroppedWithoutRetry() throws Exception {
        Map<String, Integer> statusById = Map.of("r400", 400, "r500", 500, "r302", 302, "r404", 404);
        List<String> ids = List.of("ok1", "r400", "ok2", "r500", "r302", "ok3", "r404", "ok4");
        try (ReplayServer server = ReplayServer.down()) {
            server.logStatus = body -> statusById.getOrDefault(ReplayServer.id(body), 200);
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url())
                    .env("DATANADHI_API_KEY", KEY).startReady()) {
                store(echo, ids);
                server.start();
                assertEquals(0, echo.awaitExit(30_000), echo.output());

                assertEquals(List.of("ok1", "ok2", "ok3", "ok4"), idsOf(server.accepted()));
                assertEquals(ids, idsOf(server.posts()), "each refused record posted once, never retried");

                List<String> failures = echo.sessionLog("agent-failure.log");
                assertEquals(4, failures.size(), String.join("\n", failures));
                for (int i = 0; i < failures.size(); i++) {
                    Map<String, String> line = EchoPostProcess.fields(failures.get(i));
                    String id = List.of("r400", "r500", "r302", "r404").get(i);
                    int status = statusById.get(id);
                    assertEquals(String.valueOf(status), line.get("status"), failures.get(i));
                    assertEquals(ReplayServer.refusal(status), line.get("response"), "the server's answer, as sent");
                    assertEquals(id, ReplayServer.id(line.get("record")), failures.get(i));
                }
                assertEquals(4, echo.sessionLog("agent-success.log").size());
                assertFalse(Files.exists(dir.resolve("store")), "nothing kept: refused records are deleted");
            }
        }
    }

    @Test
    void status502And503AreRetriedAfterTheNextHealthCheckAndDeliveredOnceThe200Comes() throws Exception {
        Map<String, Integer> refusalsLeft = new ConcurrentHashMap<>(Map.of("r502", 2, "r503", 1, "r501", 1));
        Map<String, Integer> statusById = Map.of("r502", 502, "r503", 503, "r501", 501);
        List<String> ids = List.of("a", "r502", "b", "r503", "c", "r501", "d");
        try (ReplayServer server = ReplayServer.down()) {
            server.logStatus = body -> {
                String id = ReplayServer.id(body);
                Integer left = refusalsLeft.computeIfPresent(id, (k, n) -> n - 1);
                return left != null && left >= 0 ? statusById.get(id) : 200;
            };
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url())
                    .env("DATANADHI_API_KEY", KEY).startReady()) {
                store(echo, ids);
                server.start();
                assertEquals(0, echo.awaitExit(30_000), echo.output());

                // All seven pipelined at once. r502 is not taken: the records behind it that the server
                // took (b, c, d) are not sent again; those it did not take (r503, r501) are, after r502.
                assertEquals(List.of("a", "r502", "b", "r503", "c", "r501", "d", "r502", "r503", "r501", "r502"),
                        idsOf(server.posts()));
                assertEquals(List.of("a", "b", "c", "d", "r503", "r501", "r502"), idsOf(server.accepted()),
                        "each delivered once; at most the window behind a retried record overtakes it");
                assertEquals(List.of(), echo.sessionLog("agent-failure.log"), "a retried record is not a failure");
                List<Map<String, String>> interrupted = echo.eventFields("replay_interrupted");
                assertEquals(List.of("502", "502"), interrupted.stream().map(e -> e.get("status"))
                        .collect(Collectors.toList()));
                assertEquals(List.of("3", "2"), interrupted.stream().map(e -> e.get("taken_behind"))
                        .collect(Collectors.toList()));
                assertFalse(Files.exists(dir.resolve("store")));
            }
        }
    }

    @Test
    void connectionRefusedKeepsTheRecordsUntilTheServerComesUp() throws Exception {
        List<String> ids = List.of("down1", "down2", "down3", "down4", "down5");
        try (ReplayServer server = ReplayServer.down()) {
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url())
                    .env("DATANADHI_API_KEY", KEY).startReady()) {
                store(echo, ids);
                // Several health checks (every 500 ms) are refused meanwhile.
                Thread.sleep(2_500);
                assertTrue(echo.alive(), "EchoPost waits for the server\n" + echo.output());
                assertFalse(echo.events("unhealthy").isEmpty(), echo.output());
                assertTrue(echo.events("exiting").isEmpty());
                try (java.util.stream.Stream<Path> stored = Files.list(dir.resolve("store"))) {
                    assertTrue(stored.anyMatch(p -> p.toString().endsWith(".seg")), "the records are on disk");
                }

                server.start();
                assertEquals(0, echo.awaitExit(30_000), echo.output());
                assertEquals(ids, idsOf(server.accepted()));
                assertEquals(ids, idsOf(server.posts()), "nothing posted before the server was up");
                assertEquals(List.of(), echo.sessionLog("agent-failure.log"));
            }
        }
    }

    @Test
    void aPostThatNeverGetsAnAnswerIsBoundedByTheTimeoutAndTheRecordIsDeliveredLater() throws Exception {
        List<String> ids = List.of("h1", "h2", "h3");
        try (ReplayServer server = ReplayServer.down()) {
            server.hangPosts.set(1);
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url())
                    .env("DATANADHI_API_KEY", KEY).startReady()) {
                store(echo, ids);
                long started = System.nanoTime();
                server.start();
                assertEquals(0, echo.awaitExit(40_000), echo.output());
                long tookMillis = (System.nanoTime() - started) / 1_000_000;

                assertEquals(1, server.hung());
                List<String> requests = server.requests();
                int hang = requests.indexOf("POST /log hung");
                assertEquals("GET / 200", requests.get(hang + 1),
                        "after the timeout, a health check comes before the record is sent again: " + requests);
                assertEquals(ids, idsOf(server.accepted()), "kept through the hang, delivered once, in order");
                List<Map<String, String>> interrupted = echo.eventFields("replay_interrupted");
                assertEquals(1, interrupted.size(), "the hang is one interruption, retried after a health check\n"
                        + echo.output());
                assertEquals("timeout", interrupted.get(0).get("failure"), interrupted.get(0).toString());
                assertTrue(interrupted.get(0).get("message").contains("within 5000 ms"), interrupted.get(0).toString());
                // One post timeout (-timeout, 5 s by default), a health check, the replay, and the idle
                // second before exiting.
                assertTrue(tookMillis >= 5_000 && tookMillis < 12_000, "took " + tookMillis + " ms\n" + echo.output());
            }
        }
    }

    /** Stores records {@code {"id":...}} through EchoPost, each acknowledged. */
    static void store(EchoPostProcess echo, List<String> ids) {
        ManagedChannel channel = Clients.channel(echo.socket());
        try {
            for (String id : ids) {
                assertTrue(Clients.sendLog(channel, Clients.request("{\"id\":\"" + id + "\"}", List.of("p"), KEY))
                        .getSuccess());
            }
        } finally {
            channel.shutdownNow();
        }
    }

    static List<String> idsOf(List<ReplayServer.Received> received) {
        List<String> ids = new ArrayList<>();
        for (ReplayServer.Received r : received) {
            ids.add(ReplayServer.id(r.body));
        }
        return ids;
    }
}
