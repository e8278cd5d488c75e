package io.datanadhi.echopost.replay;

import io.datanadhi.echopost.store.SegmentReader;
import io.datanadhi.echopost.store.Store;
import io.datanadhi.echopost.store.StoredRecord;
import io.datanadhi.http.HttpFailure;
import io.datanadhi.http.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The health loop and replay. While records are stored it checks the server's health every
 * 500 ms, and while the server is healthy it sends the records in store order, one
 * {@code POST /log} each, pipelined on one keep-alive connection with up to {@code maxInFlight}
 * of them awaiting their answers: a server far away gets records at the speed of the network,
 * not one per round trip. Reports when everything is delivered and the server is healthy, so
 * that EchoPost can exit.
 *
 * <p>Outcomes, as they come back (in order): 2xx is delivered ({@code agent-success.log});
 * 3xx..500 is refused for good ({@code agent-failure.log}); either settles the record. Above 500,
 * or no answer (the deadline passed, the connection failed, what came back is not HTTP) keeps the
 * record for after the next successful health check. The store's progress ("delivered up to N")
 * only ever moves past a contiguous run of settled records.
 *
 * <p>Order. Records reach the server in store order, on one connection at a time. When a record
 * in the middle of the window is not taken, no new record is sent; those already sent behind it
 * still get their answers, and the sequences of the ones the server took are remembered (in
 * memory only) so that they are not sent again. After the next successful health check replay
 * resumes at the record not taken, skipping the remembered ones: it reaches the server after
 * those behind it that the server took, so at most {@code maxInFlight - 1} records overtake it.
 * Nothing is skipped. A record is sent twice only when the server may have processed it without
 * answering, or, if EchoPost restarts before progress passes them, when it was one of the
 * remembered ones (at-least-once).
 *
 * <p>A request the server never started on (it had announced {@code Connection: close}, or it
 * closed an idle keep-alive connection as the request went out) is sent again at once on a new
 * connection, without a health check; after {@value #MAX_ROUNDS_WITHOUT_PROGRESS} such rounds in
 * a row that settle nothing, the server counts as down. (A record sent in the instant the old
 * connection closed goes out first on the new one: one of those that may overtake.)
 */
public final class Replayer implements Runnable {

    static final long HEALTH_INTERVAL_MILLIS = 500;
    static final long REPORT_EVERY_RECORDS = 10_000;
    static final int MAX_ROUNDS_WITHOUT_PROGRESS = 3;
    /** Once stopping, how long the records in flight may still take to be answered. */
    static final long STOP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** How often a wait for an answer looks whether EchoPost is stopping. */
    private static final long WAIT_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /** The same TLS failure is reported once, then again at most this often. */
    static final long TLS_REPORT_EVERY_NANOS = TimeUnit.MINUTES.toNanos(10);
    private static final long NO_DEADLINE = Long.MAX_VALUE;

    /** Where replay reports. */
    public interface Listener {
        void event(String name, String message, Object... fields);

        /** Something the operator must fix (a TLS failure). */
        void warn(String name, String message, Object... fields);

        void delivered(StoredRecord record, int status);

        void failed(StoredRecord record, int status, String response);

        /** The store is empty and the server healthy. */
        void drained();
    }

    /** A record sent and awaiting its answer, or one the server took in an earlier round. */
    private static final class InFlight {
        final long sequence;
        /** Null for one taken earlier: it is not sent again. */
        final StoredRecord record;
        final CompletableFuture<Response> response;

        InFlight(long sequence, StoredRecord record, CompletableFuture<Response> response) {
            this.sequence = sequence;
            this.record = record;
            this.response = response;
        }
    }

    /** One pass from the store's progress onwards: where it was interrupted, and what it settled. */
    private static final class Round {
        long settled;
        /** The first record not taken, and why; none while {@link #why} is null. */
        long notTaken;
        ServerClient.Outcome why;
        int takenBehind;
        int notTakenBehind;
        /** Set once stopping: the end of the wait for what is still in flight. */
        boolean graceStarted;
        long graceEndNanos;
    }

    /** Records settled in one {@link #replayWhileHealthy} call, for the {@code replayed} event. */
    private static final class Totals {
        long delivered;
        long refused;
    }

    private final Store store;
    private final ServerClient server;
    private final Listener listener;
    private final long idleMillisBeforeDrained;
    private final int maxInFlight;
    private final long maxWindowBytes;
    /** Sequences beyond the store's progress that the server took: not sent again. Replay thread only. */
    private final TreeSet<Long> taken = new TreeSet<>();
    private volatile long lastActivityNanos = System.nanoTime();
    private volatile boolean stopped;
    /** Parked on an empty store: the only wait that new records should cut short. */
    private volatile boolean waitingForRecords;
    private volatile Thread thread;
    private Boolean wasHealthy;
    private String lastTlsProblem;
    private long lastTlsReportNanos;
    private long tlsRepeats;

    public Replayer(Store store, ServerClient server, Listener listener, long idleMillisBeforeDrained, int maxInFlight) {
        this.store = store;
        this.server = server;
        this.listener = listener;
        this.idleMillisBeforeDrained = idleMillisBeforeDrained;
        this.maxInFlight = maxInFlight;
        this.maxWindowBytes = windowBytes(Runtime.getRuntime().maxMemory());
    }

    /**
     * The bodies in flight stay on the heap until answered: a window holds at most an eighth of
     * the heap (3 MB of the 24 MB EchoPost runs with), and always at least one record.
     */
    static long windowBytes(long maxHeapBytes) {
        return Math.max(256 * 1024, Math.min(16L * 1024 * 1024, maxHeapBytes / 8));
    }

    /**
     * New records arrived: do not exit just yet, and replay them now if the server is up. Called
     * for every record, so it wakes the replayer only when it waits on an empty store; otherwise
     * the replayer is either sending (and will read them) or waiting for the server.
     */
    public void activity() {
        lastActivityNanos = System.nanoTime();
        if (waitingForRecords) {
            Thread current = thread;
            if (current != null) {
                LockSupport.unpark(current);
            }
        }
    }

    /** Ends {@link #run}: no new record is sent; those in flight get at most 2 s for their answers. */
    public void stop() {
        stopped = true;
        Thread current = thread;
        if (current != null) {
            LockSupport.unpark(current);
        }
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        lastActivityNanos = System.nanoTime(); // idle from when clients can reach us, not from start-up
        while (!stopped) {
            try {
                step();
            } catch (IOException | RuntimeException e) {
                listener.event("replay_error", "replay failed (" + e + "); retrying");
                pause(HEALTH_INTERVAL_MILLIS);
            }
        }
    }

    private void step() throws IOException {
        if (store.backlog() == 0) {
            long idle = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastActivityNanos);
            if (idle >= idleMillisBeforeDrained && healthy()) {
                listener.drained();
                pause(HEALTH_INTERVAL_MILLIS);
                return;
            }
            waitingForRecords = true;
            if (store.backlog() == 0) {
                pause(Math.max(50, Math.min(HEALTH_INTERVAL_MILLIS, idleMillisBeforeDrained - idle)));
            }
            waitingForRecords = false;
            return;
        }
        if (!healthy()) {
            pause(HEALTH_INTERVAL_MILLIS);
            return;
        }
        replayWhileHealthy(NO_DEADLINE);
    }

    /**
     * After {@link #stop()} and once the replay thread has ended: sends what arrived meanwhile,
     * until there is nothing left, the server fails, or the deadline. Returns false when the
     * server failed.
     */
    public boolean replayBeforeExit(long deadlineNanos) throws IOException {
        stopped = false;
        return replayWhileHealthy(deadlineNanos);
    }

    /**
     * Sends stored records in order until there are none, the server fails, EchoPost stops, or the
     * deadline; then waits for what is in flight. Returns false when the server failed.
     */
    boolean replayWhileHealthy(long deadlineNanos) throws IOException {
        Totals totals = new Totals();
        int roundsWithoutProgress = 0;
        try {
            while (true) {
                Round round = new Round();
                try {
                    replayRound(round, totals, deadlineNanos);
                } finally {
                    store.checkpoint();
                }
                if (round.why == null) {
                    return true;
                }
                roundsWithoutProgress = round.settled > 0 ? 0 : roundsWithoutProgress + 1;
                boolean stopping = stopping(deadlineNanos);
                if (round.why.unanswered && !stopping && roundsWithoutProgress < MAX_ROUNDS_WITHOUT_PROGRESS) {
                    continue; // never started on: again at once, on a new connection
                }
                if (!stopping || round.why.failure != HttpFailure.Kind.ABORTED) {
                    interrupted(round, roundsWithoutProgress);
                }
                return false;
            }
        } finally {
            if (totals.delivered + totals.refused > 0) {
                report(totals);
            }
        }
    }

    /** One pass from the store's progress: fills the window, settles answers in order. */
    private void replayRound(Round round, Totals totals, long deadlineNanos) throws IOException {
        taken.headSet(store.delivered(), true).clear(); // passed meanwhile (a quarantined segment)
        SegmentReader reader = store.reader();
        ArrayDeque<InFlight> window = new ArrayDeque<>();
        long windowBytes = 0;
        StoredRecord next = null;
        try {
            while (true) {
                if (round.why == null && !stopping(deadlineNanos) && !failedAhead(window)) {
                    while (window.size() < maxInFlight) {
                        if (next == null && (next = reader.next()) == null) {
                            break;
                        }
                        if (taken.contains(next.sequence)) {
                            window.add(new InFlight(next.sequence, null, null));
                        } else if (windowBytes > 0 && windowBytes + next.body.length > maxWindowBytes) {
                            break; // sent once the window has room
                        } else {
                            window.add(new InFlight(next.sequence, next, server.post(next.body)));
                            windowBytes += next.body.length;
                        }
                        next = null;
                    }
                }
                InFlight head = window.poll();
                if (head == null) {
                    return;
                }
                if (head.record != null) {
                    windowBytes -= head.record.body.length;
                }
                settle(head, round, totals, deadlineNanos);
            }
        } finally {
            if (!window.isEmpty()) {
                // An error left answers unread: none may be taken for the answer of a later request.
                server.abandonConnection();
            }
        }
    }

    /**
     * The first record in the window still awaiting its outcome has failed already (its
     * connection is gone): a record sent now would go out on a new connection ahead of it.
     */
    private static boolean failedAhead(ArrayDeque<InFlight> window) {
        for (InFlight entry : window) {
            if (entry.response != null) {
                return entry.response.isCompletedExceptionally();
            }
        }
        return false;
    }

    private void settle(InFlight head, Round round, Totals totals, long deadlineNanos) throws IOException {
        if (head.response == null) {
            if (round.why == null) {
                taken.remove(head.sequence);
                store.markDelivered(head.sequence);
            }
            return;
        }
        ServerClient.Outcome outcome = await(head.response, round, deadlineNanos);
        if (outcome.kind == ServerClient.Outcome.Kind.RETRY) {
            if (round.why == null) {
                round.why = outcome;
                round.notTaken = head.sequence;
                if (outcome.failure == HttpFailure.Kind.TLS) {
                    reportTls(outcome.detail);
                }
            } else {
                round.notTakenBehind++;
            }
            return;
        }
        if (outcome.kind == ServerClient.Outcome.Kind.DELIVERED) {
            listener.delivered(head.record, outcome.status);
            totals.delivered++;
        } else {
            listener.failed(head.record, outcome.status, outcome.detail);
            totals.refused++;
        }
        round.settled++;
        if (round.why == null) {
            store.markDelivered(head.sequence);
        } else {
            taken.add(head.sequence);
            round.takenBehind++;
        }
        if ((totals.delivered + totals.refused) % REPORT_EVERY_RECORDS == 0) {
            report(totals);
        }
    }

    /**
     * The outcome of one post. The HTTP client ends every request by its deadline; this wait is
     * bounded besides, and once EchoPost is stopping, what is in flight gets a short grace.
     */
    private ServerClient.Outcome await(CompletableFuture<Response> response, Round round, long deadlineNanos) {
        long boundNanos = System.nanoTime() + server.postTimeoutNanos() + ServerClient.WAIT_MARGIN_NANOS;
        while (true) {
            long now = System.nanoTime();
            if (!round.graceStarted && stopping(deadlineNanos)) {
                round.graceStarted = true;
                round.graceEndNanos = now + STOP_GRACE_NANOS;
            }
            long until = round.graceStarted && round.graceEndNanos - boundNanos < 0 ? round.graceEndNanos : boundNanos;
            long slice = until - now < WAIT_SLICE_NANOS ? until : now + WAIT_SLICE_NANOS;
            ServerClient.Outcome outcome = server.awaitUntil(response, slice);
            if (outcome != null) {
                return outcome;
            }
            if (System.nanoTime() - until >= 0) {
                server.abandonConnection();
                return until == boundNanos
                        ? ServerClient.Outcome.noAnswer(HttpFailure.Kind.TIMEOUT, "no answer from "
                                + server.endpoint().target() + " within " + server.endpoint().timeout().toMillis()
                                + " ms, and the HTTP client did not end the request; its connection is abandoned")
                        : ServerClient.Outcome.noAnswer(HttpFailure.Kind.ABORTED, "EchoPost is stopping");
            }
        }
    }

    private boolean stopping(long deadlineNanos) {
        return stopped || deadlineNanos != NO_DEADLINE && System.nanoTime() - deadlineNanos >= 0;
    }

    private void interrupted(Round round, int roundsWithoutProgress) {
        wasHealthy = false;
        ServerClient.Outcome why = round.why;
        String behind = round.takenBehind > 0
                ? "; " + round.takenBehind + " record(s) sent behind it were taken and are not sent again" : "";
        String repeated = why.unanswered
                ? " (unanswered on " + roundsWithoutProgress + " new connections in a row)" : "";
        listener.event("replay_interrupted", "the server did not take record " + round.notTaken + " ("
                + why.describe() + ")" + repeated + behind + "; kept, retried after the next successful health check",
                "sequence", round.notTaken, "status", why.status, "failure", why.failureName(),
                "taken_behind", round.takenBehind, "not_taken_behind", round.notTakenBehind);
    }

    private void report(Totals totals) {
        listener.event("replayed", totals.delivered + " record(s) delivered, " + totals.refused
                + " refused by the server, " + store.backlog() + " left", "delivered", totals.delivered,
                "failed", totals.refused, "backlog", store.backlog());
    }

    private boolean healthy() {
        ServerClient.Health health = server.checkHealth();
        if (health.failure == HttpFailure.Kind.TLS) {
            reportTls(health.problem);
        } else if (health.healthy) {
            lastTlsProblem = null;
        }
        if (wasHealthy == null || health.healthy != wasHealthy) {
            if (health.healthy) {
                listener.event("healthy", "the server answers its health check");
            } else {
                listener.event("unhealthy", "the server does not answer its health check (" + health.problem
                        + "); records are kept", "reason", health.problem);
            }
            wasHealthy = health.healthy;
        }
        return health.healthy;
    }

    /** A TLS failure says what to fix: reported once, not at every health check. */
    private void reportTls(String problem) {
        long now = System.nanoTime();
        if (problem.equals(lastTlsProblem) && now - lastTlsReportNanos < TLS_REPORT_EVERY_NANOS) {
            tlsRepeats++;
            return;
        }
        listener.warn("tls_failed", problem + "; records are kept", "server", server.endpoint().target().toString(),
                "repeats", tlsRepeats);
        lastTlsProblem = problem;
        lastTlsReportNanos = now;
        tlsRepeats = 0;
    }

    private static void pause(long millis) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    /** One line of {@code agent-success.log} / {@code agent-failure.log}. */
    public static String logLine(StoredRecord record, int status, String response) {
        StringBuilder line = new StringBuilder(128 + record.body.length);
        line.append("{\"time\":\"").append(Instant.now()).append("\",\"sequence\":").append(record.sequence)
                .append(",\"status\":").append(status);
        if (response != null) {
            line.append(",\"response\":");
            quote(line, response.length() > 2000 ? response.substring(0, 2000) : response);
            line.append(",\"record\":").append(new String(record.body, StandardCharsets.UTF_8));
        }
        return line.append('}').toString();
    }

    private static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(' ');
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }
}
