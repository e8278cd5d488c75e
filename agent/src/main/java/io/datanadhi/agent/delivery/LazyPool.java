package io.datanadhi.agent.delivery;

import io.datanadhi.http.ConnectionPool;
import io.datanadhi.http.Endpoint;
import io.datanadhi.http.HttpTransport;
import io.datanadhi.http.Request;
import io.datanadhi.http.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A server's connection pool, made the first time it is needed, once the HTTP client's threads
 * exist (started then, if nothing started them before). Until then it is "not made": nothing in
 * flight, no round trip.
 */
final class LazyPool {

    /** How long a server has to answer its health check, {@code GET /}. */
    static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);

    /** How long the first request may wait for the client's threads: a cold JVM on a busy machine. */
    private static final long START_WAIT_SECONDS = 60;

    private final OnDemandTransport transport;
    private final Endpoint endpoint;
    private final int maxConnections;
    private volatile ConnectionPool pool;
    private boolean closed;

    LazyPool(OnDemandTransport transport, Endpoint endpoint, int maxConnections) {
        this.transport = transport;
        this.endpoint = endpoint;
        this.maxConnections = maxConnections;
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /**
     * The pool, made now if it is not yet; throws when the client could not be started. The wait
     * for the client's start holds no lock: a thread that needs the pool meanwhile (a health check,
     * the take-over once the client is ready) waits for the start, not for another waiter.
     */
    ConnectionPool get() {
        ConnectionPool current = pool;
        if (current != null) {
            return current;
        }
        HttpTransport client;
        try {
            client = transport.get().get(START_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the HTTP client started", e);
        } catch (Exception e) {
            throw new IllegalStateException("the HTTP client could not be started: " + e, e);
        }
        synchronized (this) {
            if (pool == null) {
                if (closed) {
                    throw new IllegalStateException("delivery has stopped");
                }
                pool = new ConnectionPool(client, endpoint, maxConnections);
            }
            return pool;
        }
    }

    /** One request; a pool that cannot be made fails the answer instead of throwing. */
    CompletableFuture<Response> send(Request request) {
        return send(List.of(request)).get(0);
    }

    /** Requests side by side, handed to the client together; a pool that cannot be made fails them all. */
    List<CompletableFuture<Response>> send(List<Request> requests) {
        try {
            return get().send(requests);
        } catch (RuntimeException e) {
            List<CompletableFuture<Response>> failed = new ArrayList<>(requests.size());
            for (int i = 0; i < requests.size(); i++) {
                failed.add(CompletableFuture.failedFuture(e));
            }
            return failed;
        }
    }

    /** True when {@code GET /} answers 2xx within {@link #HEALTH_TIMEOUT}; what failed goes to {@code problems}. */
    CompletableFuture<Boolean> healthy(ConnectionProblems problems) {
        return send(Request.get("/").timeoutMillis(HEALTH_TIMEOUT.toMillis())).handle((response, error) -> {
            problems.seen(error);
            return error == null && response.status / 100 == 2;
        });
    }

    /** The pool if it is made, else null: for gauges, which must not start anything. */
    ConnectionPool ifMade() {
        return pool;
    }

    synchronized void close() {
        closed = true;
        if (pool != null) {
            pool.close();
        }
    }
}
