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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A Data Nadhi server for EchoPost's replay, on 127.0.0.1: records every {@code POST /log} in
 * arrival order, answers health checks and posts with statuses the test controls, and can be
 * started later on a port chosen now (a server that is down at first).
 */
final class ReplayServer implements AutoCloseable {

    static final class Received {
        final String body;
        final String apiKey;

        Received(String body, String apiKey) {
            this.body = body;
            this.apiKey = apiKey;
        }
    }

    final int port;
    final AtomicInteger healthStatus = new AtomicInteger(200);
    /** Status for a posted body; 200 by default. */
    volatile Function<String, Integer> logStatus = body -> 200;
    private final List<Received> accepted = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private HttpServer server;

    private ReplayServer(int port) {
        this.port = port;
    }

    /** A server that is not listening yet: connections are refused until {@link #up()}. */
    static ReplayServer down() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new ReplayServer(probe.getLocalPort());
        }
    }

    static ReplayServer up() throws IOException {
        ReplayServer server = down();
        server.start();
        return server;
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    synchronized ReplayServer start() throws IOException {
        if (server == null) {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
            server.setExecutor(Executors.newFixedThreadPool(4));
            server.createContext("/", this::handle);
            server.start();
        }
        return this;
    }

    synchronized void stop() {
        if (server != null) {
            server.stop(0);
            ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
            server = null;
        }
    }

    List<Received> accepted() {
        return new ArrayList<>(accepted);
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
                status = logStatus.apply(body);
                if (status / 100 == 2) {
                    accepted.add(new Received(body, exchange.getRequestHeaders().getFirst("x-datanadhi-api-key")));
                }
            } else {
                status = 404;
            }
            requests.add(exchange.getRequestMethod() + " " + path + " " + status);
            byte[] reply = ("{\"status\":" + status + "}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, reply.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply);
            }
        } finally {
            exchange.close();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
