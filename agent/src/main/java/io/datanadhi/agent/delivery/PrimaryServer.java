package io.datanadhi.agent.delivery;

import io.datanadhi.agent.record.CapturedRecord;
import io.datanadhi.agent.record.RecordWriter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** The Data Nadhi server: {@code POST {host}/log} per record, {@code GET {host}/} for health. */
final class PrimaryServer {

    static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);
    static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);

    private final HttpClients http;
    private final URI logUri;
    private final URI healthUri;
    private final String apiKeyHeader;
    private final String apiKey;

    PrimaryServer(HttpClients http, String host, String apiKeyHeader, String apiKey) {
        this.http = http;
        this.logUri = URI.create(host + "/log");
        this.healthUri = URI.create(host + "/");
        this.apiKeyHeader = apiKeyHeader;
        this.apiKey = apiKey;
    }

    String host() {
        return healthUri.toString();
    }

    CompletableFuture<SendResult> send(CapturedRecord record) {
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(logUri)
                    .timeout(SEND_TIMEOUT)
                    .header("Content-Type", "application/json")
                    .header(apiKeyHeader, apiKey)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(RecordWriter.envelope(record)))
                    .build();
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(SendResult.ofError(e));
        }
        return http.client().sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .handle((response, error) -> error != null
                        ? SendResult.ofError(error)
                        : SendResult.ofStatus(response.statusCode(), response.body()));
    }

    /** True when {@code GET /} answers 2xx within the health timeout. */
    CompletableFuture<Boolean> healthy() {
        HttpRequest request = HttpRequest.newBuilder(healthUri).timeout(HEALTH_TIMEOUT).GET().build();
        return http.client().sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .handle((response, error) -> error == null && response.statusCode() / 100 == 2);
    }
}
