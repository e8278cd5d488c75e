package io.datanadhi.agent.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;

/**
 * The dev-server's three endpoints, as the Data Nadhi server has them: {@code GET /} (health),
 * {@code POST /log} (one record as JSON) and {@code POST /upload} (gzip-compressed JSON Lines,
 * the fallback route). Each record received is printed as one line; a malformed request is a
 * 400 and one line on stderr.
 */
final class DevServerHandler implements HttpHandler {
    // Far above anything the agent sends (one record, or 100 per upload); a bound, not a quota.
    static final int MAX_BODY_BYTES = 32 * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final String apiKeyHeader;
    private final PrintStream out;
    private final PrintStream err;
    private final ZoneId zone;
    private final AtomicLong received = new AtomicLong();

    DevServerHandler(String apiKeyHeader, PrintStream out, PrintStream err, ZoneId zone) {
        this.apiKeyHeader = apiKeyHeader;
        this.out = out;
        this.err = err;
        this.zone = zone;
    }

    long received() {
        return received.get();
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try {
            route(exchange);
        } catch (BadRequest e) {
            reject(exchange, e.status, e.getMessage());
        } catch (IOException e) {
            // The client went away mid-request: nothing to answer.
            err.println("dev-server: " + describe(exchange) + ": " + e);
        } catch (RuntimeException e) {
            reject(exchange, 500, "internal error: " + e);
        } finally {
            exchange.close();
        }
    }

    private void route(HttpExchange exchange) throws IOException, BadRequest {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        switch (path) {
            case "/":
                requireMethod(exchange, "GET");
                respond(exchange, 200, "{\"status\":\"ok\"}");
                return;
            case "/log":
                requireMethod(exchange, "POST");
                JsonNode record = parseRecord(readBody(exchange), "body");
                print(List.of(record), keyPresent(exchange), false);
                respond(exchange, 200, "{\"status\":\"ok\",\"received\":1}");
                return;
            case "/upload":
                requireMethod(exchange, "POST");
                List<JsonNode> records = parseJsonLines(gunzip(readBody(exchange)));
                print(records, keyPresent(exchange), true);
                respond(exchange, 200, "{\"status\":\"ok\",\"received\":" + records.size() + "}");
                return;
            default:
                throw new BadRequest(404, "no such endpoint " + method + " " + path
                        + " (GET /, POST /log, POST /upload)");
        }
    }

    private static void requireMethod(HttpExchange exchange, String allowed) throws BadRequest {
        if (!exchange.getRequestMethod().equals(allowed)) {
            exchange.getResponseHeaders().set("Allow", allowed);
            throw new BadRequest(405, exchange.getRequestMethod() + " is not allowed on "
                    + exchange.getRequestURI().getPath() + "; use " + allowed);
        }
    }

    private boolean keyPresent(HttpExchange exchange) {
        String key = exchange.getRequestHeaders().getFirst(apiKeyHeader);
        return key != null && !key.isBlank();
    }

    private void print(List<JsonNode> records, boolean keyPresent, boolean viaFallback) {
        List<String> lines = new ArrayList<>(records.size());
        for (JsonNode record : records) {
            lines.add(ReceivedRecordLine.format(record, keyPresent, viaFallback, zone));
        }
        synchronized (out) {
            for (String line : lines) {
                out.println(line);
            }
            out.flush();
        }
        received.addAndGet(records.size());
    }

    private static byte[] readBody(HttpExchange exchange) throws IOException, BadRequest {
        try (InputStream in = exchange.getRequestBody()) {
            return readAtMost(in, "request body");
        }
    }

    private static byte[] gunzip(byte[] body) throws BadRequest {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
            return readAtMost(in, "uncompressed body");
        } catch (IOException e) {
            throw new BadRequest(400, "body is not valid gzip (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static byte[] readAtMost(InputStream in, String what) throws IOException, BadRequest {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) > 0; ) {
            if (body.size() + n > MAX_BODY_BYTES) {
                throw new BadRequest(413, what + " larger than " + (MAX_BODY_BYTES >> 20) + " MB");
            }
            body.write(buffer, 0, n);
        }
        return body.toByteArray();
    }

    private static List<JsonNode> parseJsonLines(byte[] body) throws BadRequest {
        List<JsonNode> records = new ArrayList<>();
        String[] lines = new String(body, StandardCharsets.UTF_8).split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].isBlank()) {
                records.add(parseRecord(lines[i].getBytes(StandardCharsets.UTF_8), "line " + (i + 1)));
            }
        }
        if (records.isEmpty()) {
            throw new BadRequest(400, "upload holds no records");
        }
        return records;
    }

    /** One {"pipelines": [...], "log_data": {...}}; {@code where} names it in the error. */
    private static JsonNode parseRecord(byte[] json, String where) throws BadRequest {
        JsonNode record;
        try {
            record = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            String at = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr();
            throw new BadRequest(400, where + ": malformed JSON" + at);
        } catch (IOException e) {
            throw new BadRequest(400, where + ": unreadable (" + e.getClass().getSimpleName() + ")");
        }
        if (record == null || !record.isObject()
                || !record.path("pipelines").isArray() || !record.path("log_data").isObject()) {
            throw new BadRequest(400, where + ": expected {\"pipelines\": [...], \"log_data\": {...}}");
        }
        return record;
    }

    private void reject(HttpExchange exchange, int status, String message) {
        err.println("dev-server: " + status + " " + describe(exchange) + ": " + message);
        try {
            StringBuilder body = new StringBuilder("{\"error\":");
            io.datanadhi.agent.json.JsonText.quote(body, message);
            respond(exchange, status, body.append('}').toString());
        } catch (IOException | RuntimeException e) {
            // Headers may already be sent, or the client gone; the stderr line is the record.
        }
    }

    private static String describe(HttpExchange exchange) {
        return exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()
                + " from " + exchange.getRemoteAddress().getAddress().getHostAddress();
    }

    private static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    /** A request the server refuses, with its status. */
    static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        BadRequest(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }
}
