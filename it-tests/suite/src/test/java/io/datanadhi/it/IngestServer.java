package io.datanadhi.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * A Data Nadhi server for tests, on 127.0.0.1: records every request, and answers with whatever
 * status the test sets ({@link #logStatus}, {@link #healthStatus}) after {@link #delayMillis}. It
 * can be stopped and started again on the same port, keeping what it received: an outage.
 */
final class IngestServer implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /** One received record: the request's headers and its {@code pipelines}/{@code log_data}. */
    static final class Received {
        final String path;
        final String apiKey;
        final String userAgent;
        final JsonNode body;

        Received(String path, String apiKey, String userAgent, JsonNode body) {
            this.path = path;
            this.apiKey = apiKey;
            this.userAgent = userAgent == null ? "" : userAgent;
            this.body = body;
        }

        /** Sent by EchoPost's replay rather than by the agent. */
        boolean fromEchoPost() {
            return userAgent.startsWith("datanadhi-echopost");
        }

        JsonNode logData() {
            return body.get("log_data");
        }

        String message() {
            return logData().path("message").asText();
        }

        List<String> pipelines() {
            List<String> names = new ArrayList<>();
            body.path("pipelines").forEach(p -> names.add(p.asText()));
            return names;
        }

        @Override
        public String toString() {
            return path + " (" + userAgent + ") " + body;
        }
    }

    private HttpServer server;
    private final int port;
    private final List<Received> records = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    /** Records per {@code /upload} request, with its Content-Encoding. */
    private final List<String> uploads = new CopyOnWriteArrayList<>();
    final AtomicInteger logStatus = new AtomicInteger(200);
    final AtomicInteger healthStatus = new AtomicInteger(200);
    final AtomicInteger delayMillis = new AtomicInteger(0);

    IngestServer() throws IOException {
        this(0);
    }

    IngestServer(int port) throws IOException {
        server = listen(port);
        this.port = server.getAddress().getPort();
    }

    private HttpServer listen(int port) throws IOException {
        HttpServer listening = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        listening.setExecutor(Executors.newFixedThreadPool(8));
        listening.createContext("/", this::handle);
        listening.start();
        return listening;
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    /** The outage begins: connections are refused. What was received is kept. */
    synchronized void stop() {
        if (server != null) {
            close(server);
            server = null;
        }
    }

    /** The outage ends: listening again on the same port (retrying while the port is released, at most 10 s). */
    synchronized void restart() throws IOException, InterruptedException {
        if (server != null) {
            return;
        }
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            try {
                server = listen(port);
                return;
            } catch (java.net.BindException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    /** "100 gzip", ...: the record count and Content-Encoding of each accepted upload. */
    List<String> uploads() {
        return new ArrayList<>(uploads);
    }

    List<Received> records() {
        return new ArrayList<>(records);
    }

    List<Received> records(Predicate<Received> filter) {
        List<Received> matching = new ArrayList<>();
        for (Received r : records) {
            if (filter.test(r)) {
                matching.add(r);
            }
        }
        return matching;
    }

    /** "GET /", "POST /log 503", ...: every request with the status it got. */
    List<String> requests() {
        return new ArrayList<>(requests);
    }

    /** Waits (bounded) until at least {@code count} records were accepted. */
    boolean awaitRecords(int count, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (records.size() < count) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            int status;
            int delay = delayMillis.get();
            if (delay > 0 && method.equals("POST")) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (method.equals("GET") && path.equals("/")) {
                status = healthStatus.get();
            } else if (method.equals("POST") && (path.equals("/log") || path.equals("/upload"))) {
                status = logStatus.get();
                if (status / 100 == 2) {
                    String key = exchange.getRequestHeaders().getFirst("x-datanadhi-api-key");
                    String agent = exchange.getRequestHeaders().getFirst("User-Agent");
                    if (path.equals("/log")) {
                        records.add(new Received(path, key, agent, JSON.readTree(body)));
                    } else {
                        String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
                        int count = 0;
                        for (String line : ("gzip".equals(encoding) ? gunzip(body)
                                : new String(body, StandardCharsets.UTF_8)).split("\n")) {
                            if (!line.isBlank()) {
                                records.add(new Received(path, key, agent, JSON.readTree(line)));
                                count++;
                            }
                        }
                        uploads.add(count + " " + encoding);
                    }
                }
            } else {
                status = 404;
            }
            requests.add(method + " " + path + " " + status);
            byte[] reply = ("{\"status\":" + status + "}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, reply.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply);
            }
        } finally {
            exchange.close();
        }
    }

    private static String gunzip(byte[] body) throws IOException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        stop();
    }

    private static void close(HttpServer server) {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
