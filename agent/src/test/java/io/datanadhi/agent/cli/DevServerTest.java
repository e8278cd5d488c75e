package io.datanadhi.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DevServerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String TIMESTAMP = "2026-11-22T10:15:42.458Z";

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private DevServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = DevServer.start("127.0.0.1", 0, DevServer.DEFAULT_API_KEY_HEADER, out, err);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private static String record(String pipelines, String message, String traceId, String level, String module) {
        return "{\"pipelines\":" + pipelines + ",\"log_data\":{\"message\":\"" + message + "\",\"trace_id\":\"" + traceId
                + "\",\"timestamp\":\"" + TIMESTAMP + "\",\"module_name\":\"orders\",\"log_record\":{\"level\":\""
                + level + "\",\"module_name\":\"" + module + "\"}}}";
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return client.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(server.url() + path));
    }

    private HttpResponse<String> postLog(String body, String... headers) throws Exception {
        HttpRequest.Builder request = request("/log").POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request);
    }

    private HttpResponse<String> postUpload(byte[] body) throws Exception {
        return send(request("/upload").POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "application/gzip"));
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    /** Lines printed for records: everything but the start-up line. */
    private List<String> recordLines() {
        return Arrays.stream(outBytes.toString(StandardCharsets.UTF_8).split("\n"))
                .filter(line -> !line.startsWith("datanadhi dev-server"))
                .filter(line -> !line.isEmpty())
                .collect(Collectors.toList());
    }

    private List<String> errLines() {
        return Arrays.stream(errBytes.toString(StandardCharsets.UTF_8).split("\n"))
                .filter(line -> !line.isEmpty())
                .collect(Collectors.toList());
    }

    private static String localTime(String timestamp) {
        return DateTimeFormatter.ofPattern("HH:mm:ss.SSS").format(Instant.parse(timestamp).atZone(ZoneId.systemDefault()));
    }

    @Test
    void startupLineSaysWhereItListens() {
        assertTrue(server.port() > 0);
        assertTrue(outBytes.toString(StandardCharsets.UTF_8).startsWith(
                "datanadhi dev-server listening on http://127.0.0.1:" + server.port()), outBytes.toString());
    }

    @Test
    void getRootAnswers200WithStatusOk() throws Exception {
        HttpResponse<String> response = send(request("/").GET());
        assertEquals(200, response.statusCode());
        assertEquals("{\"status\":\"ok\"}", response.body());
    }

    @Test
    void postLogPrintsOneReadableLineAndCountsTheRecord() throws Exception {
        HttpResponse<String> response = postLog(
                record("[\"errors\",\"audit\"]", "payment failed\\nretrying", "ab12cd34ef5678", "ERROR",
                        "com.acme.OrderService"),
                DevServer.DEFAULT_API_KEY_HEADER, "dn-key");

        assertEquals(200, response.statusCode());
        assertEquals(1, server.received());
        List<String> lines = recordLines();
        assertEquals(1, lines.size(), lines.toString());
        assertEquals(localTime(TIMESTAMP) + "  ERROR     com.acme.OrderService  payment failed\\nretrying"
                + "  pipelines=[errors, audit]  trace_id=ab12cd34…  key=✓", lines.get(0));
        assertTrue(errLines().isEmpty(), errLines().toString());
    }

    @Test
    void postLogWithoutTheApiKeyHeaderSaysSo() throws Exception {
        postLog(record("[]", "hello", "t1", "INFO", "app"));
        assertTrue(recordLines().get(0).endsWith("trace_id=t1  key=missing"), recordLines().toString());
    }

    @Test
    void apiKeyHeaderNameIsConfigurable() throws Exception {
        try (DevServer custom = DevServer.start("127.0.0.1", 0, "x-custom-key", out, err)) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(custom.url() + "/log"))
                    .POST(HttpRequest.BodyPublishers.ofString(record("[]", "m", "t", "INFO", "app")))
                    .header("X-Custom-Key", "k").timeout(TIMEOUT).build();
            assertEquals(200, client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(1, custom.received());
        }
        assertTrue(recordLines().get(0).endsWith("key=✓"), recordLines().toString());
    }

    @Test
    void longMessagesAreShortened() throws Exception {
        postLog(record("[]", "x".repeat(1000), "t", "INFO", "app"));
        String line = recordLines().get(0);
        assertTrue(line.contains("x".repeat(ReceivedRecordLine.MAX_MESSAGE - 1) + "…  pipelines=[]"), line);
    }

    @Test
    void uploadOfGzipJsonLinesPrintsEveryRecordMarkedAsFallback() throws Exception {
        String body = record("[\"a\"]", "one", "t1", "INFO", "app") + "\n"
                + record("[\"b\"]", "two", "t2", "WARNING", "app") + "\n"
                + record("[\"c\"]", "three", "t3", "CRITICAL", "app") + "\n";

        HttpResponse<String> response = postUpload(gzip(body));

        assertEquals(200, response.statusCode());
        assertEquals(3, server.received());
        List<String> lines = recordLines();
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("INFO      app  one  pipelines=[a]"), lines.get(0));
        assertTrue(lines.get(1).contains("WARNING   app  two  pipelines=[b]"), lines.get(1));
        assertTrue(lines.get(2).contains("CRITICAL  app  three  pipelines=[c]"), lines.get(2));
        for (String line : lines) {
            assertTrue(line.endsWith("via=fallback /upload"), line);
        }
    }

    @Test
    void malformedJsonIs400WithOneStderrLineAndTheServerKeepsWorking() throws Exception {
        HttpResponse<String> response = postLog("{\"pipelines\": [\"a\"], \"log_data\": {");
        assertEquals(400, response.statusCode());
        assertTrue(response.body().contains("malformed JSON"), response.body());
        assertEquals(1, errLines().size(), errLines().toString());
        assertTrue(errLines().get(0).startsWith("dev-server: 400 POST /log from 127.0.0.1"), errLines().get(0));
        assertEquals(0, server.received());

        assertEquals(200, postLog(record("[]", "after", "t", "INFO", "app")).statusCode());
    }

    @Test
    void recordWithoutLogDataIs400() throws Exception {
        assertEquals(400, postLog("{\"pipelines\": []}").statusCode());
        assertEquals(400, postLog("[1, 2]").statusCode());
        assertEquals(400, postLog("{\"pipelines\": [], \"log_data\": {}} trailing").statusCode());
        assertEquals(0, server.received());
        assertTrue(recordLines().isEmpty());
    }

    @Test
    void uploadThatIsNotGzipIs400() throws Exception {
        HttpResponse<String> response = postUpload(record("[]", "plain", "t", "INFO", "app").getBytes(StandardCharsets.UTF_8));
        assertEquals(400, response.statusCode());
        assertTrue(response.body().contains("gzip"), response.body());
        assertEquals(1, errLines().size(), errLines().toString());
    }

    @Test
    void truncatedGzipIs400() throws Exception {
        byte[] whole = gzip(record("[]", "m", "t", "INFO", "app"));
        assertEquals(400, postUpload(Arrays.copyOf(whole, whole.length / 2)).statusCode());
    }

    @Test
    void uploadWithOneMalformedLineIs400AndPrintsNothing() throws Exception {
        String body = record("[]", "fine", "t", "INFO", "app") + "\nnot json\n";
        HttpResponse<String> response = postUpload(gzip(body));
        assertEquals(400, response.statusCode());
        assertTrue(response.body().contains("line 2"), response.body());
        assertEquals(0, server.received());
        assertTrue(recordLines().isEmpty());
    }

    @Test
    void unknownPathIs404() throws Exception {
        assertEquals(404, send(request("/nope").GET()).statusCode());
        assertEquals(404, send(request("/log/extra").POST(HttpRequest.BodyPublishers.ofString("{}"))).statusCode());
    }

    @Test
    void wrongMethodIs405() throws Exception {
        HttpResponse<String> response = send(request("/log").GET());
        assertEquals(405, response.statusCode());
        assertEquals("POST", response.headers().firstValue("Allow").orElse(""));
        assertEquals(405, send(request("/").POST(HttpRequest.BodyPublishers.ofString(""))).statusCode());
        assertEquals(405, send(request("/upload").PUT(HttpRequest.BodyPublishers.ofString(""))).statusCode());
    }

    @Test
    void closeStopsListening() throws Exception {
        server.close();
        server.close();
        assertThrows(ConnectException.class, () -> send(request("/").GET()));
        assertTrue(outBytes.toString(StandardCharsets.UTF_8).contains("dev-server stopped (0 records received)"));
    }

    @Test
    void portInUseExitsWithCode2AndAClearMessage() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int code = DevServer.run(new String[] {"--host", "127.0.0.1", "--port", String.valueOf(busy.getLocalPort())},
                    out, err);
            assertEquals(2, code);
        }
        assertTrue(errLines().get(0).contains("cannot listen on 127.0.0.1:"), errLines().toString());
        assertTrue(errLines().get(0).contains("--port"), errLines().toString());
    }

    @Test
    void badArgumentsExitWithCode2() {
        for (String[] args : List.of(new String[] {"--port", "abc"}, new String[] {"--port", "70000"},
                new String[] {"--port"}, new String[] {"--bogus"}, new String[] {"--host="},
                new String[] {"--host", "no-such-host.invalid", "--port", "0"})) {
            errBytes.reset();
            assertEquals(2, DevServer.run(args, out, err), Arrays.toString(args));
            assertTrue(errBytes.toString(StandardCharsets.UTF_8).startsWith("dev-server: "), Arrays.toString(args));
        }
    }

    @Test
    void helpPrintsUsageAndExitsWith0() throws Exception {
        assertEquals(0, DevServer.run(new String[] {"--help"}, out, err));
        assertTrue(outBytes.toString(StandardCharsets.UTF_8).contains(DevServer.USAGE));
    }

    @Test
    void mainRoutesDevServerAndItsExitCode() throws Exception {
        assertEquals(2, Main.run(new String[] {"dev-server", "--port", "-1"}, out, err));
        assertEquals(0, Main.run(new String[] {"help"}, out, err));
        assertTrue(outBytes.toString(StandardCharsets.UTF_8).contains("dev-server [--port 5000]"));
    }
}
