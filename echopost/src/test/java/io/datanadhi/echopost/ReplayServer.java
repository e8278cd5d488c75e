package io.datanadhi.echopost;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A Data Nadhi server for EchoPost's replay, on 127.0.0.1: records every {@code POST /log} in
 * arrival order, answers health checks and posts with statuses the test controls, can hang on
 * posts (accept, read, never answer), and can be started later on a port chosen now (a server
 * that is down at first).
 */
final class ReplayServer implements AutoCloseable {

    /** One {@code POST /log}: its body, the status it got, and its headers (names in lower case). */
    static final class Received {
        final String body;
        final String apiKey;
        final int status;
        final Map<String, String> headers;

        Received(String body, int status, Map<String, String> headers) {
            this.body = body;
            this.status = status;
            this.headers = headers;
            this.apiKey = headers.get("x-datanadhi-api-key");
        }
    }

    private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("\"id\":\"([^\"]*)\"");

    /** The {@code "id"} a test put in a record's json, as the server received it; null when none. */
    static String id(String body) {
        java.util.regex.Matcher matcher = ID.matcher(body);
        return matcher.find() ? matcher.group(1) : null;
    }

    /** What a refusing answer's body says, so that a test can find it in agent-failure.log. */
    static String refusal(int status) {
        return "{\"error\":\"test server refuses this record\",\"status\":" + status + "}";
    }

    final int port;
    final AtomicInteger healthStatus = new AtomicInteger(200);
    /** Status for a posted body; 200 by default. */
    volatile Function<String, Integer> logStatus = body -> 200;
    /** How many of the next posts hang: read, never answered (until {@link #close()}). */
    final AtomicInteger hangPosts = new AtomicInteger();
    private final List<Received> accepted = new CopyOnWriteArrayList<>();
    private final List<Received> posts = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger hung = new AtomicInteger();
    private final CountDownLatch closed = new CountDownLatch(1);
    private HttpServer server;

    private ReplayServer(int port) {
        this.port = port;
    }

    /**
     * A server that is not listening yet: connections are refused until {@link #start()}. Its port
     * was free when chosen; tests that start servers in parallel use {@link #up()}.
     */
    static ReplayServer down() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new ReplayServer(probe.getLocalPort());
        }
    }

    /** A server listening now, on a port the system picks (no race with other tests for a free port). */
    static ReplayServer up() throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        ReplayServer server = new ReplayServer(http.getAddress().getPort());
        server.listen(http);
        return server;
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    synchronized ReplayServer start() throws IOException {
        if (server == null) {
            listen(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128));
        }
        return this;
    }

    private synchronized void listen(HttpServer http) {
        server = http;
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", this::handle);
        server.start();
    }

    synchronized void stop() {
        if (server != null) {
            server.stop(0);
            ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
            server = null;
        }
    }

    /** Posts answered 2xx, in arrival order. */
    List<Received> accepted() {
        return new ArrayList<>(accepted);
    }

    /** Every post to /log, whatever its answer (hung ones excluded), in arrival order. */
    List<Received> posts() {
        return new ArrayList<>(posts);
    }

    /** Posts read and never answered so far. */
    int hung() {
        return hung.get();
    }

    List<String> bodies() {
        List<String> bodies = new ArrayList<>();
        for (Received r : accepted) {
            bodies.add(r.body);
        }
        return bodies;
    }

    List<String> requests() {
        return new ArrayList<>(requests);
    }

    boolean awaitAccepted(int count, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (accepted.size() < count) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = exchange.getRequestURI().getPath();
            int status;
            if (exchange.getRequestMethod().equals("GET")) {
                status = healthStatus.get();
            } else if (path.equals("/log")) {
                if (hangPosts.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    hung.incrementAndGet();
                    requests.add("POST /log hung");
                    awaitClose();
                    return; // never answered
                }
                status = logStatus.apply(body);
                Received received = new Received(body, status, headers(exchange));
                posts.add(received);
                if (status / 100 == 2) {
                    accepted.add(received);
                }
            } else {
                status = 404;
            }
            requests.add(exchange.getRequestMethod() + " " + path + " " + status);
            byte[] reply = (status / 100 == 2 ? "{\"status\":" + status + "}" : refusal(status))
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, reply.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply);
            }
        } finally {
            exchange.close();
        }
    }

    private void awaitClose() {
        try {
            closed.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Map<String, String> headers(HttpExchange exchange) {
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((name, values) ->
                headers.put(name.toLowerCase(Locale.ROOT), values.isEmpty() ? "" : values.get(0)));
        return headers;
    }

    @Override
    public void close() {
        closed.countDown();
        stop();
    }
}
