package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerFailureTest {

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
    void stopServer() throws Exception {
        server.close();
        echoPosts.killAll();
    }

    @Test
    void refusedRecordsAreWrittenToPrimaryFailedFiles() throws Exception {
        server.logStatus.set(400);
        AppRun.Result run = AppRun.jul("sequence", "5", "0").shippingTo(server, dir).run();
        assertEquals(0, run.exitCode, run.toString());

        List<Path> files = dropped("primary_failed_");
        assertTrue(!files.isEmpty(), "no primary_failed file: " + run);
        for (Path file : files) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
        assertEquals(sequence(5), messages(files));
        assertEquals(1, run.agentLines("WARN").stream().filter(l -> l.contains("\"event\":\"primary_rejected\"")).count(),
                run.agentLines().toString());
    }

    @Test
    void recordsAreKeptByEchoPostWhileTheServerAnswers503AndArriveOnceItRecovers() throws Exception {
        server.logStatus.set(503);
        server.healthStatus.set(503);
        // Recover only once the agent has met the outage and probed the server at least once.
        CompletableFuture<Void> recovery = CompletableFuture.runAsync(() -> {
            long deadline = System.currentTimeMillis() + 15_000;
            while (!server.requests().contains("GET / 503") && System.currentTimeMillis() < deadline) {
                sleep(20);
            }
            server.logStatus.set(200);
            server.healthStatus.set(200);
        });

        // EchoPost is installed and started on first use; on a loaded machine that can take longer
        // than the default exit timeout, and this test is about EchoPost, not about the timeout.
        AppRun.Result run = AppRun.jul("sequence", "5", "0").shippingTo(server, dir)
                .env("DATANADHI_EXIT_TIMEOUT", "60")
                .run();
        recovery.join();
        assertEquals(0, run.exitCode, run.toString());
        assertTrue(server.awaitRecords(5, 60_000), "replayed: " + server.requests() + "\n" + run + "\n" + echoPosts.eventsLogs()
                + "\ndropped: " + dropped(""));
        assertTrue(echoPosts.awaitNone(60_000), "EchoPost exits once it has drained");
        assertEquals(sequence(5), server.records().stream().map(IngestServer.Received::message).collect(Collectors.toSet()),
                run + "\n" + server.requests());
        assertEquals(5, server.records().size(), "each record once");
        List<String> requests = server.requests();
        assertTrue(requests.contains("POST /log 503"), requests.toString());
        assertTrue(requests.contains("GET / 503") && requests.contains("GET / 200"), "health checks while down: " + requests);
        assertTrue(dropped("").isEmpty(), "nothing dropped");
        assertTrue(run.agentLines("WARN").stream().anyMatch(l -> l.contains("\"event\":\"primary_down\"")));
    }

    @Test
    void recordsNotDeliveredByExitAreWrittenToShutdownUnsentFiles() throws Exception {
        server.delayMillis.set(30_000); // answers long after the application has gone
        AppRun.Result run = AppRun.jul("sequence", "5", "0").shippingTo(server, dir)
                .env("DATANADHI_EXIT_TIMEOUT", "1")
                .run();
        assertEquals(0, run.exitCode, run.toString());
        assertTrue(run.millis < 20_000, "the exit timeout bounds the wait: " + run.millis + " ms");
        assertEquals(sequence(5), messages(dropped("shutdown_unsent_")));
    }

    @Test
    void aFullQueueSpillsToDiskAndNothingIsLost() throws Exception {
        server.stop();
        AppRun.Result run = AppRun.jul("sequence", "500", "0").shippingTo(server, dir)
                .env("DATANADHI_FALLBACK_SERVER_HOST", server.url()) // down as well
                .env("DATANADHI_ECHOPOST_DISABLE", "true")
                .env("DATANADHI_QUEUE_SIZE", "10")
                .env("DATANADHI_EXIT_TIMEOUT", "1")
                .run();
        assertEquals(0, run.exitCode, run.toString());
        List<Path> queueFull = dropped("queue_full_");
        assertTrue(!queueFull.isEmpty(), "queue_full file expected: " + run);
        List<String> all = new ArrayList<>(lines(queueFull));
        all.addAll(lines(dropped("shutdown_unsent_")));
        all.addAll(lines(dropped("fallback_failed_")));
        all.addAll(lines(dropped("drain_worker_failed_")));
        assertEquals(500, all.size(), "every record accounted for, once");
        assertEquals(sequence(500), messages(all));
        assertTrue(run.agentLines("WARN").stream().anyMatch(l -> l.contains("\"event\":\"queue_full\"")));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private List<Path> dropped(String prefix) throws IOException {
        Path droppedDir = dir.resolve("dropped");
        if (!Files.isDirectory(droppedDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(droppedDir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix)).sorted().collect(Collectors.toList());
        }
    }

    private static List<String> lines(List<Path> files) throws IOException {
        List<String> lines = new ArrayList<>();
        for (Path file : files) {
            Files.readAllLines(file).stream().filter(l -> !l.isBlank()).forEach(lines::add);
        }
        return lines;
    }

    private static Set<String> messages(List<?> filesOrLines) throws IOException {
        List<String> lines = new ArrayList<>();
        for (Object item : filesOrLines) {
            if (item instanceof Path) {
                lines.addAll(lines(List.of((Path) item)));
            } else {
                lines.add((String) item);
            }
        }
        Set<String> messages = new HashSet<>();
        for (String line : lines) {
            JsonNode body = IngestServer.JSON.readTree(line);
            assertEquals("all", body.get("pipelines").get(0).asText());
            messages.add(body.get("log_data").get("message").asText());
        }
        return messages;
    }

    private static Set<String> sequence(int count) {
        Set<String> messages = new HashSet<>();
        for (int i = 0; i < count; i++) {
            messages.add("sequence event seq=" + i);
        }
        return messages;
    }
}
