package io.datanadhi.agent.delivery;

import io.datanadhi.agent.AgentVersion;
import io.datanadhi.agent.record.CapturedRecord;
import io.datanadhi.agent.record.RecordWriter;
import io.datanadhi.http.HttpConnection;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The Data Nadhi server: {@code POST {host}/log} per record, {@code GET {host}/} for health.
 * Records go over one keep-alive connection per worker, one request at a time (see
 * {@link HttpConnection} for why not the JDK client); the occasional health check uses the JDK
 * client.
 */
final class PrimaryServer {

    static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);
    static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);

    private final HttpClients http;
    private final URI base;
    private final String logPath;
    private final URI healthUri;
    private final String[] headers;
    private final String userAgent = "datanadhi-java-agent/" + AgentVersion.get();

    PrimaryServer(HttpClients http, String host, String apiKeyHeader, String apiKey) {
        this.http = http;
        this.base = URI.create(host + "/log");
        this.logPath = base.getRawPath();
        this.healthUri = URI.create(host + "/");
        this.headers = new String[] {"Content-Type", "application/json", apiKeyHeader, apiKey};
    }

    String host() {
        return healthUri.toString();
    }

    /** A connection for one worker; it connects on first use. */
    HttpConnection connection() {
        return new HttpConnection(base, userAgent, (int) HttpClients.CONNECT_TIMEOUT.toMillis());
    }

    /** Sends one record on the worker's connection; never throws. */
    SendResult send(HttpConnection connection, CapturedRecord record) {
        return send(connection, RecordWriter.envelope(record));
    }

    /** Sends one {@code {"pipelines","log_data"}} envelope as it is; never throws. */
    SendResult send(HttpConnection connection, byte[] envelope) {
        try {
            HttpConnection.Response response = connection.exchange("POST", logPath, headers,
                    envelope, (int) SEND_TIMEOUT.toMillis());
            return SendResult.ofStatus(response.status, response.body);
        } catch (IOException | RuntimeException e) {
            connection.close();
            return SendResult.ofError(e);
        }
    }

    /** True when {@code GET /} answers 2xx within the health timeout. */
    CompletableFuture<Boolean> healthy() {
        HttpRequest request = HttpRequest.newBuilder(healthUri).timeout(HEALTH_TIMEOUT).GET().build();
        return http.client().sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .handle((response, error) -> error == null && response.statusCode() / 100 == 2);
    }
}
