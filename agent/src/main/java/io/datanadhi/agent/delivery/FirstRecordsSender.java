package io.datanadhi.agent.delivery;

import io.datanadhi.agent.AgentThreads;
import io.datanadhi.http.BlockingConnection;
import io.datanadhi.http.Endpoint;
import io.datanadhi.http.HttpFailure;
import io.datanadhi.http.Request;
import io.datanadhi.http.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The primary's first records, on blocking keep-alive connections (one per worker at most), one
 * request at a time, on the worker that sends them, until the Netty client
 * ({@link OnDemandTransport}) is ready. A short job, or the first second of a service, ships
 * without loading the few hundred classes of the full client (about 150 ms of CPU on a cold JVM,
 * which on a busy start is wall time). As soon as these connections are not enough (more than
 * {@link #MAX_RECORDS} records at once, every connection busy) or after {@link #SPAN_MILLIS}, the
 * full client is started; once it is ready this sender retires and every request goes through it.
 * A record larger than {@link #MAX_BODY_BYTES} waits for the full client: a blocking write has no
 * deadline of its own, and a small one never waits for a server that stopped reading.
 */
final class FirstRecordsSender {

    /** More records than this at once want requests side by side: the full client's window. */
    static final int MAX_RECORDS = 4;
    /** One for each of the default workers. */
    static final int MAX_CONNECTIONS = 2;
    /** How long after delivery starts the full client is started anyway, for its window and its gauges. */
    static final long SPAN_MILLIS = 1000;
    /** A body this small fits in the sockets' buffers whether or not the server reads. */
    static final int MAX_BODY_BYTES = 16 * 1024;

    private final Endpoint endpoint;
    private final OnDemandTransport transport;
    private final ConnectionProblems problems;
    /** Run once the full client is ready (on a thread of its own): it opens a connection, this sender retires. */
    private final Runnable whenClientReady;
    private final ThreadFactory lookups = AgentThreads.factory("datanadhi-lookup");
    private final long since = System.nanoTime();
    private final AtomicBoolean clientWanted = new AtomicBoolean();
    private final ConcurrentLinkedQueue<BlockingConnection> idle = new ConcurrentLinkedQueue<>();
    private final Set<BlockingConnection> made = ConcurrentHashMap.newKeySet();
    private final AtomicInteger madeCount = new AtomicInteger();
    private final AtomicInteger busy = new AtomicInteger();
    private volatile boolean retired;
    /** The last answers' round trip, smoothed, for the server's gauge and {@code primary_slow}. */
    private volatile double roundTripMillis;

    FirstRecordsSender(Endpoint endpoint, OnDemandTransport transport, ConnectionProblems problems,
            Runnable whenClientReady) {
        this.endpoint = endpoint;
        this.transport = transport;
        this.problems = problems;
        this.whenClientReady = whenClientReady;
    }

    /**
     * Sends the requests one after the other on a free connection and waits for each answer; null
     * when they are the full client's to send (which is started then, if it is not yet).
     */
    List<SendResult> trySend(List<Request> requests) {
        if (retired) {
            return null;
        }
        if (transport.ready()) {
            retire(); // the pool's client is there (started by the records, a health check, the fallback)
            return null;
        }
        boolean tooMany = requests.size() > MAX_RECORDS || anyLarge(requests);
        if (tooMany || System.nanoTime() - since > TimeUnit.MILLISECONDS.toNanos(SPAN_MILLIS)) {
            startClient(); // until it is ready, records that fit keep coming here
            if (tooMany) {
                return null; // more than a connection's worth: they wait for the full client
            }
        }
        BlockingConnection connection = take();
        if (connection == null) {
            startClient();
            return null;
        }
        busy.incrementAndGet();
        try {
            List<SendResult> results = new ArrayList<>(requests.size());
            HttpFailure failed = null;
            for (Request request : requests) {
                if (failed != null) {
                    results.add(SendResult.ofError(failed)); // the server is down: the rest would fail the same way
                    continue;
                }
                try {
                    Response response = connection.send(request);
                    double millis = response.roundTripNanos / 1e6;
                    double before = roundTripMillis;
                    roundTripMillis = before == 0 ? millis : 0.8 * before + 0.2 * millis;
                    results.add(SendResult.ofStatus(response.status, response.body));
                } catch (HttpFailure e) {
                    problems.seen(e);
                    failed = e;
                    results.add(SendResult.ofError(e));
                } catch (RuntimeException e) {
                    failed = HttpFailure.of(e); // never out of the worker's hand-off: every record gets an answer
                    results.add(SendResult.ofError(failed));
                }
            }
            return results;
        } finally {
            busy.decrementAndGet();
            giveBack(connection);
        }
    }

    /**
     * Connects ahead of the first record (a TLS handshake included). The connection is free while
     * it opens: a record that takes it waits for the connection (within its deadline), not for the
     * full client.
     */
    void open() {
        BlockingConnection connection = retired ? null : take();
        if (connection == null) {
            return;
        }
        giveBack(connection);
        try {
            connection.open(); // nothing to do if a record opened it first
        } catch (HttpFailure e) {
            // the first record reports it
        }
    }

    /** Starts the full client now (many records are coming), unless it is started already. */
    void startClient() {
        if (clientWanted.compareAndSet(false, true)) {
            // On a thread of its own, never on the one completing the start: the take-over connects,
            // and whatever else waits for that completion is released only after its dependents ran.
            transport.get().thenRunAsync(() -> {
                if (!retired) {
                    whenClientReady.run();
                }
            }, task -> AgentThreads.newThread("datanadhi-take-over", task).start());
        }
    }

    /** Requests under way, for the in-flight gauge. */
    int inFlight() {
        return busy.get();
    }

    double roundTripMillis() {
        return roundTripMillis;
    }

    /** From now on the full client sends everything; each connection closes once it is free. */
    void retire() {
        retired = true;
        closeIdle();
    }

    /** At shutdown: requests under way fail now ({@code ABORTED}). */
    void close() {
        retired = true;
        for (BlockingConnection connection : made) {
            connection.close();
        }
    }

    private static boolean anyLarge(List<Request> requests) {
        for (Request request : requests) {
            if (request.bodyLength() > MAX_BODY_BYTES) {
                return true;
            }
        }
        return false;
    }

    /** A free connection, made if fewer than {@link #MAX_CONNECTIONS} exist; null when every one is busy. */
    private BlockingConnection take() {
        BlockingConnection connection = idle.poll();
        if (connection != null) {
            return connection;
        }
        for (int count = madeCount.get(); count < MAX_CONNECTIONS; count = madeCount.get()) {
            if (madeCount.compareAndSet(count, count + 1)) {
                connection = new BlockingConnection(endpoint, lookups);
                made.add(connection);
                if (retired) { // a close() that walked the set before this one was in it
                    connection.close();
                    return null;
                }
                return connection;
            }
        }
        return null;
    }

    private void giveBack(BlockingConnection connection) {
        idle.add(connection);
        if (retired) {
            closeIdle();
        }
    }

    private void closeIdle() {
        for (BlockingConnection connection; (connection = idle.poll()) != null; ) {
            connection.close();
        }
    }
}
