package io.datanadhi.agent.delivery;

import io.datanadhi.http.HttpConnection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends envelopes read back from {@code dropped/*.jsonl} ({@code replay-dropped}) exactly as the
 * agent sends records: to the primary one {@code POST /log} per record on a keep-alive
 * connection, or to the fallback as gzip JSON Lines, {@link FallbackServer#MAX_BATCH} per
 * {@code POST /upload}; same headers, same timeouts. One thread, one request at a time.
 */
public final class ReplaySender implements AutoCloseable {

    private final HttpClients http = new HttpClients(null);
    private final PrimaryServer primary;
    private final HttpConnection connection;
    private final FallbackServer fallback;

    private ReplaySender(boolean toFallback, String host, String apiKeyHeader, String apiKey) {
        // The primary's health check (the JDK client) is not used: a failed send ends the replay.
        this.primary = toFallback ? null : new PrimaryServer(http, host, apiKeyHeader, apiKey);
        this.connection = toFallback ? null : primary.connection();
        this.fallback = toFallback ? new FallbackServer(http, host, apiKeyHeader, apiKey) : null;
    }

    public static ReplaySender toPrimary(String host, String apiKeyHeader, String apiKey) {
        return new ReplaySender(false, host, apiKeyHeader, apiKey);
    }

    public static ReplaySender toFallback(String fallbackHost, String apiKeyHeader, String apiKey) {
        return new ReplaySender(true, fallbackHost, apiKeyHeader, apiKey);
    }

    /** Where records go: {@code http://host:port/log} or {@code .../upload}. */
    public String target() {
        return primary != null ? primary.host() + "log" : fallback.host() + "/upload";
    }

    /** Envelopes per {@link #send}: 1 to the primary, up to 100 to the fallback. */
    public int batchSize() {
        return primary != null ? 1 : FallbackServer.MAX_BATCH;
    }

    /**
     * Sends at most {@link #batchSize()} envelopes; never throws. The agent's status classes,
     * but for 408 and 429, which come back as {@link SendResult.Kind#RETRY}: the agent files them
     * under {@code primary_failed}, but sent again they would only be refused again while the
     * server asks for patience.
     */
    public SendResult send(List<byte[]> envelopes) {
        SendResult result = sendAll(envelopes);
        boolean busy = result.kind == SendResult.Kind.REJECTED && (result.status == 408 || result.status == 429);
        return busy ? new SendResult(SendResult.Kind.RETRY, result.status, result.detail) : result;
    }

    private SendResult sendAll(List<byte[]> envelopes) {
        if (envelopes.size() > batchSize()) {
            throw new IllegalArgumentException(envelopes.size() + " envelopes, at most " + batchSize());
        }
        if (primary != null) {
            return primary.send(connection, envelopes.get(0));
        }
        try {
            // The request has its own 30 s timeout; this bound only guards against a lost completion.
            return fallback.sendEnvelopes(envelopes).get(FallbackServer.SEND_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return SendResult.ofError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return SendResult.ofError(e);
        }
    }

    @Override
    public void close() {
        if (connection != null) {
            connection.close();
        }
        http.close();
    }
}
