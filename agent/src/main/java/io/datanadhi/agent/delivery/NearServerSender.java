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
 * The primary's records while the server is near: on blocking keep-alive connections (one per
 * default worker), one request at a time, on the worker that sends them. A near server answers a
 * request in about the time the Netty client takes to hand it between threads: these connections
 * send a request for about half the CPU of the full client ({@link OnDemandTransport}; 47 against
 * 100 µs in ShippingBenchmark's bare clients), and a short job ships without loading the full
 * client's few hundred classes at all.
 *
 * <p>How near the server is: the quickest of the last answers here (at least {@link #MIN_ANSWERS}:
 * a cold JVM's first ones are slow), else the full client's smoothed round trip. A worker's batch
 * comes here if these connections carry it within {@link #BATCH_MILLIS} at the larger of that and
 * their own smoothed round trip. Until the answers here tell, the first {@link #MAX_RECORDS}
 * records of a batch come here (a short job's, all of them). A backlog (a full batch, or a
 * queue that holds another), a batch with a
 * record over {@link #MAX_BODY_BYTES}, what is left of a batch after {@link #CUT_OFF_NANOS}, and
 * every batch while the server is farther than {@link #NEAR_MILLIS} go to the full client,
 * started then, many requests side by side; while it is far, one record every
 * {@link #PROBE_NANOS} (every {@link #NEAR_PROBE_NANOS} while the full client's answers say it is
 * near) comes here to tell whether it still is.
 */
final class NearServerSender {

    /** Records of a batch sent here before the server's round trip is known. */
    static final int MAX_RECORDS = 4;
    /** One for each of the default workers. */
    static final int MAX_CONNECTIONS = 2;
    /** A server whose quickest recent answers took longer is far: its records go side by side on the full client. */
    static final double NEAR_MILLIS = 2;
    /** Answers here before they tell how near the server is. */
    static final int MIN_ANSWERS = 4;
    /** While the server is far, one record now and then goes here, to tell whether it still is. */
    static final long PROBE_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** As {@link #PROBE_NANOS}, while the full client's answers say the server is near. */
    static final long NEAR_PROBE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** A batch here still unsent after this (the server slowed down) goes to the full client. */
    static final long CUT_OFF_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** How long a worker spends on one batch here, one request after the other, at most (by the round trip). */
    static final double BATCH_MILLIS = 10;
    /** A body this small fits in the sockets' buffers whether or not the server reads. */
    static final int MAX_BODY_BYTES = 16 * 1024;

    /** What does not go on these connections: the full client's to send, handed over before these wait for answers. */
    interface Others {
        void send(List<Request> requests);
    }

    private final Endpoint endpoint;
    private final OnDemandTransport transport;
    private final ConnectionProblems problems;
    /** Run once the full client is ready (on a thread of its own, "datanadhi-take-over"): it opens a connection ahead. */
    private final Runnable whenClientReady;
    private final ThreadFactory lookups = AgentThreads.factory("datanadhi-lookup");
    private final AtomicBoolean clientWanted = new AtomicBoolean();
    private final ConcurrentLinkedQueue<BlockingConnection> idle = new ConcurrentLinkedQueue<>();
    private final Set<BlockingConnection> made = ConcurrentHashMap.newKeySet();
    private final AtomicInteger madeCount = new AtomicInteger();
    private final AtomicInteger busy = new AtomicInteger();
    private volatile boolean closed;
    /** The answers' round trip here, smoothed, for the server's gauge and {@code primary_slow}. */
    private volatile double roundTripMillis;
    /** The last answers' round trips, for how near the server is: their quickest leaves out stalls and a cold start. */
    private final double[] recent = new double[16];
    private int nextSlot;
    /** Answers so far, up to {@code recent.length}. */
    private int filled;
    private volatile long lastAnswerNanos = System.nanoTime();
    /** The server was judged far at least once (on a busy machine a near one can be): for tests. */
    private volatile boolean judgedFar;

    NearServerSender(Endpoint endpoint, OnDemandTransport transport, ConnectionProblems problems,
            Runnable whenClientReady) {
        this.endpoint = endpoint;
        this.transport = transport;
        this.problems = problems;
        this.whenClientReady = whenClientReady;
    }

    /**
     * Sends the requests this batch gives these connections, one after the other on a free
     * connection, and returns the results of the first of them (answered); the rest (while
     * nothing is known of the server, those after the first {@link #MAX_RECORDS}; once
     * {@link #CUT_OFF_NANOS} have passed, those not yet sent) are given to {@code others}, in one
     * call, after. Null when none go here (and none were given to {@code others}): the full
     * client's to send, which is started then if it is not yet.
     *
     * @param backlog the worker's batch was full, or the queue holds another: records are waiting
     * @param clientRoundTripMillis the full client's smoothed round trip, 0 if it has none
     */
    List<SendResult> trySend(List<Request> requests, boolean backlog, double clientRoundTripMillis, Others others) {
        if (closed) {
            return null;
        }
        long now = System.nanoTime();
        double fastest = fastestMillis();
        double roundTrip = fastest > 0 ? fastest : clientRoundTripMillis;
        int fits = 0;
        if (anyLarge(requests)) {
            fits = 0; // a blocking write has no deadline of its own: the whole batch is the full client's
        } else if (roundTrip > NEAR_MILLIS) {
            judgedFar = true;
            // Far for a while, or the full client's answers say near (this one judged by a cold start):
            // one record tells whether it still is.
            boolean clientSaysNear = clientRoundTripMillis > 0 && clientRoundTripMillis <= NEAR_MILLIS;
            if (now - lastAnswerNanos > (clientSaysNear ? NEAR_PROBE_NANOS : PROBE_NANOS)) {
                fits = 1;
            } else {
                closeIdle(); // far: the full client's, until an answer here says the server came near
            }
        } else if (fastest == 0) {
            // Nothing known here yet: a few records, which tell how near the server is; more side by side.
            fits = Math.min(requests.size(), MAX_RECORDS);
        } else if (!backlog) {
            // What a request takes now (the smoothed round trip: under load, more than the quickest).
            int limit = (int) Math.max(MAX_RECORDS, BATCH_MILLIS / Math.max(roundTrip, roundTripMillis));
            fits = requests.size() <= limit ? requests.size() : 0;
        } // else a backlog, which wants requests side by side
        BlockingConnection connection = fits == 0 ? null : take();
        if (connection == null) {
            startClient();
            return null;
        }
        List<SendResult> results = new ArrayList<>(requests.size());
        busy.incrementAndGet();
        try {
            long giveUpAt = now + CUT_OFF_NANOS;
            for (Request request : requests.subList(0, fits)) {
                if (!results.isEmpty() && System.nanoTime() - giveUpAt > 0) {
                    break; // the server slowed down: what is left goes side by side
                }
                try {
                    Response response = connection.send(request);
                    answered(response.roundTripNanos / 1e6);
                    results.add(SendResult.ofStatus(response.status, response.body));
                    if (fastest == 0 && results.size() == 1) {
                        // Nothing known of the server yet: its first answer may be its cold start
                        // (a short job's whole life), not a slow server; the next one tells.
                        giveUpAt = System.nanoTime() + CUT_OFF_NANOS;
                    }
                } catch (HttpFailure e) {
                    problems.seen(e);
                    return failAll(requests, results, e);
                } catch (RuntimeException e) {
                    // never out of the worker's hand-off: every record gets an answer
                    return failAll(requests, results, HttpFailure.of(e));
                }
            }
        } finally {
            busy.decrementAndGet();
            giveBack(connection);
        }
        if (results.size() < requests.size()) {
            startClient();
            others.send(requests.subList(results.size(), requests.size()));
        }
        return results;
    }

    /** The server is down: the requests not sent would fail the same way. */
    private static List<SendResult> failAll(List<Request> requests, List<SendResult> results, HttpFailure failure) {
        while (results.size() < requests.size()) {
            results.add(SendResult.ofError(failure));
        }
        return results;
    }

    /**
     * Connects ahead of the first record (a TLS handshake included). The connection is free while
     * it opens: a record that takes it waits for the connection (within its deadline), not for the
     * full client.
     */
    void open() {
        BlockingConnection connection = closed ? null : take();
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

    /** Starts the full client now (records are coming that these connections do not carry), unless it is started already. */
    void startClient() {
        if (clientWanted.compareAndSet(false, true)) {
            // On a thread of its own, never on the one completing the start: the take-over connects,
            // and whatever else waits for that completion is released only after its dependents ran.
            transport.get().thenRunAsync(new Runnable() {
                @Override
                public void run() {
                    if (!closed) {
                        whenClientReady.run();
                    }
                }
            }, new java.util.concurrent.Executor() {
                @Override
                public void execute(Runnable task) {
                    AgentThreads.newThread("datanadhi-take-over", task).start();
                }
            });
        }
    }

    boolean judgedFar() {
        return judgedFar;
    }

    /** Requests under way here, for the in-flight gauge. */
    int inFlight() {
        return busy.get();
    }

    /** The smoothed round trip of the answers here, if the last came within {@code PROBE_NANOS}; else 0. */
    double recentRoundTripMillis() {
        return System.nanoTime() - lastAnswerNanos > PROBE_NANOS ? 0 : roundTripMillis;
    }

    /** At shutdown: requests under way fail now ({@code ABORTED}); from now on the full client sends everything. */
    void close() {
        closed = true;
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

    private synchronized void answered(double millis) {
        double before = roundTripMillis;
        roundTripMillis = before == 0 ? millis : 0.8 * before + 0.2 * millis;
        recent[nextSlot] = millis;
        nextSlot = (nextSlot + 1) % recent.length;
        filled = Math.min(filled + 1, recent.length);
        lastAnswerNanos = System.nanoTime();
    }

    /** 0 until there are {@link #MIN_ANSWERS} answers. */
    private synchronized double fastestMillis() {
        if (filled < MIN_ANSWERS) {
            return 0;
        }
        double fastest = recent[0];
        for (int i = filled - 1; i > 0; i--) {
            fastest = Math.min(fastest, recent[i]);
        }
        return fastest;
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
                if (closed) { // a close() that walked the set before this one was in it
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
        if (closed) {
            closeIdle();
        }
    }

    /** Closes the free connections; as many can be made again. */
    private void closeIdle() {
        for (BlockingConnection connection; (connection = idle.poll()) != null; ) {
            connection.close();
            made.remove(connection);
            madeCount.decrementAndGet();
        }
    }
}
