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
 * status the test sets ({@link #logStatus}, {@link #healthStatus}).
 */
final class IngestServer implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /** One received record: the request's headers and its {@code pipelines}/{@code log_data}. */
    static final class Received {
        final String path;
        final String apiKey;
        final JsonNode body;

        Received(String path, String apiKey, JsonNode body) {
            this.path = path;
            this.apiKey = apiKey;
            this.body = body;
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
            return path + " " + body;
        }
    }

    private final HttpServer server;
    private final List<Received> records = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger logStatus = new AtomicInteger(200);
    final AtomicInteger healthStatus = new AtomicInteger(200);

    IngestServer() throws IOException {
        this(0);
    }

    IngestServer(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    int port() {
        return server.getAddress().getPort();
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
            if (method.equals("GET") && path.equals("/")) {
                status = healthStatus.get();
            } else if (method.equals("POST") && (path.equals("/log") || path.equals("/upload"))) {
                status = logStatus.get();
                if (status / 100 == 2) {
                    String key = exchange.getRequestHeaders().getFirst("x-datanadhi-api-key");
                    if (path.equals("/log")) {
                        records.add(new Received(path, key, JSON.readTree(body)));
                    } else {
                        for (String line : gunzip(body).split("\n")) {
                            if (!line.isBlank()) {
                                records.add(new Received(path, key, JSON.readTree(line)));
                            }
                        }
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
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
