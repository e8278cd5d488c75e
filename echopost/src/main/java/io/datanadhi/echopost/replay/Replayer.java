package io.datanadhi.echopost.replay;

import io.datanadhi.echopost.store.Store;
import io.datanadhi.echopost.store.StoredRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The health loop and replay: while records are stored, checks the server's health every 500 ms,
 * and while it is healthy sends the records in arrival order, one request each. 2xx is delivered;
 * 3xx..500 is a permanent failure, logged and dropped; above 500 or no answer keeps the record
 * for after the next successful health check. Reports when everything is delivered and the
 * server is healthy, so that EchoPost can exit.
 */
public final class Replayer implements Runnable {

    static final long HEALTH_INTERVAL_MILLIS = 500;
    static final long REPORT_EVERY_RECORDS = 10_000;

    /** Where replay reports. */
    public interface Listener {
        void event(String name, String message, Object... fields);

        void delivered(StoredRecord record, int status);

        void failed(StoredRecord record, int status, String response);

        /** The store is empty and the server healthy. */
        void drained();
    }

    private final Store store;
    private final ServerClient server;
    private final Listener listener;
    private final long idleMillisBeforeDrained;
    private volatile long lastActivityNanos = System.nanoTime();
    private volatile boolean stopped;
    /** Parked on an empty store: the only wait that new records should cut short. */
    private volatile boolean waitingForRecords;
    private volatile Thread thread;
    private Boolean wasHealthy;

    public Replayer(Store store, ServerClient server, Listener listener, long idleMillisBeforeDrained) {
        this.store = store;
        this.server = server;
        this.listener = listener;
        this.idleMillisBeforeDrained = idleMillisBeforeDrained;
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
        replayWhileHealthy(Long.MAX_VALUE);
    }

    /**
     * Sends stored records in order until there are none, the server fails, or the deadline.
     * Returns false when the server failed.
     */
    public boolean replayWhileHealthy(long deadlineNanos) throws IOException {
        Store.Reader reader = store.reader();
        long delivered = 0;
        long failed = 0;
        boolean ok = true;
        StoredRecord record;
        while (!stopped && System.nanoTime() < deadlineNanos && (record = reader.next()) != null) {
            ServerClient.Outcome outcome = server.post(record.body);
            if (outcome.kind == ServerClient.Outcome.Kind.RETRY) {
                wasHealthy = false;
                listener.event("replay_interrupted", "the server did not take the record ("
                        + (outcome.status > 0 ? "HTTP " + outcome.status : outcome.detail)
                        + "); kept, retried after the next successful health check",
                        "sequence", record.sequence, "status", outcome.status);
                ok = false;
                break;
            }
            if (outcome.kind == ServerClient.Outcome.Kind.DELIVERED) {
                listener.delivered(record, outcome.status);
                delivered++;
            } else {
                listener.failed(record, outcome.status, outcome.detail);
                failed++;
            }
            store.markDelivered(record.sequence);
            if ((delivered + failed) % REPORT_EVERY_RECORDS == 0) {
                report(delivered, failed);
            }
        }
        store.checkpoint();
        if (delivered + failed > 0) {
            report(delivered, failed);
        }
        return ok;
    }

    private void report(long delivered, long failed) {
        listener.event("replayed", delivered + " record(s) delivered, " + failed + " refused by the server, "
                + store.backlog() + " left", "delivered", delivered, "failed", failed, "backlog", store.backlog());
    }

    private boolean healthy() {
        boolean healthy = server.healthy();
        if (wasHealthy == null || healthy != wasHealthy) {
            if (healthy) {
                listener.event("healthy", "the server answers its health check");
            } else {
                listener.event("unhealthy", "the server does not answer its health check; records are kept");
            }
            wasHealthy = healthy;
        }
        return healthy;
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
