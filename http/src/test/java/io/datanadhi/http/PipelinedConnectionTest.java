package io.datanadhi.http;

import static io.datanadhi.http.Clients.answer;
import static io.datanadhi.http.Clients.failure;
import static io.datanadhi.http.Clients.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.http.testing.MisbehavingServer;
import io.datanadhi.http.testing.MisbehavingServer.Fault;
import io.datanadhi.http.testing.TestServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PipelinedConnectionTest {

    private final HttpTransport transport = Clients.transport();

    @AfterEach
    void stop() {
        transport.close();
    }

    @Test
    void requestsArriveInTheOrderSentOnOneConnectionAndAreAnsweredInThatOrder() throws Exception {
        try (TestServer server = TestServer.start()) {
            server.delayMillis.set(30);
            PipelinedConnection pipeline = new PipelinedConnection(transport, Clients.endpoint(server.url(), Duration.ofSeconds(10)));
            List<Integer> completed = new CopyOnWriteArrayList<>();
            List<CompletableFuture<Response>> results = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                int n = i;
                results.add(pipeline.send(post("{\"n\":" + i + "}")).whenComplete((r, e) -> completed.add(n)));
            }
            for (CompletableFuture<Response> result : results) {
                assertEquals(200, answer(result).status);
            }
            List<TestServer.Received> received = server.received();
            assertEquals(2000, received.size());
            for (int i = 0; i < received.size(); i++) {
                assertEquals("{\"n\":" + i + "}", received.get(i).text(), "arrival " + i);
                assertEquals(1, received.get(i).connection);
            }
            for (int i = 0; i < completed.size(); i++) {
                assertEquals(i, completed.get(i));
            }
            assertEquals(1, server.connectionsAccepted());
        }
    }

    @Test
    void aFailureAtTheHeadFailsEverythingBehindItAndTheNextRequestOpensANewConnection() throws Exception {
        try (MisbehavingServer server = MisbehavingServer.start(Fault.NEVER_ANSWERS)) {
            PipelinedConnection pipeline = new PipelinedConnection(transport, Clients.endpoint(server.url(), Duration.ofMillis(500)));
            List<CompletableFuture<Response>> results = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                results.add(pipeline.send(post("{\"n\":" + i + "}")));
            }
            HttpFailure head = failure(results.get(0));
            assertEquals(HttpFailure.Kind.TIMEOUT, head.kind(), head.getMessage());
            for (int i = 1; i < 5; i++) {
                HttpFailure behind = failure(results.get(i));
                assertEquals(HttpFailure.Kind.CLOSED, behind.kind(), behind.getMessage());
                assertTrue(behind.getMessage().contains("before this request"), behind.getMessage());
            }
            server.heal();
            assertEquals(200, answer(pipeline.send(post("{\"n\":5}"))).status);
        }
    }

    @Test
    void requestsBehindAnAnnouncedCloseAreUnansweredAndSafeToSendAgain() throws Exception {
        try (ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread serving = new Thread(() -> {
                try (Socket connection = listening.accept()) {
                    OutputStream out = connection.getOutputStream();
                    for (int i = 0; i < 3; i++) {
                        ConnectionPoolTest.readRequest(connection.getInputStream());
                        String close = i == 2 ? "Connection: close\r\n" : "";
                        out.write(("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + close + "\r\nok").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                    // A lingering close, as servers that announce one do: closing with the client's
                    // later requests unread would reset the connection, and the reset may reach
                    // the client before the third answer does.
                    connection.shutdownOutput();
                    connection.setSoTimeout(5_000);
                    byte[] rest = new byte[8192];
                    while (connection.getInputStream().read(rest) >= 0) {
                        // the requests behind the close: never answered
                    }
                } catch (Exception ended) {
                    // done
                }
            });
            serving.setDaemon(true);
            serving.start();
            PipelinedConnection pipeline = new PipelinedConnection(transport,
                    Clients.endpoint("http://127.0.0.1:" + listening.getLocalPort(), Duration.ofSeconds(5)));
            List<CompletableFuture<Response>> results = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                results.add(pipeline.send(post("{\"n\":" + i + "}")));
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(200, answer(results.get(i)).status);
            }
            for (int i = 3; i < 10; i++) {
                HttpFailure failure = failure(results.get(i));
                assertTrue(failure.unanswered(), i + ": " + failure.getMessage());
            }
        }
    }
}
