package io.datanadhi.http;

import static io.datanadhi.http.Clients.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.http.testing.MisbehavingServer;
import io.datanadhi.http.testing.MisbehavingServer.Fault;
import io.datanadhi.http.testing.TestCertificates;
import io.datanadhi.http.testing.TestServer;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link BlockingConnection} against real servers on 127.0.0.1: correct ones (the Netty
 * {@link TestServer}, over HTTP and TLS), the {@link MisbehavingServer}'s faults, and small
 * scripted servers that answer byte for byte what a test wants. Every send runs on a helper thread
 * and is waited for within {@link #BOUND_SECONDS}, so that a send that never returns fails its test
 * instead of hanging the build.
 */
class BlockingConnectionTest {

    /** Far above any deadline a test sets: a send still under way then is a failure of its own. */
    private static final long BOUND_SECONDS = 10;

    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ExecutorService SENDERS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "blocking-connection-test-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });

    static TestCertificates certificates;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = TestCertificates.get();
    }

    @AfterAll
    static void stopSenders() {
        SENDERS.shutdownNow();
    }

    // ---- 1. a correct keep-alive server ----

    @Test
    void postsToAKeepAliveServerGetItsStatusAndBodyOverOneConnection() throws Exception {
        try (TestServer server = TestServer.start();
                BlockingConnection connection = blocking(endpoint(server.url(), 5000))) {
            assertFalse(connection.isOpen(), "nothing is connected before the first request");
            for (int i = 0; i < 5; i++) {
                Response response = send(connection, post("{\"n\":" + i + "}"));
                assertEquals(200, response.status);
                assertEquals("{\"status\":200}", response.body);
                assertTrue(response.roundTripNanos > 0);
                assertTrue(connection.isOpen(), "kept alive after request " + i);
            }
            server.logStatus.set(503);
            Response refused = send(connection, post("{\"n\":5}"));
            assertEquals(503, refused.status, "a refusal is a response, not a failure");
            assertEquals("{\"status\":503}", refused.body);
            assertTrue(connection.isOpen(), "a 503 with a body of its length keeps the connection");
            Response health = send(connection, Request.get("/"));
            assertEquals(200, health.status);
            assertEquals("{\"status\":200}", health.body);

            assertEquals(1, server.connectionsAccepted(), "seven requests, one after the other, on one connection");
            assertEquals(5, server.posts());
            List<String> bodies = new java.util.ArrayList<>();
            server.received().forEach(r -> bodies.add(r.text()));
            assertEquals(List.of("{\"n\":0}", "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}"), bodies);
            server.received().forEach(r -> assertEquals("datanadhi-test", r.userAgent));
            assertEquals(List.of("POST /log 200", "POST /log 200", "POST /log 200", "POST /log 200", "POST /log 200",
                    "POST /log 503", "GET / 200"), server.requests());
        }
    }

    @Test
    void theRequestHeadCarriesTheBasePathHostUserAgentHeadersAndTheBodyLength() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(request -> {
                    request.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                    return true;
                });
                BlockingConnection connection = blocking(endpoint(server.url() + "/base/", 5000))) {
            assertEquals("ok", send(connection, post("{\"a\":\"é\"}")).body);
            assertEquals(200, send(connection, Request.get("/")).status);

            String head = server.heads.get(0);
            assertTrue(head.startsWith("POST /base/log HTTP/1.1\r\n"), head);
            assertTrue(head.contains("\r\nHost: 127.0.0.1:" + server.port() + "\r\n"), head);
            assertTrue(head.contains("\r\nUser-Agent: datanadhi-test\r\n"), head);
            assertTrue(head.contains("\r\nContent-Type: application/json\r\n"), head);
            int length = "{\"a\":\"é\"}".getBytes(StandardCharsets.UTF_8).length;
            assertTrue(head.contains("\r\nContent-Length: " + length + "\r\n"), head);
            assertEquals("{\"a\":\"é\"}", server.bodies.get(0));

            String get = server.heads.get(1);
            assertTrue(get.startsWith("GET /base/ HTTP/1.1\r\n"), get);
            assertFalse(get.toLowerCase(Locale.ROOT).contains("content-length"), "a GET has no body: " + get);
            assertEquals(1, server.connectionsAccepted());
        }
    }

    @Test
    void openConnectsBeforeTheFirstRequestAndTheRequestUsesThatConnection() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(ScriptedServer::ok);
                BlockingConnection connection = blocking(endpoint(server.url(), 5000))) {
            connection.open();
            assertTrue(connection.isOpen());
            assertTrue(waitFor(() -> server.connectionsAccepted() == 1), "open() connected");
            assertTrue(server.bodies.isEmpty(), "open() sends nothing");
            connection.open(); // open already: nothing more
            assertEquals("ok", send(connection, post("{}")).body);
            assertEquals(1, server.connectionsAccepted());
        }
    }

    // ---- 2. a kept-alive connection the server closed while it was idle ----

    @Test
    void aConnectionTheServerClosedWhileIdleIsOpenedAgainAndTheRequestArrivesOnce() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(request -> {
                    if (request.connection == 1) {
                        request.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"); // keep-alive, as far as it says
                        Thread.sleep(100);
                        return false; // ... and then the server's idle timeout closes it
                    }
                    request.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain");
                    return true;
                });
                BlockingConnection connection = blocking(endpoint(server.url(), 5000))) {
            assertEquals("first", send(connection, post("one")).body);
            assertTrue(connection.isOpen(), "the response announced no close");
            assertTrue(waitFor(() -> server.closedByServer.get() == 1), "the server closed the idle connection");
            Thread.sleep(50); // the close reaches the client's side

            Response second = send(connection, post("two"));
            assertEquals(200, second.status);
            assertEquals("again", second.body);
            assertEquals(List.of("one", "two"), server.bodies, "each request arrived exactly once");
            assertEquals(2, server.connectionsAccepted(), "the second request went on a new connection");

            assertEquals("again", send(connection, post("three")).body);
            assertEquals(2, server.connectionsAccepted(), "and that one is kept alive");
        }
    }

    @Test
    void whenTheServerIsGoneAfterAnIdleCloseTheRetryFailsToConnect() throws Exception {
        ScriptedServer server = ScriptedServer.start(ScriptedServer::ok);
        try (BlockingConnection connection = blocking(endpoint(server.url(), 5000))) {
            assertEquals("ok", send(connection, post("one")).body);
            server.close(); // the connection is cut and nothing listens any more
            Thread.sleep(50);
            HttpFailure failure = failure(connection, post("two"));
            assertEquals(HttpFailure.Kind.CONNECT, failure.kind(), "the unanswered request was tried again on a new"
                    + " connection, which was refused: " + failure.getMessage());
            assertFalse(connection.isOpen());
            assertEquals(List.of("one"), server.bodies);
        } finally {
            server.close();
        }
    }

    @Test
    void aFirstRequestThatTheServerClosesWithoutAnswerIsNotSentAgain() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(request -> false);
                BlockingConnection connection = blocking(endpoint(server.url(), 5000))) {
            HttpFailure failure = failure(connection, post("once"));
            assertEquals(HttpFailure.Kind.CLOSED, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains("closed the connection before answering"), failure.getMessage());
            assertFalse(failure.unanswered(), "a new connection closed on a request may have acted on it");
            Thread.sleep(100);
            assertEquals(List.of("once"), server.bodies, "no second try on a fresh connection");
            assertEquals(1, server.connectionsAccepted());
        }
    }

    @Test
    void aTlsConnectionCutWhileIdleIsOpenedAgain() throws Exception {
        try (TestServer server = TestServer.startTls(certificates.server, false);
                BlockingConnection connection = blocking(Endpoint.of(HttpTarget.parse(server.url()),
                        trusting(certificates.trustStore), Proxies.none(), "test", Duration.ofSeconds(5)))) {
            assertEquals(200, send(connection, post("{\"n\":1}")).status);
            server.stop(); // every connection is cut ...
            server.restart(); // ... and the port listens again
            assertEquals(200, send(connection, post("{\"n\":2}")).status);
            assertEquals(2, server.posts(), "each once");
            assertEquals(2, server.connectionsAccepted());
        }
    }

    @Test
    void aConnectionOpenedAheadThatTheServerClosedIsOpenedAgainAndTheRequestArrivesOnce() throws Exception {
        try (RawServer server = new RawServer(connection -> {
                    if (connection.id == 1) {
                        Thread.sleep(50);
                        return; // closed without a word, before any request: an idle timeout
                    }
                    connection.answerOk();
                });
                BlockingConnection connection = blocking(endpoint(server.url(), 5000))) {
            connection.open();
            assertTrue(waitFor(() -> server.closed.get() == 1), "the server closed the connection opened ahead");
            Thread.sleep(50);
            assertEquals("ok", send(connection, post("first")).body);
            assertEquals(List.of("first"), server.bodies, "once");
            assertEquals(2, server.accepted.get());
        }
    }

    @Test
    void anAnswerNobodyAskedForOnAnIdleConnectionIsNotTheNextRequestsAnswer() throws Exception {
        try (RawServer server = new RawServer(connection -> {
                    if (connection.id == 1) {
                        Thread.sleep(50); // Node.js's headersTimeout on a connection opened ahead: 408, then close
                        connection.write("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
                        return;
                    }
                    connection.answerOk();
                });
                BlockingConnection connection = blocking(endpoint(server.url(), 5000))) {
            connection.open();
            assertTrue(waitFor(() -> server.closed.get() == 1), "the server answered and closed");
            Thread.sleep(50);
            Response response = send(connection, post("record"));
            assertEquals(200, response.status, "not the 408: " + response);
            assertEquals(List.of("record"), server.bodies);
        }
    }

    @Test
    void aConnectionIdleForMoreThanTwoSecondsIsReplacedBeforeTheNextRequest() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(ScriptedServer::ok);
                BlockingConnection connection = blocking(endpoint(server.url(), 5000))) {
            assertEquals("ok", send(connection, post("one")).body);
            assertEquals("ok", send(connection, post("two")).body);
            assertEquals(1, server.connectionsAccepted());
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(BlockingConnection.IDLE_REUSE_NANOS) + 200);
            assertEquals("ok", send(connection, post("three")).body);
            assertEquals(2, server.connectionsAccepted(), "a new connection after the idle time");
            assertEquals(List.of("one", "two", "three"), server.bodies);
        }
    }

    @Test
    void aRequestWaitingBehindAnOpeningFailsAtItsOwnDeadline() throws Exception {
        // A TLS endpoint on a server that never answers the handshake: open() holds the connection for its 3 s.
        try (ScriptedServer silent = ScriptedServer.start(request -> true);
                BlockingConnection connection = blocking(Endpoint.of(HttpTarget.parse(silent.url().replace("http:", "https:")),
                        TlsSettings.jvm(), Proxies.none(), "test", Duration.ofMillis(3000)))) {
            Future<?> opening = SENDERS.submit(() -> {
                connection.open();
                return null;
            });
            assertTrue(waitFor(() -> silent.connectionsAccepted() == 1), "the opening is under way");
            long start = System.nanoTime();
            HttpFailure failure = failure(connection, post("waits").timeoutMillis(300));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(HttpFailure.Kind.TIMEOUT, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains("still being opened"), failure.getMessage());
            assertTrue(millis < 1500, "failed after " + millis + " ms, not at its 300 ms deadline");
            connection.close();
            assertThrows(ExecutionException.class, () -> opening.get(5, TimeUnit.SECONDS));
        }
    }

    // ---- 3. misbehaving servers ----

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "ENDLESS_CHUNKED_BODY, TIMEOUT, 'a response was under way after'",
        "BODY_NEVER_COMPLETES, TIMEOUT, 'a response was under way after 51 bytes'",
        "HEADERS_NEVER_END, TIMEOUT, 'a response was under way after'",
        "NEVER_ANSWERS, TIMEOUT, 'the request was sent; no response'",
        "GARBAGE_AFTER_STATUS, PROTOCOL, 'a malformed header line'",
        "CLOSES_MID_RESPONSE, CLOSED, 'in the middle of a response'",
        "HUGE_BODY, PROTOCOL, 'a response body over 1024 KB (HTTP 200)'",
    })
    void aMisbehavingServerFailsTheRequestWithinItsDeadline(Fault fault, HttpFailure.Kind kind, String detail)
            throws Exception {
        try (MisbehavingServer server = MisbehavingServer.start(fault);
                BlockingConnection connection = blocking(endpoint(server.url(), 500))) {
            long start = System.nanoTime();
            HttpFailure failure = failure(connection, post("{\"n\":1}"));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(kind, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains(detail), failure.getMessage());
            assertTrue(failure.getMessage().contains(server.url()), "names the server: " + failure.getMessage());
            if (kind == HttpFailure.Kind.TIMEOUT) {
                assertTrue(failure.getMessage().contains("within 500 ms"), failure.getMessage());
                assertTrue(millis >= 450, "timed out after " + millis + " ms, before the 500 ms deadline");
            }
            assertTrue(millis < 500 + 2500, "failed after " + millis + " ms, the deadline is 500 ms");
            assertFalse(connection.isOpen(), "a failure closes the connection");
            assertFalse(failure.unanswered());
            assertEquals(List.of("{\"n\":1}"), server.bodies(), "sent once, not again");

            server.heal();
            Response healed = send(connection, post("{\"n\":2}"));
            assertEquals(200, healed.status, "a new connection once the server is well");
            assertEquals(2, server.connectionsAccepted());
        }
    }

    @Test
    void aRequestsOwnDeadlineIsKept() throws Exception {
        try (MisbehavingServer server = MisbehavingServer.start(Fault.NEVER_ANSWERS);
                BlockingConnection connection = blocking(endpoint(server.url(), 10_000))) {
            long start = System.nanoTime();
            HttpFailure failure = failure(connection, post("{}").timeoutMillis(300));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(HttpFailure.Kind.TIMEOUT, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains("within 300 ms"), failure.getMessage());
            assertTrue(millis >= 250 && millis < 2500, "timed out after " + millis + " ms, the request's deadline is 300 ms");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"HTTP/1.1 2OO OK", "HTTP/2 200", "SSH-2.0-OpenSSH_9.6", "HTTP/1.1 200OK", "HTTP/1.1"})
    void aStatusLineThatIsNotHttpIsAProtocolFailure(String statusLine) throws Exception {
        try (ScriptedServer server = ScriptedServer.start(request -> {
                    request.write(statusLine + "\r\nContent-Length: 2\r\n\r\nok");
                    return true;
                });
                BlockingConnection connection = blocking(endpoint(server.url(), 2000))) {
            HttpFailure failure = failure(connection, post("{}"));
            assertEquals(HttpFailure.Kind.PROTOCOL, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains("what is not HTTP: \"" + statusLine + "\""), failure.getMessage());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "Content-Length: abc\\r\\n\\r\\nok | a malformed Content-Length: \"abc\"",
        "Content-Length: -1\\r\\n\\r\\nok | a malformed Content-Length: \"-1\"",
        "Transfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\nok\\r\\n0\\r\\n\\r\\n | a malformed chunk size: \"zz\"",
        "Transfer-Encoding: chunked\\r\\n\\r\\n2\\r\\nokay\\r\\n0\\r\\n\\r\\n | a chunk longer than its size",
    })
    void aMalformedBodyFramingIsAProtocolFailure(String rest, String detail) throws Exception {
        String headAndBody = rest.replace("\\r\\n", "\r\n"); // CRLF written as \r\n in the table
        try (ScriptedServer server = ScriptedServer.start(request -> {
                    request.write("HTTP/1.1 200 OK\r\n" + headAndBody);
                    return true;
                });
                BlockingConnection connection = blocking(endpoint(server.url(), 2000))) {
            HttpFailure failure = failure(connection, post("{}"));
            assertEquals(HttpFailure.Kind.PROTOCOL, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains(detail), failure.getMessage());
        }
    }

    @Test
    void headersOverTheLimitAreAProtocolFailure() throws Exception {
        StringBuilder many = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 400; i++) {
            many.append("X-Header-").append(i).append(": ").append("v".repeat(40)).append("\r\n");
        }
        many.append("Content-Length: 2\r\n\r\nok");
        String longLine = "HTTP/1.1 200 OK\r\nX-Long: " + "v".repeat(9000) + "\r\nContent-Length: 2\r\n\r\nok";
        try (ScriptedServer server = ScriptedServer.start(request -> {
                    request.write(request.connection == 1 ? many.toString() : longLine);
                    return true;
                });
                BlockingConnection connection = blocking(endpoint(server.url(), 2000))) {
            HttpFailure tooMany = failure(connection, post("{}"));
            assertEquals(HttpFailure.Kind.PROTOCOL, tooMany.kind(), tooMany.getMessage());
            assertTrue(tooMany.getMessage().contains("headers over 16 KB"), tooMany.getMessage());
            HttpFailure tooLong = failure(connection, post("{}"));
            assertEquals(HttpFailure.Kind.PROTOCOL, tooLong.kind(), tooLong.getMessage());
            assertTrue(tooLong.getMessage().contains("a line over 8192 bytes"), tooLong.getMessage());
        }
    }

    @Test
    void bodiesUpToTheLimitAreReadWholeAndKeptInPart() throws Exception {
        int max = Connection.MAX_RESPONSE_BODY;
        byte[] largest = new byte[max];
        Arrays.fill(largest, (byte) 'a');
        try (ScriptedServer server = ScriptedServer.start(request -> {
                    switch (request.body) {
                        case "fixed":
                            request.write("HTTP/1.1 200 OK\r\nContent-Length: " + max + "\r\n\r\n");
                            request.write(largest);
                            return true;
                        case "chunked":
                            request.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                            for (int sent = 0; sent < 100 * 1024; sent += 10 * 1024) {
                                request.write(Integer.toHexString(10 * 1024) + "\r\n");
                                request.write(Arrays.copyOf(largest, 10 * 1024));
                                request.write("\r\n");
                            }
                            request.write("0\r\n\r\n");
                            return true;
                        case "too large":
                            request.write("HTTP/1.1 200 OK\r\nContent-Length: " + (max + 1) + "\r\n\r\n");
                            return true;
                        case "chunked, too large":
                            request.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                            for (int sent = 0; sent <= max; sent += 64 * 1024) {
                                request.write(Integer.toHexString(64 * 1024) + "\r\n");
                                request.write(Arrays.copyOf(largest, 64 * 1024));
                                request.write("\r\n");
                            }
                            request.write("0\r\n\r\n");
                            return true;
                        default:
                            return ScriptedServer.ok(request);
                    }
                });
                BlockingConnection connection = blocking(endpoint(server.url(), 5000))) {
            Response fixed = send(connection, post("fixed"));
            assertEquals(200, fixed.status);
            assertEquals("a".repeat(Response.MAX_BODY_KEPT), fixed.body, "the first 16 KB are kept");
            assertEquals("ok", send(connection, post("after")).body, "the rest was read: the next response is whole");
            Response chunked = send(connection, post("chunked"));
            assertEquals("a".repeat(Response.MAX_BODY_KEPT), chunked.body);
            assertEquals("ok", send(connection, post("after")).body);
            assertEquals(1, server.connectionsAccepted(), "all on one connection");

            HttpFailure tooLarge = failure(connection, post("too large"));
            assertEquals(HttpFailure.Kind.PROTOCOL, tooLarge.kind(), tooLarge.getMessage());
            assertTrue(tooLarge.getMessage().contains("a response body over 1024 KB"), tooLarge.getMessage());
            HttpFailure chunkedTooLarge = failure(connection, post("chunked, too large"));
            assertEquals(HttpFailure.Kind.PROTOCOL, chunkedTooLarge.kind(), chunkedTooLarge.getMessage());
            assertTrue(chunkedTooLarge.getMessage().contains("a response body over 1024 KB"), chunkedTooLarge.getMessage());
        }
    }

    // ---- 4. the shapes of a correct response ----

    @Test
    void aChunkedBodyComesInPiecesWithExtensionsAndTrailers() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(request -> {
                    request.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n5;name=value\r\nhel");
                    Thread.sleep(20);
                    request.write("lo\r\n7\r\n, wor");
                    Thread.sleep(20);
                    request.write("ld\r\n0\r\nX-Trailer: t\r\n\r\n");
                    return true;
                });
                BlockingConnection connection = blocking(endpoint(server.url(), 5000))) {
            for (int i = 0; i < 3; i++) {
                Response response = send(connection, post("{\"n\":" + i + "}"));
                assertEquals(200, response.status);
                assertEquals("hello, world", response.body);
            }
            assertTrue(connection.isOpen());
            assertEquals(1, server.connectionsAccepted(), "a chunked response ends the exchange, not the connection");
        }
    }

    @Test
    void aConnectionCloseResponseMakesTheNextRequestOpenANewConnection() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(request -> {
                    request.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
                    return false;
                });
                BlockingConnection connection = blocking(endpoint(server.url(), 5000))) {
            for (int i = 0; i < 3; i++) {
                Response response = send(connection, post("{\"n\":" + i + "}"));
                assertEquals(200, response.status);
                assertEquals("ok", response.body);
                assertFalse(connection.isOpen(), "the server announced the close");
            }
            assertEquals(3, server.connectionsAccepted());
            assertEquals(3, server.bodies.size(), "each once");
        }
    }

    @Test
    void anHttp10ResponseWithoutLengthIsReadToTheEndOfTheConnection() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(request -> {
                    request.write("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nthe body, ");
                    Thread.sleep(30);
                    request.write("to the end");
                    return false;
                });
                BlockingConnection connection = blocking(endpoint(server.url(), 5000))) {
            Response first = send(connection, post("{}"));
            assertEquals(200, first.status);
            assertEquals("the body, to the end", first.body);
            assertFalse(connection.isOpen());
            assertEquals("the body, to the end", send(connection, post("{}")).body);
            assertEquals(2, server.connectionsAccepted(), "a body read to the end takes its connection with it");
        }
    }

    @Test
    void interimResponsesAreSkippedForTheFinalOne() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(request -> {
                    request.write("HTTP/1.1 100 Continue\r\n\r\n");
                    Thread.sleep(20);
                    request.write("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                            + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
                    return true;
                });
                BlockingConnection connection = blocking(endpoint(server.url(), 5000))) {
            for (int i = 0; i < 2; i++) {
                Response response = send(connection, post("{}"));
                assertEquals(200, response.status);
                assertEquals("done", response.body);
            }
            assertEquals(1, server.connectionsAccepted());
        }
    }

    @Test
    void noContentHasNoBodyAndTheConnectionGoesOn() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(request -> {
                    if (request.number % 2 == 1) {
                        request.write("HTTP/1.1 204 No Content\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n");
                    } else {
                        request.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                    }
                    return true;
                });
                BlockingConnection connection = blocking(endpoint(server.url(), 2000))) {
            for (int i = 0; i < 2; i++) {
                Response none = send(connection, post("{}"));
                assertEquals(204, none.status);
                assertEquals("", none.body);
                assertTrue(connection.isOpen());
                Response ok = send(connection, post("{}"));
                assertEquals(200, ok.status);
                assertEquals("ok", ok.body);
            }
            assertEquals(1, server.connectionsAccepted());
        }
    }

    // ---- 5. nothing listening ----

    @Test
    void aRefusedConnectionIsAConnectFailure() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        try (BlockingConnection connection = blocking(endpoint("http://127.0.0.1:" + port, 5000))) {
            long start = System.nanoTime();
            HttpFailure failure = failure(connection, post("{}"));
            assertEquals(HttpFailure.Kind.CONNECT, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains("cannot connect to http://127.0.0.1:" + port), failure.getMessage());
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 2000, "refused at once");
            assertFalse(connection.isOpen());
            HttpFailure opening = assertThrows(HttpFailure.class, connection::open);
            assertEquals(HttpFailure.Kind.CONNECT, opening.kind(), opening.getMessage());
        }
    }

    // ---- 6. TLS ----

    @Test
    void aServerSignedByTheConfiguredCaIsTrusted() throws Exception {
        try (TestServer server = TestServer.startTls(certificates.server, false);
                BlockingConnection byAddress = blocking(tlsEndpoint(server.url(), trusting(certificates.trustStore)));
                BlockingConnection byName = blocking(tlsEndpoint(server.url().replace("127.0.0.1", "localhost"),
                        trusting(certificates.caPem)))) {
            for (int i = 0; i < 3; i++) {
                Response response = send(byAddress, post("{\"n\":" + i + "}"));
                assertEquals(200, response.status);
                assertEquals("{\"status\":200}", response.body);
            }
            assertEquals(1, server.connectionsAccepted(), "one TLS connection, kept alive");
            assertEquals(200, send(byName, post("{\"n\":3}")).status, "by host name (SNI), with the CA as PEM");
            assertEquals(4, server.posts());
        }
    }

    @Test
    void withoutTheCaTheCertificateIsNotTrustedAndNothingIsSent() throws Exception {
        try (TestServer server = TestServer.startTls(certificates.server, false);
                BlockingConnection connection = blocking(tlsEndpoint(server.url(), TlsSettings.jvm()))) {
            HttpFailure failure = failure(connection, post("{}"));
            assertEquals(HttpFailure.Kind.TLS, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains("TLS with " + server.url() + " failed"), failure.getMessage());
            assertTrue(failure.getMessage().contains("not trusted: its CA is not in the JVM's trust store"),
                    failure.getMessage());
            assertFalse(connection.isOpen());
            HttpFailure opening = assertThrows(HttpFailure.class, connection::open);
            assertEquals(HttpFailure.Kind.TLS, opening.kind(), opening.getMessage());
            assertEquals(0, server.posts());
        }
    }

    @Test
    void aCertificateForAnotherHostNameIsRefused() throws Exception {
        try (TestServer server = TestServer.startTls(certificates.wrongHost, false);
                BlockingConnection connection = blocking(tlsEndpoint(server.url(),
                        trusting(certificates.trustStore)))) {
            HttpFailure failure = failure(connection, post("{}"));
            assertEquals(HttpFailure.Kind.TLS, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains("not for this host name"), failure.getMessage());
            assertEquals(0, server.posts());
        }
    }

    @Test
    void mutualTlsNeedsTheClientCertificate() throws Exception {
        try (TestServer server = TestServer.startTls(certificates.server, true)) {
            try (BlockingConnection without = blocking(tlsEndpoint(server.url(),
                    trusting(certificates.trustStore)))) {
                HttpFailure failure = failure(without, post("{}"));
                assertEquals(HttpFailure.Kind.TLS, failure.kind(), failure.getMessage());
                assertTrue(failure.getMessage().contains("refused the client certificate"), failure.getMessage());
            }
            TlsSettings withClientCertificate = TlsSettings.of(certificates.trustStore, TestCertificates.PASSWORD, "PKCS12",
                    certificates.client.keyStore, TestCertificates.PASSWORD, "PKCS12");
            try (BlockingConnection with = blocking(tlsEndpoint(server.url(), withClientCertificate))) {
                assertEquals(200, send(with, post("{}")).status);
            }
            assertEquals(1, server.posts());
        }
    }

    @Test
    void anHttpServerOnAnHttpsUrlIsATlsFailure() throws Exception {
        try (TestServer plain = TestServer.start();
                BlockingConnection connection = blocking(tlsEndpoint(
                        plain.url().replace("http://", "https://"), trusting(certificates.trustStore)))) {
            HttpFailure failure = failure(connection, post("{}"));
            assertEquals(HttpFailure.Kind.TLS, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains("does not speak TLS"), failure.getMessage());
        }
    }

    @Test
    void aTlsHandshakeThatNeverCompletesTimesOut() throws Exception {
        try (MisbehavingServer stuck = MisbehavingServer.start(Fault.NEVER_ANSWERS);
                BlockingConnection connection = blocking(endpoint(
                        stuck.url().replace("http://", "https://"), 500))) {
            long start = System.nanoTime();
            HttpFailure failure = failure(connection, post("{}"));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(HttpFailure.Kind.TIMEOUT, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains("the TLS handshake did not complete"), failure.getMessage());
            assertTrue(failure.getMessage().contains("within 500 ms"), failure.getMessage());
            assertTrue(millis >= 450 && millis < 3000, "timed out after " + millis + " ms, the deadline is 500 ms");
        }
    }

    @Test
    void aTlsHandshakeTimeoutNamesTheRequestsOwnDeadline() throws Exception {
        try (MisbehavingServer stuck = MisbehavingServer.start(Fault.NEVER_ANSWERS);
                BlockingConnection connection = blocking(endpoint(
                        stuck.url().replace("http://", "https://"), 10_000))) {
            long start = System.nanoTime();
            HttpFailure failure = failure(connection, post("{}").timeoutMillis(400));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(HttpFailure.Kind.TIMEOUT, failure.kind(), failure.getMessage());
            assertTrue(millis < 3000, "timed out after " + millis + " ms, the request's deadline is 400 ms");
            assertTrue(failure.getMessage().contains("within 400 ms"), "the deadline that passed: " + failure.getMessage());
        }
    }

    // ---- 7. close() from another thread ----

    @Test
    void closingFromAnotherThreadAbortsARequestUnderWay() throws Exception {
        try (MisbehavingServer server = MisbehavingServer.start(Fault.NEVER_ANSWERS)) {
            BlockingConnection connection = blocking(endpoint(server.url(), 20_000));
            Future<Response> pending = SENDERS.submit(() -> connection.send(post("{\"n\":1}")));
            assertTrue(waitFor(() -> server.bodies().size() == 1), "the request reached the server");
            long closing = System.nanoTime();
            connection.close();
            HttpFailure failure = failureOf(pending);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closing);
            assertEquals(HttpFailure.Kind.ABORTED, failure.kind(), failure.getMessage());
            assertTrue(millis < 1000, "aborted " + millis + " ms after close(), the deadline was 20 s away");
            assertFalse(connection.isOpen());

            HttpFailure after = failure(connection, post("{\"n\":2}"));
            assertEquals(HttpFailure.Kind.ABORTED, after.kind(), after.getMessage());
            assertEquals(List.of("{\"n\":1}"), server.bodies(), "nothing is sent once closed");
            assertEquals(1, server.connectionsAccepted());
        }
    }

    @Test
    void closingFromAnotherThreadAbortsATlsHandshakeUnderWay() throws Exception {
        try (MisbehavingServer stuck = MisbehavingServer.start(Fault.NEVER_ANSWERS)) {
            BlockingConnection connection = blocking(endpoint(stuck.url().replace("http://", "https://"), 20_000));
            Future<Response> pending = SENDERS.submit(() -> connection.send(post("{}")));
            assertTrue(waitFor(() -> stuck.connectionsAccepted() == 1), "connected");
            Thread.sleep(100); // the ClientHello is out, no answer comes
            long closing = System.nanoTime();
            connection.close();
            HttpFailure failure = failureOf(pending);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closing);
            assertEquals(HttpFailure.Kind.ABORTED, failure.kind(), failure.getMessage());
            assertTrue(millis < 1000, "aborted " + millis + " ms after close()");
        }
    }

    @Test
    void openAfterCloseConnectsNothing() throws Exception {
        try (ScriptedServer server = ScriptedServer.start(ScriptedServer::ok)) {
            BlockingConnection connection = blocking(endpoint(server.url(), 2000));
            connection.close();
            try {
                connection.open();
            } catch (HttpFailure expected) {
                assertEquals(HttpFailure.Kind.ABORTED, expected.kind(), expected.getMessage());
            }
            Thread.sleep(200);
            assertEquals(0, server.connectionsAccepted(),
                    "a closed connection opened a socket that nothing will use or close");
            assertFalse(connection.isOpen());
            connection.close();
        }
    }

    // ---- 8. proxies ----

    @Test
    void anEndpointBehindAProxyIsNotForABlockingConnection() {
        Proxies proxies = Proxies.from(Map.of("HTTP_PROXY", "http://127.0.0.1:3128", "HTTPS_PROXY", "http://127.0.0.1:3128"),
                new Properties());
        for (String url : List.of("http://127.0.0.1:8080", "https://127.0.0.1:8443")) {
            Endpoint behindProxy = Endpoint.of(HttpTarget.parse(url), TlsSettings.jvm(), proxies, "test", Duration.ofSeconds(1));
            assertNotNull(behindProxy.proxy(), url);
            assertFalse(BlockingConnection.supports(behindProxy), url);
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> blocking(behindProxy));
            assertTrue(refused.getMessage().contains("behind a proxy"), refused.getMessage());
            assertTrue(refused.getMessage().contains(url), refused.getMessage());
        }

        Proxies bypassed = Proxies.from(Map.of("HTTP_PROXY", "http://127.0.0.1:3128", "NO_PROXY", "127.0.0.1"),
                new Properties());
        assertTrue(BlockingConnection.supports(Endpoint.of(HttpTarget.parse("http://127.0.0.1:8080"), TlsSettings.jvm(),
                bypassed, "test", Duration.ofSeconds(1))), "NO_PROXY: direct");
        assertTrue(BlockingConnection.supports(endpoint("http://127.0.0.1:8080", 1000)), "no proxy");
        assertTrue(BlockingConnection.supports(Endpoint.of(HttpTarget.parse("http://127.0.0.1:8080"), TlsSettings.jvm(),
                null, "test", Duration.ofSeconds(1))), "no proxies at all");
    }

    // ---- helpers ----

    private static Endpoint endpoint(String url, long timeoutMillis) {
        return Clients.endpoint(url, Duration.ofMillis(timeoutMillis));
    }

    private static Endpoint tlsEndpoint(String url, TlsSettings tls) {
        return Endpoint.of(HttpTarget.parse(url), tls, Proxies.none(), "datanadhi-test", Duration.ofSeconds(5));
    }

    private static TlsSettings trusting(Path store) {
        return TlsSettings.of(store, TestCertificates.PASSWORD, null, null, null, null);
    }

    /** The response to {@code request}, sent on a helper thread and waited for within {@link #BOUND_SECONDS}. */
    private static Response send(BlockingConnection connection, Request request) throws Exception {
        Future<Response> result = SENDERS.submit(() -> connection.send(request));
        try {
            return result.get(BOUND_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof HttpFailure) {
                HttpFailure failure = (HttpFailure) e.getCause();
                throw new AssertionError("expected a response, got " + failure.kind() + ": " + failure.getMessage(), failure);
            }
            throw e;
        } catch (TimeoutException e) {
            connection.close();
            throw new AssertionError("send() did not return within " + BOUND_SECONDS + " s");
        }
    }

    /** The failure of {@code request}, within the same bound; fails the test when a response came instead. */
    private static HttpFailure failure(BlockingConnection connection, Request request) throws Exception {
        Future<Response> result = SENDERS.submit(() -> connection.send(request));
        try {
            return failureOf(result);
        } catch (AssertionError e) {
            connection.close();
            throw e;
        }
    }

    private static HttpFailure failureOf(Future<Response> result) throws Exception {
        try {
            Response response = result.get(BOUND_SECONDS, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + response);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof HttpFailure) {
                return (HttpFailure) e.getCause();
            }
            throw new AssertionError("expected an HttpFailure, got " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("send() did not return within " + BOUND_SECONDS + " s");
        }
    }

    /** Waits at most 5 s for {@code condition}. */
    private static boolean waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    /** A server whose test decides, per accepted connection, what happens on it; then the connection is closed. */
    private static final class RawServer implements AutoCloseable {

        interface Handler {
            void handle(RawConnection connection) throws Exception;
        }

        static final class RawConnection {
            final int id;
            private final Socket socket;
            private final List<String> bodies;

            RawConnection(int id, Socket socket, List<String> bodies) {
                this.id = id;
                this.socket = socket;
                this.bodies = bodies;
            }

            void write(String text) throws IOException {
                socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
            }

            /** Reads one request (a Content-Length body), keeps its body, answers 200 "ok", and waits for the next. */
            void answerOk() throws IOException {
                InputStream in = socket.getInputStream();
                while (true) {
                    StringBuilder head = new StringBuilder();
                    int b;
                    while (!head.toString().endsWith("\r\n\r\n") && (b = in.read()) >= 0) {
                        head.append((char) b);
                    }
                    if (!head.toString().endsWith("\r\n\r\n")) {
                        return;
                    }
                    java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
                    byte[] body = new byte[length.find() ? Integer.parseInt(length.group(1)) : 0];
                    int read = 0;
                    while (read < body.length && (b = in.read(body, read, body.length - read)) > 0) {
                        read += b;
                    }
                    bodies.add(new String(body, StandardCharsets.UTF_8));
                    write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            }
        }

        private final ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        final List<String> bodies = new CopyOnWriteArrayList<>();

        RawServer(Handler handler) throws IOException {
            ScriptedServer.daemon(() -> {
                while (!listening.isClosed()) {
                    try {
                        Socket socket = listening.accept();
                        socket.setSoTimeout(15_000);
                        int id = accepted.incrementAndGet();
                        ScriptedServer.daemon(() -> {
                            try (socket) {
                                handler.handle(new RawConnection(id, socket, bodies));
                            } catch (Exception e) {
                                // the test sees what arrived
                            } finally {
                                closed.incrementAndGet();
                            }
                        }, "raw-connection-" + id);
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "raw-server");
        }

        String url() {
            return "http://127.0.0.1:" + listening.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            listening.close();
        }
    }

    /**
     * A server on 127.0.0.1 that answers each request with the bytes its test writes, on a thread per
     * connection, and keeps what it read: the heads, the bodies, how many connections it accepted
     * and how many it closed itself.
     */
    private static final class ScriptedServer implements AutoCloseable {

        /** Answers one request; false to close the connection after it. */
        interface Script {
            boolean answer(Incoming request) throws Exception;
        }

        /** One request as read, and where its answer goes. */
        static final class Incoming {
            /** 1, 2, ... in the order connections were accepted. */
            final int connection;
            /** 1, 2, ... on its connection. */
            final int number;
            final String head;
            final String body;
            private final OutputStream out;

            Incoming(int connection, int number, String head, String body, OutputStream out) {
                this.connection = connection;
                this.number = number;
                this.head = head;
                this.body = body;
                this.out = out;
            }

            void write(String text) throws IOException {
                write(text.getBytes(StandardCharsets.ISO_8859_1));
            }

            void write(byte[] bytes) throws IOException {
                out.write(bytes);
                out.flush();
            }
        }

        /** 200 "ok", kept alive. */
        static boolean ok(Incoming request) throws IOException {
            request.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            return true;
        }

        private final ServerSocket listening;
        private final Script script;
        private final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger closedByServer = new AtomicInteger();
        final List<String> heads = new CopyOnWriteArrayList<>();
        final List<String> bodies = new CopyOnWriteArrayList<>();
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();

        private ScriptedServer(Script script) throws IOException {
            this.script = script;
            this.listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            daemon(this::accept, "scripted-server");
        }

        static ScriptedServer start(Script script) throws IOException {
            return new ScriptedServer(script);
        }

        int port() {
            return listening.getLocalPort();
        }

        String url() {
            return "http://127.0.0.1:" + port();
        }

        int connectionsAccepted() {
            return accepted.get();
        }

        private void accept() {
            while (!listening.isClosed()) {
                Socket connection;
                try {
                    connection = listening.accept();
                } catch (IOException closed) {
                    return;
                }
                int id = accepted.incrementAndGet();
                open.add(connection);
                daemon(() -> serve(connection, id), "scripted-connection-" + id);
            }
        }

        private void serve(Socket connection, int id) {
            try {
                connection.setSoTimeout(15_000); // a forgotten connection does not keep its thread forever
                InputStream in = new BufferedInputStream(connection.getInputStream());
                OutputStream out = connection.getOutputStream();
                for (int number = 1; ; number++) {
                    String head = readHead(in);
                    if (head == null) {
                        return; // the client closed it
                    }
                    String body = new String(in.readNBytes(contentLength(head)), StandardCharsets.UTF_8);
                    heads.add(head);
                    bodies.add(body);
                    if (!script.answer(new Incoming(id, number, head, body, out))) {
                        connection.close();
                        closedByServer.incrementAndGet();
                        return;
                    }
                }
            } catch (Exception ended) {
                // cut by the client or by close()
            } finally {
                open.remove(connection);
                try {
                    connection.close();
                } catch (IOException ignored) {
                    // closed anyway
                }
            }
        }

        /** The request's head up to and with its empty line, as Latin-1; null at the end of the stream. */
        private static String readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            byte[] end = {'\r', '\n', '\r', '\n'};
            while (matched < 4) {
                int c = in.read();
                if (c < 0) {
                    if (head.size() == 0) {
                        return null;
                    }
                    throw new EOFException("the request's head ended early");
                }
                head.write(c);
                matched = c == end[matched] ? matched + 1 : (c == '\r' ? 1 : 0);
                if (head.size() > 64 * 1024) {
                    throw new IOException("a request head over 64 KB");
                }
            }
            return head.toString(StandardCharsets.ISO_8859_1);
        }

        private static int contentLength(String head) {
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    return Integer.parseInt(line.substring(15).trim());
                }
            }
            return 0;
        }

        private static void daemon(Runnable task, String name) {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws IOException {
            listening.close();
            for (Socket connection : open) {
                try {
                    connection.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    /** A connection whose host name lookups run on daemon threads. */
    private static BlockingConnection blocking(Endpoint endpoint) {
        return new BlockingConnection(endpoint, task -> {
            Thread thread = new Thread(task, "test-lookup");
            thread.setDaemon(true);
            return thread;
        });
    }
}
