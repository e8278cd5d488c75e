package io.datanadhi.agent.delivery;

import io.datanadhi.agent.record.CapturedRecord;
import io.datanadhi.agent.record.RecordWriter;
import io.datanadhi.http.Endpoint;
import io.datanadhi.http.Request;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPOutputStream;

/**
 * The fallback server: {@code POST {fallback_host}/upload} with gzip-compressed JSON Lines, one
 * {@code {"pipelines","log_data"}} per line, at most {@link #MAX_BATCH} per request, each with a
 * deadline of {@link #SEND_TIMEOUT} for the whole exchange; {@code GET {fallback_host}/} for
 * health. Same status classes as the primary.
 */
final class FallbackServer {

    static final int MAX_BATCH = 100;
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
    /** The workers and the drain worker, one request each at most. */
    private static final int CONNECTIONS = 4;

    private final LazyPool pool;
    private final String[] headers;
    private final ConnectionProblems problems;

    FallbackServer(OnDemandTransport transport, Endpoint endpoint, String apiKeyHeader, String apiKey) {
        this.pool = new LazyPool(transport, endpoint, CONNECTIONS);
        this.headers = new String[] {"Content-Type", "application/x-ndjson", "Content-Encoding", "gzip", apiKeyHeader, apiKey};
        this.problems = new ConnectionProblems(endpoint.target().toString(), "server.fallback_tls");
    }

    String host() {
        return pool.endpoint().target().toString();
    }

    /** Sends up to {@link #MAX_BATCH} records in one request. */
    CompletableFuture<SendResult> send(List<CapturedRecord> records) {
        List<byte[]> envelopes = new ArrayList<>(records.size());
        try {
            for (CapturedRecord record : records) {
                envelopes.add(RecordWriter.envelope(record));
            }
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(SendResult.ofError(e));
        }
        return sendEnvelopes(envelopes);
    }

    /** Sends up to {@link #MAX_BATCH} {@code {"pipelines","log_data"}} envelopes as they are; never fails. */
    CompletableFuture<SendResult> sendEnvelopes(List<byte[]> envelopes) {
        byte[] body;
        try {
            body = gzip(envelopes);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.completedFuture(SendResult.ofError(e));
        }
        return pool.send(Request.post("/upload", headers, body)).handle((response, error) -> {
            problems.seen(error);
            return error != null ? SendResult.ofError(error) : SendResult.ofStatus(response.status, response.body);
        });
    }

    CompletableFuture<Boolean> healthy() {
        return pool.healthy(problems);
    }

    void close() {
        pool.close();
    }

    private static byte[] gzip(List<byte[]> envelopes) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(envelopes.size() * 256);
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
            for (byte[] envelope : envelopes) {
                gzip.write(envelope);
                gzip.write('\n');
            }
        }
        return bytes.toByteArray();
    }
}
