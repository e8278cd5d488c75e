package io.datanadhi.agent.delivery;

import io.datanadhi.agent.record.CapturedRecord;
import io.datanadhi.agent.record.RecordWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPOutputStream;

/**
 * The fallback server: {@code POST {fallback_host}/upload} with gzip-compressed JSON Lines, one
 * {@code {"pipelines","log_data"}} per line, at most {@link #MAX_BATCH} per request;
 * {@code GET {fallback_host}/} for health. Same status classes as the primary.
 */
final class FallbackServer {

    static final int MAX_BATCH = 100;
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);

    private final HttpClients http;
    private final URI uploadUri;
    private final URI healthUri;
    private final String host;
    private final String apiKeyHeader;
    private final String apiKey;

    FallbackServer(HttpClients http, String host, String apiKeyHeader, String apiKey) {
        this.http = http;
        this.host = host;
        this.uploadUri = URI.create(host + "/upload");
        this.healthUri = URI.create(host + "/");
        this.apiKeyHeader = apiKeyHeader;
        this.apiKey = apiKey;
    }

    String host() {
        return host;
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

    /** Sends up to {@link #MAX_BATCH} {@code {"pipelines","log_data"}} envelopes as they are. */
    CompletableFuture<SendResult> sendEnvelopes(List<byte[]> envelopes) {
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(uploadUri)
                    .timeout(SEND_TIMEOUT)
                    .header("Content-Type", "application/x-ndjson")
                    .header("Content-Encoding", "gzip")
                    .header(apiKeyHeader, apiKey)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(gzip(envelopes)))
                    .build();
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.completedFuture(SendResult.ofError(e));
        }
        return http.client().sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .handle((response, error) -> error != null
                        ? SendResult.ofError(error)
                        : SendResult.ofStatus(response.statusCode(), response.body()));
    }

    CompletableFuture<Boolean> healthy() {
        HttpRequest request = HttpRequest.newBuilder(healthUri).timeout(PrimaryServer.HEALTH_TIMEOUT).GET().build();
        return http.client().sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .handle((response, error) -> error == null && response.statusCode() / 100 == 2);
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
