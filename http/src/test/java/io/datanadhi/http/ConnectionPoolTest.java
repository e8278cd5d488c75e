package io.datanadhi.http;

import static io.datanadhi.http.Clients.answer;
import static io.datanadhi.http.Clients.failure;
import static io.datanadhi.http.Clients.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.http.testing.MisbehavingServer;
import io.datanadhi.http.testing.MisbehavingServer.Fault;
import io.datanadhi.http.testing.TestServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConnectionPoolTest {

    private final HttpTransport transport = Clients.transport();

    @AfterEach
    void stop() {
        transport.close();
    }

    @Test
    void requestsToADistantServerAreInFlightSideBySideOnSeparateConnections() throws Exception {
        try (TestServer server = TestServer.start()) {
            server.delayMillis.set(100);
            ConnectionPool pool = new ConnectionPool(transport, Clients.endpoint(server.url(), Duration.ofSeconds(10)), 64);
            List<CompletableFuture<Response>> results = new ArrayList<>();
            for (int i = 0; i < 640; i++) {
                results.add(pool.send(post("{\"n\":" + i + "}")));
            }
            for (CompletableFuture<Response> result : results) {
                assertEquals(200, answer(result).status);
            }
            assertEquals(640, server.posts());
            assertEquals(64, server.mostConnectionsOpen(), "one request per connection, up to the pool's limit");
            assertEquals(0, pool.inFlight());
            assertTrue(pool.roundTripMillis() >= 100, "round trip " + pool.roundTripMillis());
            Set<String> bodies = new HashSet<>();
            server.received().forEach(r -> bodies.add(r.text()));
            assertEquals(640, bodies.size());
        }
    }

    @Test
    void aBurstOpensAtMostEightConnectionsAtOnce() throws Exception {
        // An https:// URL to a server that never answers the handshake: every connection stays "opening".
        try (MisbehavingServer stuck = MisbehavingServer.start(Fault.NEVER_ANSWERS)) {
            String url = stuck.url().replace("http://", "https://");
            ConnectionPool pool = new ConnectionPool(transport, Clients.endpoint(url, Duration.ofMillis(1500)), 256);
            List<CompletableFuture<Response>> results = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                results.add(pool.send(post("{}")));
            }
            for (CompletableFuture<Response> result : results) {
                HttpFailure failure = failure(result);
                assertTrue(failure.kind() == HttpFailure.Kind.TIMEOUT || failure.kind() == HttpFailure.Kind.TLS,
                        failure.getMessage());
            }
            assertTrue(stuck.connectionsAccepted() <= ConnectionPool.MAX_CONNECTING * 2,
                    "connections opened for 100 requests while none could be used: " + stuck.connectionsAccepted());
            assertTrue(stuck.connectionsAccepted() >= 1);
        }
    }

    @Test
    void connectionsAreReusedWhenTheLoadAllowsIt() throws Exception {
        try (TestServer server = TestServer.start()) {
            ConnectionPool pool = new ConnectionPool(transport, Clients.endpoint(server.url(), Duration.ofSeconds(10)), 64);
            for (int i = 0; i < 200; i++) {
                assertEquals(200, answer(pool.send(post("{}"))).status);
            }
            assertEquals(1, server.connectionsAccepted());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "ENDLESS_CHUNKED_BODY, TIMEOUT, 'HTTP 200, '",
        "BODY_NEVER_COMPLETES, TIMEOUT, '10 bytes of its body received'",
        "HEADERS_NEVER_END, TIMEOUT, 'headers did not end after'",
        "NEVER_ANSWERS, TIMEOUT, 'the request was sent; no response'",
        "GARBAGE_AFTER_STATUS, PROTOCOL, 'malformed response'",
        "CLOSES_MID_RESPONSE, CLOSED, 'in the middle of a response'",
        "HUGE_BODY, PROTOCOL, 'body over 1024 KB'",
    })
    void aMisbehavingServerFailsTheRequestWithinItsDeadline(Fault fault, HttpFailure.Kind kind, String detail)
            throws Exception {
        try (MisbehavingServer server = MisbehavingServer.start(fault)) {
            ConnectionPool pool = new ConnectionPool(transport, Clients.endpoint(server.url(), Duration.ofMillis(700)), 4);
            long start = System.nanoTime();
            HttpFailure failure = failure(pool.send(post("{\"n\":1}")));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(kind, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains(detail), failure.getMessage());
            assertTrue(millis < 700 + 2000, "failed after " + millis + " ms, the deadline is 700 ms");
            assertEquals(0, pool.inFlight());

            server.heal();
            assertEquals(200, answer(pool.send(post("{\"n\":2}"))).status, "a new connection once the server is well");
        }
    }

    @Test
    void aServerThatClosesAfterEachResponseGetsANewConnectionEachTime() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        try (ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread serving = new Thread(() -> {
                while (!listening.isClosed()) {
                    try (Socket connection = listening.accept()) {
                        accepted.incrementAndGet();
                        readRequest(connection.getInputStream());
                        OutputStream out = connection.getOutputStream();
                        out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                                .getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    } catch (Exception ended) {
                        return;
                    }
                }
            });
            serving.setDaemon(true);
            serving.start();
            ConnectionPool pool = new ConnectionPool(transport,
                    Clients.endpoint("http://127.0.0.1:" + listening.getLocalPort(), Duration.ofSeconds(5)), 1);
            for (int i = 0; i < 5; i++) {
                Response response = answer(pool.send(post("{}")));
                assertEquals(200, response.status);
                assertEquals("ok", response.body);
            }
            assertEquals(5, accepted.get());
        }
    }

    @Test
    void aRequestOnAConnectionTheServerClosedIsSentAgainOnANewOneNotOnAnotherIdleOne() throws Exception {
        // Each connection answers its first request and closes on its second without answering: what a
        // server that closes its idle keep-alive connections (all at once, e.g. past its idle limit) does
        // to a client that reuses them at that moment.
        AtomicInteger accepted = new AtomicInteger();
        java.util.concurrent.CountDownLatch fourOpen = new java.util.concurrent.CountDownLatch(4);
        try (ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread accepting = new Thread(() -> {
                while (!listening.isClosed()) {
                    Socket connection;
                    try {
                        connection = listening.accept();
                    } catch (Exception ended) {
                        return;
                    }
                    accepted.incrementAndGet();
                    fourOpen.countDown();
                    Thread serving = new Thread(() -> {
                        try (Socket open = connection) {
                            readRequest(open.getInputStream());
                            fourOpen.await(5, java.util.concurrent.TimeUnit.SECONDS); // the 4 first requests side by side
                            OutputStream out = open.getOutputStream();
                            out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                            out.flush();
                            readRequest(open.getInputStream());
                        } catch (Exception ended) {
                            // closed, unanswered
                        }
                    });
                    serving.setDaemon(true);
                    serving.start();
                }
            });
            accepting.setDaemon(true);
            accepting.start();
            ConnectionPool pool = new ConnectionPool(transport,
                    Clients.endpoint("http://127.0.0.1:" + listening.getLocalPort(), Duration.ofSeconds(5)), 4);
            List<CompletableFuture<Response>> first = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                first.add(pool.send(post("{}")));
            }
            for (CompletableFuture<Response> result : first) {
                assertEquals(200, answer(result).status);
            }
            assertEquals(4, accepted.get());

            Response again = answer(pool.send(post("{}")));
            assertEquals(200, again.status);
            assertEquals(5, accepted.get(), "the second try went to a new connection");
        }
    }

    @Test
    void closingThePoolFailsWhatIsInFlight() throws Exception {
        try (MisbehavingServer server = MisbehavingServer.start(Fault.NEVER_ANSWERS)) {
            ConnectionPool pool = new ConnectionPool(transport, Clients.endpoint(server.url(), Duration.ofSeconds(60)), 4);
            CompletableFuture<Response> pending = pool.send(post("{}"));
            Thread.sleep(200);
            pool.close();
            assertEquals(HttpFailure.Kind.ABORTED, failure(pending).kind());
            assertEquals(HttpFailure.Kind.ABORTED, failure(pool.send(post("{}"))).kind());
        }
    }

    @Test
    void aRefusedConnectionIsAConnectFailure() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        ConnectionPool pool = new ConnectionPool(transport, Clients.endpoint("http://127.0.0.1:" + port, Duration.ofSeconds(5)), 4);
        HttpFailure failure = failure(pool.send(post("{}")));
        assertEquals(HttpFailure.Kind.CONNECT, failure.kind(), failure.getMessage());
        assertTrue(failure.getMessage().contains("cannot connect to http://127.0.0.1:" + port), failure.getMessage());
    }

    static void readRequest(InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new java.io.EOFException();
            }
            head.append((char) c);
        }
        String lower = head.toString().toLowerCase(java.util.Locale.ROOT);
        int at = lower.indexOf("content-length:");
        if (at >= 0) {
            int length = Integer.parseInt(lower.substring(at + 15, lower.indexOf('\r', at)).trim());
            in.readNBytes(length);
        }
    }
}
