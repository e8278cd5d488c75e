package io.datanadhi.echopost.replay;

import io.datanadhi.http.ConnectionPool;
import io.datanadhi.http.Endpoint;
import io.datanadhi.http.HttpFailure;
import io.datanadhi.http.HttpTransport;
import io.datanadhi.http.PipelinedConnection;
import io.datanadhi.http.Request;
import io.datanadhi.http.Response;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The Data Nadhi server, as replay sees it: {@code GET <health-url>} on a connection of its own,
 * and {@code POST <health-url>/log}, one record per request, pipelined in order on one keep-alive
 * connection. Every request has a deadline for its whole exchange (the HTTP client enforces it:
 * a server that never answers, drips, or sends a body without end fails it), and every wait here
 * is bounded besides.
 */
public final class ServerClient implements AutoCloseable {

    static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);
    /** How the server (and our tests) tell a replayed record from one the agent sent. */
    public static final String USER_AGENT = "datanadhi-echopost";
    /** Beyond a request's own deadline, before a wait gives up on the HTTP client itself. */
    static final long WAIT_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** What the server did with a record, or why it did not answer. */
    public static final class Outcome {
        public enum Kind { DELIVERED, REJECTED, RETRY }

        public final Kind kind;
        /** The HTTP status; 0 when there was no response. */
        public final int status;
        /** The response's body, or what went wrong. */
        public final String detail;
        /** Null when there was a response. */
        public final HttpFailure.Kind failure;
        /** The server never started on it: safe and expected to send again at once. */
        public final boolean unanswered;

        private Outcome(Kind kind, int status, String detail, HttpFailure.Kind failure, boolean unanswered) {
            this.kind = kind;
            this.status = status;
            this.detail = detail;
            this.failure = failure;
            this.unanswered = unanswered;
        }

        /** 2xx delivered; 3xx..500 refused for good; above 500 try again later. */
        static Outcome ofStatus(int status, String body) {
            if (status >= 200 && status < 300) {
                return new Outcome(Kind.DELIVERED, status, body, null, false);
            }
            return new Outcome(status > 500 ? Kind.RETRY : Kind.REJECTED, status, body, null, false);
        }

        static Outcome of(HttpFailure failure) {
            return new Outcome(Kind.RETRY, 0, failure.getMessage(), failure.kind(), failure.unanswered());
        }

        static Outcome noAnswer(HttpFailure.Kind kind, String why) {
            return new Outcome(Kind.RETRY, 0, why, kind, false);
        }

        /** "HTTP 503" or the failure's message. */
        String describe() {
            return status > 0 ? "HTTP " + status : detail;
        }

        /** "timeout", "tls", ...; null for a response. */
        String failureName() {
            return failure == null ? null : failure.name().toLowerCase(Locale.ROOT);
        }
    }

    /** What a health check found. */
    public static final class Health {
        public final boolean healthy;
        /** "HTTP 503" or what failed; null when healthy. */
        public final String problem;
        /** Null when there was a response. */
        public final HttpFailure.Kind failure;

        Health(boolean healthy, String problem, HttpFailure.Kind failure) {
            this.healthy = healthy;
            this.problem = problem;
            this.failure = failure;
        }
    }

    private final HttpTransport transport;
    private final Endpoint endpoint;
    private final ConnectionPool health;
    private final String healthPath;
    private final String apiKeyHeader;
    private final Supplier<String> apiKey;
    /** Replaced when a wait gave up on it. Used by one replay thread at a time. */
    private volatile PipelinedConnection records;

    /** @param endpoint the server, with the deadline of a post; the health check has its own 2 s */
    public ServerClient(Endpoint endpoint, String apiKeyHeader, Supplier<String> apiKey) {
        // One event loop: one connection for records, one for health checks.
        this.transport = new HttpTransport(daemonThreads(), 1);
        this.endpoint = endpoint;
        this.health = new ConnectionPool(transport, endpoint.withTimeout(HEALTH_TIMEOUT), 1);
        // GET <health-url> as given: its path, or "/" for a bare host.
        this.healthPath = endpoint.target().path("").isEmpty() ? "/" : "";
        this.apiKeyHeader = apiKeyHeader;
        this.apiKey = apiKey;
        this.records = new PipelinedConnection(transport, endpoint);
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    long postTimeoutNanos() {
        return endpoint.timeout().toNanos();
    }

    public Health checkHealth() {
        CompletableFuture<Response> check = health.send(Request.get(healthPath));
        try {
            Response response = check.get(HEALTH_TIMEOUT.toNanos() + WAIT_MARGIN_NANOS, TimeUnit.NANOSECONDS);
            boolean healthy = response.status / 100 == 2;
            return new Health(healthy, healthy ? null : "HTTP " + response.status, null);
        } catch (ExecutionException e) {
            HttpFailure failure = HttpFailure.of(e);
            return new Health(false, failure.getMessage(), failure.kind());
        } catch (TimeoutException e) {
            // The client ends it by its own deadline; this wait is only bounded besides.
            return new Health(false, "no answer from " + endpoint.target() + " within "
                    + HEALTH_TIMEOUT.toMillis() + " ms", HttpFailure.Kind.TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Health(false, "interrupted", HttpFailure.Kind.ABORTED);
        }
    }

    /** Queues one record behind those sent before it; never blocks. */
    CompletableFuture<Response> post(byte[] body) {
        String key = apiKey.get();
        String[] headers = key == null
                ? new String[] {"Content-Type", "application/json"}
                : new String[] {"Content-Type", "application/json", apiKeyHeader, key};
        return records.send(Request.post("/log", headers, body));
    }

    /**
     * Waits for a post's outcome until {@code untilNanos} (a {@link System#nanoTime} value) at most;
     * null when that time passed first.
     */
    Outcome awaitUntil(CompletableFuture<Response> response, long untilNanos) {
        try {
            Response answer = response.get(Math.max(0, untilNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            return Outcome.ofStatus(answer.status, answer.body);
        } catch (ExecutionException e) {
            return Outcome.of(HttpFailure.of(e));
        } catch (TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.noAnswer(HttpFailure.Kind.ABORTED, "interrupted");
        }
    }

    /**
     * Gives up on the records' connection and what is in flight on it (each fails as aborted);
     * the next post opens a new one.
     */
    void abandonConnection() {
        PipelinedConnection old = records;
        records = new PipelinedConnection(transport, endpoint);
        old.close();
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, "echopost-http-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void close() {
        records.close();
        health.close();
        transport.close(1000);
    }
}
