package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar datanadhi-agent.jar replay-dropped} as its own process: on files an agent
 * dropped, with the fallback and a reason, and killed with {@code kill -9} halfway through a large
 * file.
 */
class ReplayDroppedProcessTest {

    /**
     * The most a kill -9 may make the next run send again: what was sent since the last saved
     * progress, DroppedFileReplay.CHECKPOINT_RECORDS (100) answered plus the window of requests
     * in flight (async.max_in_flight, 256), sent but not yet answered.
     */
    private static final int RESENT_AT_MOST = 100 + 256;
    private static final long TIMEOUT_SECONDS = 120;

    @TempDir
    Path dir;
    IngestServer server;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        server = new IngestServer();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (Process process : started) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        server.close();
    }

    /** A started {@code replay-dropped}. */
    private final class Replay {
        final Process process;
        final Path out;
        final Path err;

        Replay(Process process, Path out, Path err) {
            this.process = process;
            this.out = out;
            this.err = err;
        }

        int await() throws InterruptedException {
            assertTrue(process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), "replay-dropped still running after "
                    + TIMEOUT_SECONDS + " s\n" + this);
            return process.exitValue();
        }

        String stdout() throws IOException {
            return Files.readString(out, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            try {
                return "--- stdout\n" + stdout() + "--- stderr\n" + Files.readString(err, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        }
    }

    private Replay start(IngestServer target, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Env.java(), "-jar", Env.agentJar().toString(), "replay-dropped",
                "--dir", dir.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(name -> name.startsWith("DATANADHI_") || name.equals("JAVA_TOOL_OPTIONS"));
        builder.environment().put("DATANADHI_API_KEY", TestRules.API_KEY);
        builder.environment().put("DATANADHI_SERVER_HOST", target.url());
        builder.environment().put("DATANADHI_FALLBACK_SERVER_HOST", target.url());
        Path out = Files.createTempFile(dir, "replay-stdout", ".txt");
        Path err = Files.createTempFile(dir, "replay-stderr", ".txt");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        started.add(process);
        process.getOutputStream().close();
        return new Replay(process, out, err);
    }

    private Replay run(IngestServer target, String... args) throws IOException, InterruptedException {
        Replay replay = start(target, args);
        replay.await();
        return replay;
    }

    private static String record(String message) {
        return "{\"pipelines\":[\"p1\"],\"log_data\":{\"message\":\"" + message + "\",\"trace_id\":\"t\","
                + "\"log_record\":{\"level\":\"ERROR\",\"filler\":\"" + "x".repeat(200) + "\"}}}";
    }

    private Path droppedFile(String name, String prefix, int count) throws IOException {
        Path dropped = Files.createDirectories(dir.resolve("dropped"));
        Path file = dropped.resolve(name);
        Files.writeString(file, IntStream.range(0, count).mapToObj(i -> record(prefix + i) + "\n").collect(Collectors.joining()));
        return file;
    }

    private List<String> droppedEntries() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("dropped"))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> !n.equals(".replay.lock")).sorted()
                    .collect(Collectors.toList());
        }
    }

    /** How often each message arrived. */
    private Map<String, Integer> arrivals() {
        Map<String, Integer> counts = new TreeMap<>();
        for (IngestServer.Received received : server.records()) {
            counts.merge(received.message(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void recordsTheServerRefusedStayUntilItTakesThemThenArriveOnce() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        server.logStatus.set(400);
        AppRun.Result app = AppRun.jul("sequence", "40", "0").shippingTo(server, dir).run();
        assertEquals(0, app.exitCode, app.toString());
        List<String> files = droppedEntries();
        assertFalse(files.isEmpty(), "the agent wrote no primary_failed file: " + app);
        List<String> contentBefore = new ArrayList<>();
        for (String file : files) {
            contentBefore.add(Files.readString(dir.resolve("dropped").resolve(file)));
        }

        Replay refused = run(server);
        assertEquals(1, refused.process.exitValue(), refused.toString());
        assertTrue(refused.stdout().contains("40 records: 0 delivered, 40 refused"), refused.toString());
        assertTrue(refused.stdout().contains("first refusal: HTTP 400"), refused.toString());
        assertEquals(files, droppedEntries(), "every file is still there");
        for (int i = 0; i < files.size(); i++) {
            assertEquals(contentBefore.get(i), Files.readString(dir.resolve("dropped").resolve(files.get(i))));
        }

        server.logStatus.set(200);
        Replay accepted = run(server);
        assertEquals(0, accepted.process.exitValue(), accepted.toString());
        assertTrue(accepted.stdout().contains("40 records: 40 delivered, 0 refused, 0 unreadable, 0 left"), accepted.toString());
        assertEquals(List.of(), droppedEntries());
        Map<String, Integer> arrivals = arrivals();
        assertEquals(40, arrivals.size(), arrivals.toString());
        assertTrue(arrivals.values().stream().allMatch(n -> n == 1), "each once: " + arrivals);
        assertTrue(server.records().stream().allMatch(r -> TestRules.API_KEY.equals(r.apiKey)), "the API key is sent");
    }

    @Test
    void withReasonAndFallbackOnlyThoseFilesGoToTheFallbackInGzipBatches() throws Exception {
        droppedFile("queue_full_1732000000000_1.jsonl", "q", 150);
        Path other = droppedFile("primary_failed_1732000000001_2.jsonl", "p", 5);
        String otherContent = Files.readString(other);

        Replay replay = run(server, "--reason", "queue_full", "--fallback");

        assertEquals(0, replay.process.exitValue(), replay.toString());
        assertEquals(List.of("100 gzip", "50 gzip"), server.uploads());
        assertTrue(server.requests().stream().noneMatch(r -> r.startsWith("POST /log")), server.requests().toString());
        assertEquals(150, arrivals().size());
        assertEquals(List.of(other.getFileName().toString()), droppedEntries());
        assertEquals(otherContent, Files.readString(other));
    }

    @Test
    void killedHalfwayThenRunAgainEveryRecordArrivesAndAtMostOneCheckpointIsSentTwice() throws Exception {
        int count = 20_000;
        Path file = droppedFile("primary_failed_1732000000000_1.jsonl", "k", count);
        Path small = droppedFile("shutdown_unsent_1732000000001_2.jsonl", "s", 10);
        server.delayMillis.set(1);

        Replay first = start(server);
        assertTrue(server.awaitRecords(count / 4, 60_000), "the first run did not get going:\n" + first);
        first.process.destroyForcibly(); // SIGKILL
        assertTrue(first.process.waitFor(10, TimeUnit.SECONDS));
        assertEquals(137, first.process.exitValue(), "killed, not finished: " + first);
        int beforeKill = server.records().size();
        assertTrue(beforeKill < count, "killed halfway: " + beforeKill);
        assertTrue(Files.exists(file), "the file stays until its replay ends");
        assertTrue(Files.exists(dir.resolve("dropped").resolve("." + file.getFileName() + ".replay")),
                "the progress was saved: " + droppedEntries());

        server.delayMillis.set(0);
        Replay second = run(server);
        assertEquals(0, second.process.exitValue(), second.toString());
        assertTrue(second.stdout().contains(": 20000 records, 20000 delivered, 0 refused, 0 left (resumed after"),
                second.toString());

        Map<String, Integer> arrivals = arrivals();
        List<String> missing = IntStream.range(0, count).mapToObj(i -> "k" + i).filter(m -> !arrivals.containsKey(m))
                .collect(Collectors.toList());
        assertEquals(List.of(), missing, "every record arrives");
        for (int i = 0; i < 10; i++) {
            assertEquals(1, arrivals.get("s" + i), "the file after the interrupted one: once");
        }
        int duplicates = server.records().size() - count - 10;
        assertTrue(duplicates <= RESENT_AT_MOST, duplicates + " records sent twice, the bound is " + RESENT_AT_MOST);
        assertEquals(List.of(), droppedEntries(), "nothing left behind: no file, no progress, no temp file");
        assertFalse(Files.exists(small));
    }
}
