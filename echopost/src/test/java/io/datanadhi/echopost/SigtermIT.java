package io.datanadhi.echopost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.proto.LogRequest;
import io.datanadhi.proto.LogResponse;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM stops EchoPost cleanly (exit 0) and keeps what is not delivered for the next start. */
class SigtermIT {

    static final String KEY = "sigterm-test-key-7f3a";
    /** "Promptly": nothing to wait for while the server is down but a health check and the writer. */
    static final long PROMPT_EXIT_MILLIS = 5_000;

    @TempDir
    Path dir;

    @Test
    void sigtermWithRecordsPendingExitsZeroPromptlyAndTheNextStartDeliversThemAllInOrder() throws Exception {
        List<String> expected = new ArrayList<>();
        try (ReplayServer server = ReplayServer.down()) {
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url())
                    .env("DATANADHI_API_KEY", KEY).startReady()) {
                ManagedChannel channel = Clients.channel(echo.socket());
                try {
                    int seq = 0;
                    for (int batch = 0; batch < 5; batch++) {
                        List<LogRequest> requests = new ArrayList<>();
                        for (int i = 0; i < 40; i++, seq++) {
                            requests.add(Clients.request("{\"seq\":" + seq + "}", List.of("p"), ""));
                            expected.add("{\"pipelines\":[\"p\"],\"log_data\":{\"seq\":" + seq + "}}");
                        }
                        assertTrue(Clients.sendBatch(channel, requests).getSuccess());
                        for (int i = 0; i < 10; i++, seq++) {
                            LogResponse response = Clients.sendLog(channel,
                                    Clients.request("{\"seq\":" + seq + "}", List.of("p"), ""));
                            assertTrue(response.getSuccess(), response.getMessage());
                            expected.add("{\"pipelines\":[\"p\"],\"log_data\":{\"seq\":" + seq + "}}");
                        }
                    }
                } finally {
                    channel.shutdownNow();
                }

                long signalled = System.nanoTime();
                echo.sigterm();
                assertEquals(0, echo.awaitExit(20_000), echo.output());
                long tookMillis = (System.nanoTime() - signalled) / 1_000_000;
                assertTrue(tookMillis < PROMPT_EXIT_MILLIS, "SIGTERM to exit took " + tookMillis + " ms\n" + echo.output());

                Map<String, String> exiting = echo.eventFields("exiting").get(0);
                assertEquals("signal", exiting.get("reason"));
                assertEquals(String.valueOf(expected.size()), exiting.get("backlog"));
                assertFalse(segments().isEmpty(), "records kept in " + dir.resolve("store"));
                assertFalse(Files.exists(echo.socket()), "socket removed");
                assertTrue(server.posts().isEmpty());
            }

            server.start();
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url())
                    .env("DATANADHI_API_KEY", KEY).start()) {
                assertEquals(0, echo.awaitExit(30_000), echo.output());
                assertEquals(expected, server.bodies(), "every kept record, in arrival order, once");
                assertTrue(server.accepted().stream().allMatch(r -> KEY.equals(r.apiKey)));
                assertFalse(Files.exists(dir.resolve("store")), "store removed once delivered");
            }
        }
    }

    @Test
    void sigtermDuringConcurrentIngestKeepsEveryAcknowledgedRecord() throws Exception {
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        Set<String> sent = ConcurrentHashMap.newKeySet();
        try (ReplayServer server = ReplayServer.down()) {
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url()).startReady()) {
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    int thread = t;
                    threads.add(new Thread(() -> {
                        ManagedChannel channel = Clients.channel(echo.socket());
                        try {
                            for (int n = 0; !stop.get(); n++) {
                                List<LogRequest> requests = new ArrayList<>();
                                List<String> ids = new ArrayList<>();
                                for (int i = 0; i < 20; i++) {
                                    String id = "t" + thread + "-" + n + "-" + i;
                                    ids.add(id);
                                    requests.add(Clients.request("{\"id\":\"" + id + "\"}", List.of("p"), KEY));
                                }
                                sent.addAll(ids);
                                if (Clients.sendBatch(channel, requests).getSuccess()) {
                                    acknowledged.addAll(ids);
                                }
                            }
                        } catch (RuntimeException callFailedAsEchoPostStopped) {
                            // expected once the SIGTERM arrives
                        } finally {
                            channel.shutdownNow();
                        }
                    }));
                }
                threads.forEach(Thread::start);
                Thread.sleep(700);
                echo.sigterm();
                assertEquals(0, echo.awaitExit(20_000), echo.output());
                stop.set(true);
                for (Thread thread : threads) {
                    thread.join(15_000);
                    assertFalse(thread.isAlive());
                }
            }
            assertFalse(acknowledged.isEmpty(), "some records were acknowledged before the signal");

            server.start();
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url()).start()) {
                assertEquals(0, echo.awaitExit(30_000), echo.output());
            }
            Set<String> received = server.bodies().stream().map(ReplayServer::id).collect(Collectors.toSet());
            Set<String> missing = new java.util.TreeSet<>(acknowledged);
            missing.removeAll(received);
            assertTrue(missing.isEmpty(), missing.size() + " acknowledged record(s) lost, e.g. " + missing.stream().limit(5)
                    .collect(Collectors.toList()));
            assertTrue(sent.containsAll(received), "nothing delivered that was never sent");
            assertEquals(received.size(), server.bodies().size(), "no duplicates: nothing was replayed before the signal");
        }
    }

    private List<Path> segments() throws Exception {
        Path store = dir.resolve("store");
        if (!Files.isDirectory(store)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(store)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".seg")).collect(Collectors.toList());
        }
    }
}
