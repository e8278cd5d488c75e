package io.datanadhi.agent.delivery;

import io.datanadhi.http.ConnectionPool;
import io.datanadhi.http.Endpoint;
import io.datanadhi.http.HttpTransport;
import io.datanadhi.http.Request;
import io.datanadhi.http.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The Data Nadhi server: {@code POST {host}/log} per record, many in flight, one per keep-alive
 * connection ({@link ConnectionPool}); {@code GET {host}/} for health. Answers complete on the
 * HTTP client's event loop.
 */
final class PrimaryServer {

    private final LazyPool pool;
    private final String[] headers;
    private final ConnectionProblems problems;

    PrimaryServer(CompletableFuture<HttpTransport> transport, Endpoint endpoint, int maxInFlight, String apiKeyHeader,
            String apiKey) {
        // One more connection than the window: the health check never waits behind records.
        this.pool = new LazyPool(transport, endpoint, maxInFlight + 1);
        this.headers = new String[] {"Content-Type", "application/json", apiKeyHeader, apiKey};
        this.problems = new ConnectionProblems(endpoint.target().toString(), "server.tls");
    }

    String host() {
        return pool.endpoint().target().toString();
    }

    /** Opens a connection ahead of the first record (on the calling thread: the client may still be starting). */
    void preconnect() {
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
        for (CompletableFuture<Response> response : pool.send(requests)) {
            results.add(response.handle((answer, error) -> {
                problems.seen(error);
                return error != null ? SendResult.ofError(error) : SendResult.ofStatus(answer.status, answer.body);
            }));
        }
        return results;
    }

    /** True when {@code GET /} answers 2xx within the health timeout. */
    CompletableFuture<Boolean> healthy() {
        return pool.healthy(problems);
    }

    int inFlight() {
        ConnectionPool made = pool.ifMade();
        return made == null ? 0 : made.inFlight();
    }

    double roundTripMillis() {
        ConnectionPool made = pool.ifMade();
        return made == null ? 0 : made.roundTripMillis();
    }

    void close() {
        pool.close();
    }
}
