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
 * HTTP client's event loop. While the server is near, the records a blocking connection carries
 * go there instead, one at a time on the worker ({@link NearServerSender}); their answers are
 * complete when {@link #send} returns.
 */
final class PrimaryServer {

    private final LazyPool pool;
    private final String[] headers;
    private final ConnectionProblems problems;
    private final ToResult toResult;
    /** Null behind a proxy: the blocking connections go direct. */
    private final NearServerSender near;

    PrimaryServer(OnDemandTransport transport, Endpoint endpoint, int maxInFlight, String apiKeyHeader, String apiKey) {
        // One more connection than the window: the health check never waits behind records.
        this.pool = new LazyPool(transport, endpoint, maxInFlight + 1);
        this.headers = new String[] {"Content-Type", "application/json", apiKeyHeader, apiKey};
        this.problems = new ConnectionProblems(endpoint.target().toString(), "server.tls");
        this.toResult = new ToResult(problems);
        this.near = BlockingConnection.supports(endpoint)
                ? new NearServerSender(endpoint, transport, problems, new Runnable() {
                    @Override
                    public void run() {
                        preconnectPool(); // the full client is ready: a connection opened ahead of its first records
                    }
                }) : null;
    }

    /** False when the records need the full client from the first one (a proxy): start it ahead. */
    boolean sendsFirstRecordsAlone() {
        return near != null;
    }

    String host() {
        return pool.endpoint().target().toString();
    }

    /** Opens a connection ahead of the first record (on the calling thread: the client may still be starting). */
    void preconnect() {
        if (near != null) {
            near.open();
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
    List<CompletableFuture<SendResult>> send(List<byte[]> envelopes, boolean backlog) {
        List<Request> requests = new ArrayList<>(envelopes.size());
        for (byte[] envelope : envelopes) {
            requests.add(Request.post("/log", headers, envelope));
        }
        ToPool others = new ToPool();
        List<SendResult> sent = near == null ? null : near.trySend(requests, backlog, clientRoundTripMillis(), others);
        if (sent == null) {
            others.send(requests);
            return others.futures;
        }
        List<CompletableFuture<SendResult>> results = new ArrayList<>(requests.size());
        for (SendResult result : sent) {
            results.add(CompletableFuture.completedFuture(result));
        }
        results.addAll(others.futures);
        return results;
    }

    /** The records the blocking connections do not carry: side by side on the full client. */
    private final class ToPool implements NearServerSender.Others {
        final List<CompletableFuture<SendResult>> futures = new ArrayList<>();

        @Override
        public void send(List<Request> requests) {
            for (CompletableFuture<Response> response : pool.send(requests)) {
                futures.add(response.handle(toResult));
            }
        }
    }

    private double clientRoundTripMillis() {
        ConnectionPool made = pool.ifMade();
        return made == null ? 0 : made.roundTripMillis();
    }

    /** True when {@code GET /} answers 2xx within the health timeout. */
    CompletableFuture<Boolean> healthy() {
        return pool.healthy(problems);
    }

    /** The blocking connections judged the server far at least once. */
    boolean judgedFar() {
        return near != null && near.judgedFar();
    }

    int inFlight() {
        ConnectionPool made = pool.ifMade();
        return (made == null ? 0 : made.inFlight()) + (near == null ? 0 : near.inFlight());
    }

    double roundTripMillis() {
        ConnectionPool made = pool.ifMade();
        // The path that answered lately: the blocking connections', else the window's.
        double here = near == null ? 0 : near.recentRoundTripMillis();
        return here > 0 || made == null ? here : made.roundTripMillis();
    }

    void close() {
        if (near != null) {
            near.close();
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
