package io.datanadhi.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.datanadhi.agent.delivery.DroppedFiles;
import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.diag.Counters.DropKind;
import io.datanadhi.agent.record.RecordWriter;
import io.datanadhi.agent.record.TestRecords;
import io.datanadhi.http.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code replay-dropped} run in-process ({@link Main#run}) against a real HTTP server on
 * 127.0.0.1, with the configuration in {@code <dir>/config.yml}. The {@code kill -9} case runs
 * the command as its own JVM, in the it-tests ({@code ReplayDroppedProcessTest}).
 */
class ReplayDroppedTest {

    private static final String API_KEY = "dn-replay-test-key-0123456789";

    @TempDir
    Path dir;

    private Path dropped;
    private Server server;
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private int fileSequence;

    /** A Data Nadhi server that keeps what it accepted and answers each record with {@link #status}. */
    static final class Server implements AutoCloseable {
        final HttpServer http;
        final ExecutorService threads = Executors.newFixedThreadPool(2);
        /** Accepted envelopes, as sent. */
        final List<String> accepted = new CopyOnWriteArrayList<>();
        /** "POST /log 200", "POST /upload 100 gzip 200", ... */
        final List<String> requests = new CopyOnWriteArrayList<>();
        final Map<String, String> apiKeys = new ConcurrentHashMap<>();
        volatile Function<String, Integer> status = envelope -> 200;

        Server() throws IOException {
            http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
            http.setExecutor(threads);
            http.createContext("/", this::handle);
            http.start();
        }

        String url() {
            return "http://127.0.0.1:" + http.getAddress().getPort();
        }

        private void handle(HttpExchange exchange) throws IOException {
            try {
                String path = exchange.getRequestURI().getPath();
                byte[] body = exchange.getRequestBody().readAllBytes();
                apiKeys.put(path, String.valueOf(exchange.getRequestHeaders().getFirst("x-datanadhi-api-key")));
                List<String> envelopes = new ArrayList<>();
                String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
                if (path.equals("/upload")) {
                    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
                        new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().forEach(envelopes::add);
                    }
                } else {
                    envelopes.add(new String(body, StandardCharsets.UTF_8));
                }
                int answer = 200;
                for (String envelope : envelopes) {
                    answer = Math.max(answer, status.apply(envelope));
                }
                if (answer / 100 == 2) {
                    accepted.addAll(envelopes);
                }
                requests.add("POST " + path + (path.equals("/upload") ? " " + envelopes.size() + " " + encoding : "")
                        + " " + answer);
                byte[] reply = ("{\"status\":" + answer + ",\"said\":\"" + (answer == 400 ? "no bad records" : "ok") + "\"}")
                        .getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(answer, reply.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(reply);
                }
            } finally {
                exchange.close();
            }
        }

        List<String> acceptedMessages() {
            return accepted.stream().map(Server::message).collect(Collectors.toList());
        }

        static String message(String envelope) {
            int at = envelope.indexOf("\"message\":\"") + 11;
            return envelope.substring(at, envelope.indexOf('"', at));
        }

        private boolean closed;

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                http.stop(0);
                threads.shutdownNow();
            }
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        server = new Server();
        dropped = dir.resolve("dropped");
        Files.createDirectories(dropped);
        Files.writeString(dir.resolve("config.yml"), "api_key: " + API_KEY + "\nserver:\n  host: " + server.url()
                + "\n  fallback_host: " + server.url() + "\n");
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    private static String record(String message) {
        return "{\"pipelines\":[\"p1\"],\"log_data\":{\"message\":\"" + message + "\",\"trace_id\":\"t-" + message
                + "\",\"log_record\":{\"level\":\"ERROR\"}}}";
    }

    private static List<String> records(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> record(prefix + i)).collect(Collectors.toList());
    }

    /** A dropped file as the agent names it, owner-only; its lines as given. */
    private Path droppedFile(String reason, List<String> lines) throws IOException {
        Path file = dropped.resolve(reason + "_" + (1_732_000_000_000L + fileSequence) + "_" + (++fileSequence) + ".jsonl");
        Files.writeString(file, lines.stream().map(l -> l + "\n").collect(Collectors.joining()));
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        return file;
    }

    private int replay(String... args) {
        outBytes.reset();
        errBytes.reset();
        List<String> all = new ArrayList<>(List.of("replay-dropped", "--dir", dir.toString()));
        all.addAll(List.of(args));
        try {
            return Main.run(all.toArray(new String[0]), new PrintStream(outBytes, true, StandardCharsets.UTF_8),
                    new PrintStream(errBytes, true, StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String outAndErr() {
        return "--- stdout\n" + out() + "--- stderr\n" + errBytes.toString(StandardCharsets.UTF_8);
    }

    private List<String> entries() throws IOException {
        try (Stream<Path> files = Files.list(dropped)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> !n.equals(".replay.lock"))
                    .sorted().collect(Collectors.toList());
        }
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8);
    }

    private static long count(List<String> items, String item) {
        return items.stream().filter(item::equals).count();
    }

    @Test
    void acceptingServerGetsEveryRecordOnceAndTheDirectoryEmpties() throws IOException {
        List<String> first = records("a", 250);
        List<String> second = records("b", 30);
        Path firstFile = droppedFile("primary_failed", first);
        Path secondFile = droppedFile("queue_full", second);
        DroppedFiles agentFiles = new DroppedFiles(dir, new Counters());
        agentFiles.write(DropKind.SHUTDOWN_UNSENT, List.of(TestRecords.shipped("written-by-the-agent", "p2")));

        assertEquals(0, replay(), outAndErr());

        List<String> expected = new ArrayList<>(first);
        expected.addAll(second);
        expected.add(new String(RecordWriter.envelope(TestRecords.shipped("written-by-the-agent", "p2")), StandardCharsets.UTF_8));
        assertEquals(expected.size(), server.accepted.size(), outAndErr());
        for (String envelope : expected) {
            assertEquals(1, count(server.accepted, envelope), "sent once, byte for byte: " + envelope);
        }
        assertEquals(first, server.accepted.subList(0, 250), "oldest file first, in file order");
        assertEquals(API_KEY, server.apiKeys.get("/log"), "the agent's API key header");
        assertEquals(List.of(), entries(), "every file and sidecar removed");
        assertTrue(out().contains("dropped/" + firstFile.getFileName() + ": 250 records, 250 delivered, 0 refused, 0 left"),
                out());
        assertTrue(out().contains("dropped/" + secondFile.getFileName() + ": 30 records, 30 delivered, 0 refused, 0 left"),
                out());
        assertTrue(out().contains("3 file(s), 281 records: 281 delivered, 0 refused, 0 unreadable, 0 left"), out());
        assertFalse(outAndErr().contains(API_KEY), "the API key is never printed");

        assertEquals(0, replay(), "nothing left: " + outAndErr());
        assertEquals(expected.size(), server.accepted.size(), "a second run sends nothing");
    }

    @Test
    void refusedRecordsStayInTheirFileAndOnlyThey() throws IOException {
        server.status = envelope -> envelope.contains("bad") ? 400 : 200;
        List<String> lines = records("good", 50);
        List<String> bad = List.of(record("bad-1"), record("bad-2"), record("bad-3"));
        lines.add(0, bad.get(0));
        lines.add(20, bad.get(1));
        lines.add(bad.get(2));
        Path file = droppedFile("primary_failed", lines);

        assertEquals(1, replay(), outAndErr());

        assertEquals(bad, lines(file), "the refused records, and only they, in their order");
        assertEquals(records("good", 50), server.accepted);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
        assertTrue(out().contains(": 53 records, 50 delivered, 3 refused, 0 left; first refusal: HTTP 400: "
                + "{\"status\":400,\"said\":\"no bad records\"}; file rewritten"), out());
        assertEquals(List.of(file.getFileName().toString()), entries(), "no sidecar or temp file left");

        assertEquals(1, replay(), "still refused: " + outAndErr());
        assertEquals(bad, lines(file));
        assertEquals(50, server.accepted.size());
        assertTrue(out().contains(": 3 records, 0 delivered, 3 refused, 0 left"), out());
    }

    @Test
    void linesThatAreNotRecordsAreKeptAndReportedNeverSent() throws IOException {
        List<String> lines = records("r", 6);
        lines.add(2, "this is not JSON");
        lines.add(5, record("cut-short").substring(0, 30));
        lines.add(6, "");
        lines.add(7, "{\"pipelines\":[\"p\"]}");
        Path file = droppedFile("fallback_failed", lines);

        assertEquals(1, replay(), outAndErr());

        assertEquals(records("r", 6), server.accepted);
        assertEquals(List.of("this is not JSON", record("cut-short").substring(0, 30), "{\"pipelines\":[\"p\"]}"), lines(file));
        assertTrue(out().contains(": 9 records, 6 delivered, 0 refused, 3 unreadable, 0 left; first unreadable line: 3"),
                out());
    }

    @Test
    void reasonFilterReplaysOnlyThoseFiles() throws IOException {
        Path primary = droppedFile("primary_failed", records("p", 5));
        Path queueFull = droppedFile("queue_full", records("q", 7));

        assertEquals(0, replay("--reason", "queue_full"), outAndErr());

        assertEquals(records("q", 7), server.accepted);
        assertFalse(Files.exists(queueFull));
        assertEquals(records("p", 5), lines(primary), "another reason's file is untouched");
        assertTrue(out().contains("1 file(s), 7 records"), out());
    }

    @Test
    void fallbackGetsGzipBatchesOfAtMostOneHundred() throws IOException {
        droppedFile("drain_worker_failed", records("f", 250));

        assertEquals(0, replay("--fallback"), outAndErr());

        assertEquals(List.of("POST /upload 100 gzip 200", "POST /upload 100 gzip 200", "POST /upload 50 gzip 200"),
                server.requests);
        assertEquals(records("f", 250), server.accepted);
        assertEquals(API_KEY, server.apiKeys.get("/upload"));
        assertEquals(List.of(), entries());
        assertTrue(out().contains(" to " + server.url() + "/upload"), out());
    }

    @Test
    void fallbackRefusingABatchKeepsTheWholeBatch() throws IOException {
        server.status = envelope -> envelope.contains("\"f1\"") ? 400 : 200;
        Path file = droppedFile("primary_failed", records("f", 150));

        assertEquals(1, replay("--fallback"), outAndErr());

        assertEquals(records("f", 150).subList(0, 100), lines(file), "the refused request's 100 records stay");
        assertEquals(records("f", 150).subList(100, 150), server.accepted);
    }

    @Test
    void serverDownStopsTheReplayAndKeepsEveryRecordNotDelivered() throws IOException {
        AtomicInteger answered = new AtomicInteger();
        server.status = envelope -> answered.incrementAndGet() > 120 ? 503 : 200;
        Path first = droppedFile("primary_failed", records("a", 300));
        Path second = droppedFile("primary_failed", records("b", 10));

        assertEquals(1, replay(), outAndErr());

        assertEquals(records("a", 120), server.accepted);
        assertEquals(records("a", 300).subList(120, 300), lines(first), "the rest of the file, from the first not delivered");
        assertEquals(records("b", 10), lines(second), "later files are left alone");
        assertTrue(out().contains(": 300 records, 120 delivered, 0 refused, 180 left; stopped, the server is not taking"
                + " records: HTTP 503"), out());
        assertTrue(out().contains("dropped/" + second.getFileName() + ": not attempted"), out());

        server.status = envelope -> 200;
        assertEquals(0, replay(), outAndErr());
        List<String> all = records("a", 300);
        all.addAll(records("b", 10));
        assertEquals(all, server.accepted, "every record exactly once over both runs");
        assertEquals(List.of(), entries());
    }

    @Test
    void aRecordRefusedForNowInTheMiddleOfTheWindowStaysAndThoseBehindItAreNotSentAgain() throws IOException {
        AtomicInteger refusals = new AtomicInteger();
        server.status = envelope -> envelope.contains("\"m50\"") && refusals.getAndIncrement() == 0 ? 503 : 200;
        Path file = droppedFile("primary_failed", records("m", 200));

        assertEquals(1, replay(), outAndErr());

        List<String> allButOne = records("m", 200);
        allButOne.remove(50);
        assertEquals(allButOne.subList(0, 50), server.accepted.subList(0, 50), "in file order up to the refusal");
        assertEquals(allButOne.size(), server.accepted.size(), "what was already on its way was taken: " + server.requests);
        assertEquals(List.of(record("m50")), lines(file), "only the one not taken is left");
        assertTrue(out().contains(": 200 records, 199 delivered, 0 refused, 1 left; stopped"), out());

        assertEquals(0, replay(), outAndErr());
        assertEquals(200, server.accepted.size());
        for (String record : records("m", 200)) {
            assertEquals(1, count(server.accepted, record), "once: " + record);
        }
        assertEquals(List.of(), entries());
    }

    @Test
    void aDistantServerGetsTheRecordsPipelinedInFileOrder() throws Exception {
        try (TestServer distant = TestServer.start()) {
            distant.delayMillis.set(30);
            Files.writeString(dir.resolve("config.yml"), "api_key: " + API_KEY + "\nserver:\n  host: " + distant.url()
                    + "\n  fallback_host: " + distant.url() + "\n");
            Path file = droppedFile("shutdown_unsent", records("d", 3000));

            assertEquals(0, replay(), outAndErr());

            List<String> received = distant.received().stream().map(TestServer.Received::text).collect(Collectors.toList());
            assertEquals(records("d", 3000), received, "in file order, each once");
            assertEquals(1, distant.connectionsAccepted(), "one connection, pipelined");
            assertFalse(Files.exists(file));
        }
    }

    @Test
    void unreachableServerChangesNothing() throws IOException {
        List<String> lines = records("u", 20);
        Path file = droppedFile("primary_failed", lines);
        server.close();

        assertEquals(1, replay(), outAndErr());

        assertEquals(lines, lines(file));
        assertTrue(out().contains(": 20 records, 0 delivered, 0 refused, 20 left; stopped"), out());
        assertTrue(out().contains("file unchanged"), out());
        assertEquals(List.of(file.getFileName().toString()), entries());
    }

    @Test
    void resumesFromSavedProgressWithoutSendingAgainWhatWasDelivered() throws IOException {
        List<String> lines = records("s", 10);
        lines.set(1, record("bad-1"));
        Path file = droppedFile("queue_full", lines);
        // What a run killed after the first 4 records leaves: the file as it was and its progress.
        ReplayProgress progress = ReplayProgress.fresh(file);
        long offset = 0;
        for (int i = 0; i < 4; i++) {
            long end = offset + lines.get(i).length() + 1;
            if (i == 1) {
                progress.keep(offset, end);
                progress.refused++;
                progress.firstRefusal = "HTTP 400: earlier";
            } else {
                progress.delivered++;
            }
            offset = end;
        }
        progress.offset = offset;
        progress.lines = 4;
        progress.save(file);

        assertEquals(1, replay(), outAndErr());

        assertEquals(lines.subList(4, 10), server.accepted, "only what the earlier run had not done");
        assertEquals(List.of(record("bad-1")), lines(file), "the refusal of the earlier run is kept");
        assertTrue(out().contains(": 10 records, 9 delivered, 1 refused, 0 left (resumed after 4 handled by an"
                + " interrupted run); first refusal: HTTP 400: earlier"), out());
        assertEquals(List.of(file.getFileName().toString()), entries());
    }

    @Test
    void progressOfAnEarlierVersionOfTheFileIsIgnored() throws IOException {
        Path file = droppedFile("queue_full", records("x", 10));
        ReplayProgress progress = ReplayProgress.fresh(file);
        progress.offset = Files.size(file);
        progress.delivered = 10;
        progress.save(file);
        // Killed after rewriting the file, before removing the sidecar: the file is a new one.
        Path rewritten = dropped.resolve("rewritten.tmp");
        Files.writeString(rewritten, records("x", 10).subList(7, 10).stream().map(l -> l + "\n").collect(Collectors.joining()));
        Files.move(rewritten, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);

        assertEquals(0, replay(), outAndErr());

        assertEquals(records("x", 10).subList(7, 10), server.accepted);
        assertEquals(List.of(), entries());
    }

    @Test
    void fileAnAgentIsStillWritingIsLeftAlone() throws IOException {
        DroppedFiles agentFiles = new DroppedFiles(dir, new Counters());
        try (DroppedFiles.Batch open = agentFiles.open(DropKind.QUEUE_FULL)) {
            open.append(TestRecords.shipped("still-open", "p"));

            assertEquals(1, replay(), outAndErr());
            assertEquals(List.of(), server.accepted);
            assertTrue(out().contains("dropped/" + open.file().getFileName() + ": in use"), out());
        }

        assertEquals(0, replay(), outAndErr());
        assertEquals(List.of("still-open"), server.acceptedMessages());
    }

    @Test
    void leftoversOfAKilledRunAreRemoved() throws IOException {
        Files.writeString(dropped.resolve(".queue_full_1_1.jsonl.replay"), "orphan");
        Files.writeString(dropped.resolve("queue_full_1_2.jsonl.4242.7.tmp"), "half a rewrite");
        Path file = droppedFile("queue_full", records("k", 2));

        assertEquals(0, replay(), outAndErr());

        assertEquals(2, server.accepted.size());
        assertFalse(Files.exists(file));
        assertEquals(List.of(), entries());
    }

    @Test
    void nothingToReplayIsSuccess() throws IOException {
        Files.delete(dropped);
        assertEquals(0, replay(), outAndErr());
        assertTrue(out().contains("nothing to replay"), out());
    }

    @Test
    void missingApiKeyIsAConfigurationError() throws IOException {
        assumeTrue(System.getenv("DATANADHI_API_KEY") == null && System.getenv("DATANADHI_API_KEY_FILE") == null);
        Files.writeString(dir.resolve("config.yml"), "server:\n  host: " + server.url() + "\n");
        droppedFile("primary_failed", records("n", 3));

        assertEquals(2, replay(), outAndErr());

        assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("replay-dropped: no API key"), outAndErr());
        assertEquals(List.of(), server.accepted);
    }

    @Test
    void badArgumentsAreUsageErrors() {
        assertEquals(2, replay("--reason", "tired"));
        assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("unknown reason \"tired\" (one of primary_failed,"
                + " fallback_failed, drain_worker_failed, queue_full, shutdown_unsent)"), outAndErr());
        assertEquals(2, replay("--api-key", "secret"));
        assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains(ReplayDropped.USAGE), outAndErr());
        assertEquals(2, replay("--dir"));
        assertEquals(2, replay("--dir", dir.resolve("missing").toString()));
        assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("missing is not a directory"), outAndErr());
    }
}
