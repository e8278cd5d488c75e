package io.datanadhi.http;

import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import io.grpc.netty.shaded.io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many requests in flight to one server, one per keep-alive connection: no pipelining, so any
 * server, however it handles a connection, answers them side by side. A request goes to the
 * connection that finished last (so that connections beyond what the load needs fall idle and
 * are closed), or to a new one while there are fewer than {@code maxConnections}, else it waits
 * for one. New connections open at most {@link #MAX_CONNECTING} at a time, and more only while
 * requests wait: a burst (the records an application logged before the agent was ready) grows
 * the pool to what the server's distance needs rather than opening the whole window at once, a
 * TLS handshake each. A request whose reused connection turns out closed by the server before it
 * answered is sent once more on a fresh connection. Responses complete on the pool's event loop:
 * callers must not block in their callbacks.
 */
public final class ConnectionPool implements AutoCloseable {

    /** A connection idle this long is closed; servers and load balancers close theirs after 60 s or more. */
    static final long IDLE_CLOSE_NANOS = TimeUnit.SECONDS.toNanos(20);
    /** Connections being opened at once (connect, proxy tunnel, TLS handshake). */
    static final int MAX_CONNECTING = 8;
    /** Idle connections are looked at every 5 s; with nothing in flight, that is the only look. */
    private static final long IDLE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final HttpTransport transport;
    private final Endpoint endpoint;
    private final int maxConnections;
    private final EventLoop loop;
    private final Set<Connection> connections = new HashSet<>();
    /** Idle connections, the most recently used first. */
    private final ArrayDeque<Connection> idle = new ArrayDeque<>();
    private final ArrayDeque<Exchange> waiting = new ArrayDeque<>();
    /** Requests sent again after an unanswered failure: they wait for a new connection, not for a free one. */
    private final ArrayDeque<Exchange> waitingForNew = new ArrayDeque<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final Connection.Listener listener = new Connection.Listener() {
        @Override
        public void idle(Connection connection) {
            released(connection);
        }

        @Override
        public void ready(Connection connection) {
            connecting--;
            grow();
        }

        @Override
        public void closed(Connection connection) {
            connections.remove(connection);
            idle.remove(connection);
            open.set(connections.size());
            if (!connection.isReady()) {
                connecting--;
            }
            grow();
        }

        @Override
        public void failed(Exchange exchange, HttpFailure failure) {
            if (failure.unanswered() && exchange.attempts < 2 && !closed) {
                // The server closed an idle connection as we used it: once more, on a new one. Not on
                // another idle one: a server past its idle limit closes many at once.
                dispatchFresh(exchange);
            } else {
                exchange.fail(failure);
            }
        }

        @Override
        public void answered(Response response) {
            double millis = response.roundTripNanos / 1e6;
            roundTripMillis = roundTripMillis == 0 ? millis : roundTripMillis * 0.95 + millis * 0.05;
        }
    };
    private volatile double roundTripMillis;
    /** The next sweep; every 100 ms while requests are in flight or wait, every 5 s when quiet. */
    private ScheduledFuture<?> idleCheck;
    private boolean quiet;
    private long lastIdleCheckNanos = System.nanoTime();
    /** Connections opened and not yet ready. */
    private int connecting;
    private boolean closed;

    public ConnectionPool(HttpTransport transport, Endpoint endpoint, int maxConnections) {
        this.transport = transport;
        this.endpoint = endpoint;
        this.maxConnections = Math.max(1, maxConnections);
        this.loop = transport.nextLoop();
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /** Sends a request; the future completes with its response or an {@link HttpFailure}, never blocks. */
    public CompletableFuture<Response> send(Request request) {
        return send(List.of(request)).get(0);
    }

    /**
     * Sends requests side by side, handed to the event loop in one task (one wake-up for many);
     * the futures, in the same order, complete with their responses or {@link HttpFailure}s.
     */
    public List<CompletableFuture<Response>> send(List<Request> requests) {
        List<Exchange> exchanges = new ArrayList<>(requests.size());
        List<CompletableFuture<Response>> results = new ArrayList<>(requests.size());
        for (Request request : requests) {
            inFlight.incrementAndGet();
            Exchange exchange = new Exchange(request, endpoint.timeoutNanos, inFlight::decrementAndGet);
            exchanges.add(exchange);
            results.add(exchange.result);
        }
        Runnable dispatchAll = () -> {
            for (Exchange exchange : exchanges) {
                dispatch(exchange);
            }
        };
        try {
            if (loop.inEventLoop()) {
                dispatchAll.run();
            } else {
                loop.execute(dispatchAll);
            }
        } catch (RejectedExecutionException stopped) {
            for (Exchange exchange : exchanges) {
                exchange.fail(new HttpFailure(HttpFailure.Kind.ABORTED, "the HTTP client is closed", stopped));
            }
        }
        return results;
    }

    /**
     * Opens one connection ahead of the first request (name lookup, proxy tunnel and TLS handshake
     * included), so that the first request does not wait for them. Never blocks.
     */
    public void preconnect() {
        try {
            loop.execute(() -> {
                if (!closed && connections.isEmpty()) {
                    openConnection();
                }
            });
        } catch (RejectedExecutionException stopped) {
            // closed: nothing to open
        }
    }

    /** Requests sent and not yet answered or failed. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Connections open or opening. */
    public int connections() {
        return open.get();
    }

    /** A moving average of the round trip of recent requests, in milliseconds; 0 before the first. */
    public double roundTripMillis() {
        return roundTripMillis;
    }

    private void dispatch(Exchange exchange) {
        if (closed) {
            exchange.fail(new HttpFailure(HttpFailure.Kind.ABORTED, "the HTTP client is closed", null));
            return;
        }
        startIdleCheck();
        Connection connection = idle.poll();
        while (connection != null && !connection.usable()) {
            connection = idle.poll();
        }
        if (connection == null) {
            if (connections.size() >= maxConnections || connecting >= MAX_CONNECTING) {
                wait(exchange);
                return;
            }
            connection = openConnection();
        }
        connection.add(exchange);
    }

    /**
     * On a new connection, opened now if there is room, else when a connection closes or finishes
     * opening: the failed one makes room as it closes, right after its failures are handed out.
     */
    private void dispatchFresh(Exchange exchange) {
        if (connections.size() < maxConnections && connecting < MAX_CONNECTING) {
            openConnection().add(exchange);
            return;
        }
        exchange.waitingSinceNanos = System.nanoTime();
        waitingForNew.add(exchange);
    }

    private Connection openConnection() {
        Connection connection = new Connection(transport, endpoint, loop, listener);
        connections.add(connection);
        open.set(connections.size());
        connecting++;
        connection.open();
        startIdleCheck();
        return connection;
    }

    /** Requests wait: open more connections for them, as many as may be opening at once. */
    private void grow() {
        while (!closed && (!waitingForNew.isEmpty() || !waiting.isEmpty()) && connections.size() < maxConnections
                && connecting < MAX_CONNECTING) {
            Exchange next = waitingForNew.poll();
            openConnection().add(next != null ? next : waiting.poll());
        }
    }

    /** Every connection is busy: the request waits for one, within its deadline (see {@link #sweep}). */
    private void wait(Exchange exchange) {
        exchange.waitingSinceNanos = System.nanoTime();
        waiting.add(exchange);
    }

    private void released(Connection connection) {
        Exchange next = waiting.poll();
        if (next != null) {
            connection.add(next);
        } else {
            idle.push(connection);
        }
    }

    /** On the loop, as work arrives: deadlines are looked at every 100 ms from now on. */
    private void startIdleCheck() {
        if (idleCheck == null || quiet) {
            nextSweep(TimeUnit.MILLISECONDS.toNanos(Connection.DEADLINE_CHECK_MILLIS), false);
        }
    }

    private void nextSweep(long delayNanos, boolean quietly) {
        if (idleCheck != null) {
            idleCheck.cancel(false);
        }
        quiet = quietly;
        idleCheck = closed ? null : loop.schedule(this::sweep, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Deadlines of the requests on connections and of those waiting for one; now and then, idle connections. */
    private void sweep() {
        try {
            sweepNow();
        } finally {
            // An idle application's agent wakes its event loop every 5 s, not ten times a second.
            boolean busy = inFlight.get() > 0 || !waiting.isEmpty() || !waitingForNew.isEmpty() || connecting > 0;
            nextSweep(busy ? TimeUnit.MILLISECONDS.toNanos(Connection.DEADLINE_CHECK_MILLIS) : IDLE_CHECK_NANOS, !busy);
        }
    }

    private void sweepNow() {
        long now = System.nanoTime();
        for (Connection connection : new ArrayList<>(connections)) {
            connection.checkDeadline(now);
        }
        failWaitedTooLong(waiting, now, " came free within ");
        failWaitedTooLong(waitingForNew, now, " could be opened for a second try within ");
        if (now - lastIdleCheckNanos >= IDLE_CHECK_NANOS) {
            lastIdleCheckNanos = now;
            closeIdle(now);
        }
    }

    private void failWaitedTooLong(ArrayDeque<Exchange> queue, long now, String what) {
        if (queue.isEmpty()) {
            return;
        }
        for (Exchange exchange : new ArrayList<>(queue)) {
            if (now - exchange.waitingSinceNanos >= exchange.timeoutNanos && queue.remove(exchange)) {
                exchange.fail(new HttpFailure(HttpFailure.Kind.TIMEOUT, "no connection to " + endpoint.target
                        + what + TimeUnit.NANOSECONDS.toMillis(exchange.timeoutNanos) + " ms ("
                        + maxConnections + " in use)", null));
            }
        }
    }

    private void closeIdle(long now) {
        List<Connection> stale = new ArrayList<>();
        for (Connection connection : idle) {
            if (now - connection.idleSinceNanos() > IDLE_CLOSE_NANOS) {
                stale.add(connection);
            }
        }
        for (Connection connection : stale) {
            connection.close(new HttpFailure(HttpFailure.Kind.ABORTED, "closed after being idle", null));
        }
    }

    /** Closes every connection; what is in flight fails as {@link HttpFailure.Kind#ABORTED}. Waits at most 1 s. */
    @Override
    public void close() {
        CountDownLatch done = new CountDownLatch(1);
        Runnable closing = () -> {
            try {
                closed = true;
                if (idleCheck != null) {
                    idleCheck.cancel(false);
                }
                HttpFailure aborted = new HttpFailure(HttpFailure.Kind.ABORTED, "the HTTP client was closed", null);
                while (!waiting.isEmpty()) {
                    waiting.poll().fail(aborted);
                }
                while (!waitingForNew.isEmpty()) {
                    waitingForNew.poll().fail(aborted);
                }
                for (Connection connection : new ArrayList<>(connections)) {
                    connection.close(aborted);
                }
            } finally {
                done.countDown();
            }
        };
        try {
            if (loop.inEventLoop()) {
                closing.run();
            } else {
                loop.execute(closing);
            }
            done.await(1, TimeUnit.SECONDS);
        } catch (RejectedExecutionException alreadyStopped) {
            // the transport is down: nothing is open
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
