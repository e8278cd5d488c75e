package io.datanadhi.agent.delivery;

import io.datanadhi.http.Endpoint;
import io.datanadhi.http.HttpTransport;
import io.datanadhi.http.PipelinedConnection;
import io.datanadhi.http.Request;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends envelopes read back from {@code dropped/*.jsonl} ({@code replay-dropped}) as the agent
 * sends records, with its TLS stores and proxy: to the primary one {@code POST /log} per record,
 * pipelined in file order on one keep-alive connection with up to {@link #window()} requests
 * outstanding, so that a distant server costs one round trip per window and not per record; or
 * to the fallback as gzip JSON Lines, {@link FallbackServer#MAX_BATCH} per {@code POST /upload},
 * one request at a time. Same headers and deadlines as the agent's.
 */
public final class ReplaySender implements AutoCloseable {

    private final HttpTransport transport = HttpClients.transport();
    private final PipelinedConnection primary;
    private final String[] headers;
    private final String primaryHost;
    private final int window;
    private final FallbackServer fallback;
    private final long timeoutMillis;

    private ReplaySender(Endpoint primaryEndpoint, Endpoint fallbackEndpoint, String apiKeyHeader, String apiKey,
            int window) {
        this.primary = primaryEndpoint == null ? null : new PipelinedConnection(transport, primaryEndpoint);
        this.primaryHost = primaryEndpoint == null ? null : primaryEndpoint.target().toString();
        this.headers = new String[] {"Content-Type", "application/json", apiKeyHeader, apiKey};
        this.window = primaryEndpoint == null ? 1 : Math.max(1, window);
        this.fallback = fallbackEndpoint == null ? null
                : new FallbackServer(new OnDemandTransport(java.util.concurrent.CompletableFuture.completedFuture(transport)), fallbackEndpoint,
                        apiKeyHeader, apiKey);
        this.timeoutMillis = (primaryEndpoint != null ? primaryEndpoint : fallbackEndpoint).timeout().toMillis();
    }

    /** @param window requests pipelined at once ({@code async.max_in_flight}) */
    public static ReplaySender toPrimary(Servers servers, String apiKeyHeader, String apiKey, int window) {
        return new ReplaySender(servers.primary(), null, apiKeyHeader, apiKey, window);
    }

    public static ReplaySender toFallback(Servers servers, String apiKeyHeader, String apiKey) {
        return new ReplaySender(null, servers.fallback(), apiKeyHeader, apiKey, 1);
    }

    /** Where records go: {@code http://host:port/log} or {@code .../upload}. */
    public String target() {
        return primary != null ? primaryHost + "/log" : fallback.host() + "/upload";
    }

    /** Envelopes per {@link #send}: 1 to the primary, up to 100 to the fallback. */
    public int batchSize() {
        return primary != null ? 1 : FallbackServer.MAX_BATCH;
    }

    /** Sends that may be outstanding at once: the pipeline's window to the primary, 1 to the fallback. */
    public int window() {
        return window;
    }

    /**
     * Sends at most {@link #batchSize()} envelopes behind those sent before; the future never
     * fails, and futures complete in the order of the calls. The agent's status classes, but for
     * 408 and 429, which come back as {@link SendResult.Kind#RETRY}: the agent files them under
     * {@code primary_failed}, but sent again they would only be refused again while the server
     * asks for patience.
     */
    public CompletableFuture<SendResult> sendAsync(List<byte[]> envelopes) {
        if (envelopes.size() > batchSize()) {
            throw new IllegalArgumentException(envelopes.size() + " envelopes, at most " + batchSize());
        }
        CompletableFuture<SendResult> result = primary != null
                ? primary.send(Request.post("/log", headers, envelopes.get(0))).handle((response, error) -> error != null
                        ? SendResult.ofError(error) : SendResult.ofStatus(response.status, response.body))
                : fallback.sendEnvelopes(envelopes);
        return result.thenApply(ReplaySender::busyIsRetry);
    }

    /** {@link #sendAsync}, waited for (the request's own deadline bounds it). */
    public SendResult send(List<byte[]> envelopes) {
        return await(sendAsync(envelopes));
    }

    /** The outcome of a {@link #sendAsync}; bounded by the request's deadline and a margin. */
    public SendResult await(CompletableFuture<SendResult> result) {
        try {
            return result.get(timeoutMillis * window + 5000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return SendResult.ofError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return SendResult.ofError(e);
        }
    }

    private static SendResult busyIsRetry(SendResult result) {
        boolean busy = result.kind == SendResult.Kind.REJECTED && (result.status == 408 || result.status == 429);
        return busy ? new SendResult(SendResult.Kind.RETRY, result.status, result.detail) : result;
    }

    @Override
    public void close() {
        if (primary != null) {
            primary.close();
        }
        if (fallback != null) {
            fallback.close();
        }
        transport.close();
    }
}
