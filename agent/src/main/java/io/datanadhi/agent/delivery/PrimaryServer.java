package io.datanadhi.agent.delivery;

import io.datanadhi.http.BlockingConnection;
import io.datanadhi.http.ConnectionPool;
import io.datanadhi.http.Endpoint;
import io.datanadhi.http.Request;
import io.datanadhi.http.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

/**
 * The Data Nadhi server: {@code POST {host}/log} per record, many in flight, one per keep-alive
 * connection ({@link ConnectionPool}); {@code GET {host}/} for health. Answers complete on the
 * HTTP client's event loop. The first records go one at a time on a blocking connection
 * ({@link FirstRecordsSender}) while the pool's client is not needed or not ready; their answers
 * are complete when {@link #send} returns.
 */
final class PrimaryServer {

    private final LazyPool pool;
    private final String[] headers;
    private final ConnectionProblems problems;
    private final ToResult toResult;
    /** Null behind a proxy: the blocking connection goes direct. */
    private final FirstRecordsSender first;

    PrimaryServer(OnDemandTransport transport, Endpoint endpoint, int maxInFlight, String apiKeyHeader, String apiKey) {
        // One more connection than the window: the health check never waits behind records.
        this.pool = new LazyPool(transport, endpoint, maxInFlight + 1);
        this.headers = new String[] {"Content-Type", "application/json", apiKeyHeader, apiKey};
        this.problems = new ConnectionProblems(endpoint.target().toString(), "server.tls");
        this.toResult = new ToResult(problems);
        this.first = BlockingConnection.supports(endpoint)
                ? new FirstRecordsSender(endpoint, transport, problems, new Runnable() {
                    @Override
                    public void run() {
                        takeOver();
                    }
                }) : null;
    }

    /** The full client is ready: a connection opened ahead of its first records, and the blocking ones closed. */
    private void takeOver() {
        preconnectPool();
        first.retire();
    }

    /** False when the records need the full client from the first one (a proxy): start it ahead. */
    boolean sendsFirstRecordsAlone() {
        return first != null;
    }

    String host() {
        return pool.endpoint().target().toString();
    }

    /** Opens a connection ahead of the first record (on the calling thread: the client may still be starting). */
    void preconnect() {
        if (first != null) {
            first.open();
            return;
        }
        preconnectPool();
    }

    private void preconnectPool() {
        try {
            pool.get().preconnect();
        } catch (RuntimeException e) {
            // the first record reports it
        }
    }

    /** Sends {@code {"pipelines","log_data"}} envelopes side by side, handed to the client together; the futures never fail. */
    List<CompletableFuture<SendResult>> send(List<byte[]> envelopes) {
        List<Request> requests = new ArrayList<>(envelopes.size());
        for (byte[] envelope : envelopes) {
            requests.add(Request.post("/log", headers, envelope));
        }
        List<CompletableFuture<SendResult>> results = new ArrayList<>(envelopes.size());
        List<SendResult> sent = first == null ? null : first.trySend(requests); // once retired, one volatile read
        if (sent != null) {
            for (SendResult result : sent) {
                results.add(CompletableFuture.completedFuture(result));
            }
            return results;
        }
        for (CompletableFuture<Response> response : pool.send(requests)) {
            results.add(response.handle(toResult));
        }
        return results;
    }

    /** True when {@code GET /} answers 2xx within the health timeout. */
    CompletableFuture<Boolean> healthy() {
        return pool.healthy(problems);
    }

    int inFlight() {
        ConnectionPool made = pool.ifMade();
        return made == null ? (first == null ? 0 : first.inFlight()) : made.inFlight();
    }

    double roundTripMillis() {
        ConnectionPool made = pool.ifMade();
        return made == null ? (first == null ? 0 : first.roundTripMillis()) : made.roundTripMillis();
    }

    void close() {
        if (first != null) {
            first.close();
        }
        pool.close();
    }

    /** A response, or the failure in its place, as a send result; the failure also goes to the connection problems. */
    private static final class ToResult implements BiFunction<Response, Throwable, SendResult> {
        private final ConnectionProblems problems;

        ToResult(ConnectionProblems problems) {
            this.problems = problems;
        }

        @Override
        public SendResult apply(Response answer, Throwable error) {
            problems.seen(error);
            return error != null ? SendResult.ofError(error) : SendResult.ofStatus(answer.status, answer.body);
        }
    }
}
