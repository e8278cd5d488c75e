package io.datanadhi.agent.delivery;

import io.datanadhi.agent.AgentThreads;
import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.diag.Counters.DropKind;
import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.record.CapturedRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Delivers captured records off the logging threads: a bounded queue that never blocks a
 * producer, {@code async.workers} worker threads, the primary server with its health monitor,
 * and {@code dropped/} files for what cannot be delivered.
 *
 * <p>While the primary is down, workers keep the records they hold and the rest wait in the
 * queue; a full queue spills to {@code dropped/queue_full_*}. At exit, up to
 * {@code async.exit_timeout} is given to deliver, and what is left goes to
 * {@code dropped/shutdown_unsent_*}.
 */
public final class Delivery {

    static final int BATCH_SIZE = 64;
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final long REJECT_REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** What delivery needs to know from the configuration. */
    public static final class Settings {
        final int queueSize;
        final int workers;
        final Duration exitTimeout;
        final String serverHost;
        final String apiKeyHeader;
        final String apiKey;

        /** {@code apiKey} null: nothing is shipped; records are only printed when a rule says so. */
        public Settings(int queueSize, int workers, Duration exitTimeout, String serverHost, String apiKeyHeader,
                String apiKey) {
            this.queueSize = queueSize;
            this.workers = workers;
            this.exitTimeout = exitTimeout;
            this.serverHost = serverHost;
            this.apiKeyHeader = apiKeyHeader;
            this.apiKey = apiKey;
        }
    }

    private final Settings settings;
    private final Counters counters;
    private final RecordQueue<CapturedRecord> queue;
    private final DroppedFiles dropped;
    private final StdoutPrinter stdout;
    private final OverflowSpiller overflow;
    private final HttpClients http;
    private final ScheduledExecutorService scheduler;
    private final PrimaryServer primary;
    private final HealthMonitor primaryHealth;
    private final List<Worker> workers = new ArrayList<>();
    private final AtomicBoolean primaryUp = new AtomicBoolean(true);
    /** Records accepted into the queue whose fate is not settled yet: what shutdown waits for. */
    private final AtomicInteger outstanding = new AtomicInteger();
    private final Object rejectLock = new Object();
    private long rejectedSinceReport;
    private long lastRejectReport;
    private volatile boolean closed;

    public Delivery(Settings settings, HttpClients http, DroppedFiles dropped, StdoutPrinter stdout, Counters counters) {
        this.settings = settings;
        this.counters = counters;
        this.queue = new RecordQueue<>(settings.queueSize);
        this.dropped = dropped;
        this.stdout = stdout;
        this.overflow = new OverflowSpiller(Math.max(1024, settings.queueSize / 4), dropped, stdout, counters);
        this.http = http;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(AgentThreads.factory("datanadhi-health"));
        this.primary = new PrimaryServer(http, settings.serverHost, settings.apiKeyHeader,
                settings.apiKey == null ? "" : settings.apiKey);
        this.primaryHealth = new HealthMonitor("the primary server " + settings.serverHost, primary::healthy,
                this::primaryRecovered, scheduler);
        for (int i = 1; i <= settings.workers; i++) {
            workers.add(new Worker("datanadhi-worker-" + i));
        }
    }

    public void start() {
        overflow.start();
        for (Worker worker : workers) {
            worker.thread.start();
        }
    }

    /** Called on the logging thread. Never blocks; a full queue sends the record to disk. */
    public void submit(CapturedRecord record) {
        if (closed) {
            afterShutdown(record);
            return;
        }
        outstanding.incrementAndGet();
        if (queue.offer(record)) {
            wakeOneWorker();
        } else {
            outstanding.decrementAndGet();
            overflow.spill(record);
        }
    }

    public int queueDepth() {
        return queue.size();
    }

    public boolean primaryUp() {
        return primaryUp.get();
    }

    private void wakeOneWorker() {
        for (Worker worker : workers) {
            if (worker.parked) {
                worker.parked = false;
                LockSupport.unpark(worker.thread);
                return;
            }
        }
    }

    private void wakeAllWorkers() {
        for (Worker worker : workers) {
            LockSupport.unpark(worker.thread);
        }
    }

    private void primaryDown(String detail) {
        if (primaryUp.compareAndSet(true, false)) {
            Diagnostics.warn("primary_down",
                    "the Data Nadhi server at " + settings.serverHost + " is not answering (" + detail
                            + "); records wait in the queue and are sent when it recovers",
                    "server", settings.serverHost);
        }
        primaryHealth.watch();
    }

    private void primaryRecovered() {
        if (primaryUp.compareAndSet(false, true)) {
            Diagnostics.info("primary_up", "the Data Nadhi server at " + settings.serverHost + " is back; sending",
                    "server", settings.serverHost, "queued", queue.size());
        }
        wakeAllWorkers();
    }

    private void rejected(List<CapturedRecord> records, String detail) {
        dropped.write(DropKind.PRIMARY_FAILED, records);
        synchronized (rejectLock) {
            rejectedSinceReport += records.size();
            long now = System.nanoTime();
            if (lastRejectReport != 0 && now - lastRejectReport < REJECT_REPORT_INTERVAL_NANOS) {
                return;
            }
            Diagnostics.warn("primary_rejected",
                    rejectedSinceReport + " record(s) refused by the Data Nadhi server (" + detail
                            + "); written to " + dropped.directory() + "/primary_failed_*.jsonl",
                    "count", rejectedSinceReport);
            rejectedSinceReport = 0;
            lastRejectReport = now;
        }
    }

    /**
     * The shutdown hook's part: up to {@code async.exit_timeout} to deliver what is queued, then
     * what is left goes to {@code dropped/shutdown_unsent_*}. Records logged after this go
     * straight to disk.
     */
    public void shutdown() {
        long deadline = System.nanoTime() + settings.exitTimeout.toNanos();
        wakeAllWorkers();
        while (System.nanoTime() < deadline && (outstanding.get() > 0 || overflow.busy())) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        closed = true;
        for (Worker worker : workers) {
            worker.stopped = true;
            worker.thread.interrupt();
        }
        for (Worker worker : workers) {
            try {
                worker.thread.join(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<CapturedRecord> unsent = new ArrayList<>();
        for (Worker worker : workers) {
            for (CapturedRecord record : worker.holding) {
                unsent.add(record);
            }
        }
        List<CapturedRecord> queued = new ArrayList<>();
        queue.drainTo(queued, Integer.MAX_VALUE);
        for (CapturedRecord record : queued) {
            if (record.stdout) {
                stdout.print(record);
            }
            if (record.shipped()) {
                unsent.add(record);
            }
        }
        overflow.close(1000);
        primaryHealth.close();
        if (!unsent.isEmpty()) {
            dropped.write(DropKind.SHUTDOWN_UNSENT, unsent);
            Diagnostics.warn("shutdown_unsent",
                    unsent.size() + " record(s) not delivered within async.exit_timeout ("
                            + settings.exitTimeout.toSeconds() + " s); written to " + dropped.directory()
                            + "/shutdown_unsent_*.jsonl",
                    "count", unsent.size());
        }
        scheduler.shutdownNow();
        http.close();
    }

    private void afterShutdown(CapturedRecord record) {
        if (record.stdout) {
            stdout.print(record);
        }
        if (record.shipped()) {
            dropped.write(DropKind.SHUTDOWN_UNSENT, List.of(record));
        }
    }

    private final class Worker implements Runnable {
        private final Thread thread;
        private final List<CapturedRecord> batch = new ArrayList<>(BATCH_SIZE);
        /** What this worker has taken from the queue and not yet delivered: for the shutdown hook. */
        volatile CapturedRecord[] holding = new CapturedRecord[0];
        volatile boolean parked;
        volatile boolean stopped;

        Worker(String name) {
            this.thread = AgentThreads.newThread(name, this);
        }

        @Override
        public void run() {
            while (!stopped) {
                try {
                    step();
                } catch (Throwable t) {
                    if (stopped) {
                        return;
                    }
                    Diagnostics.warn("delivery_error", "unexpected error in " + thread.getName() + "; continuing", t);
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                }
            }
        }

        private void step() throws InterruptedException {
            if (batch.isEmpty()) {
                if (queue.drainTo(batch, BATCH_SIZE) == 0) {
                    idle();
                    return;
                }
                for (CapturedRecord record : batch) {
                    if (record.stdout) {
                        stdout.print(record);
                    }
                }
                int taken = batch.size();
                batch.removeIf(record -> !record.shipped());
                outstanding.addAndGet(batch.size() - taken);
                hold();
                if (batch.isEmpty()) {
                    return;
                }
            }
            if (!primaryUp.get()) {
                primaryHealth.watch();
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(HealthMonitor.INTERVAL_MILLIS));
                if (Thread.interrupted() && stopped) {
                    throw new InterruptedException();
                }
                return;
            }
            sendToPrimary();
            hold();
        }

        private void sendToPrimary() throws InterruptedException {
            List<CompletableFuture<SendResult>> results = new ArrayList<>(batch.size());
            for (CapturedRecord record : batch) {
                results.add(primary.send(record));
            }
            List<CapturedRecord> kept = new ArrayList<>();
            List<CapturedRecord> refused = new ArrayList<>();
            String refusal = null;
            String failure = null;
            long deadline = System.nanoTime() + PrimaryServer.SEND_TIMEOUT.toNanos() + TimeUnit.SECONDS.toNanos(2);
            for (int i = 0; i < batch.size(); i++) {
                SendResult result = await(results.get(i), deadline);
                switch (result.kind) {
                    case DELIVERED:
                        counters.countShippedPrimary();
                        break;
                    case REJECTED:
                        refused.add(batch.get(i));
                        refusal = result.detail;
                        break;
                    default:
                        kept.add(batch.get(i));
                        failure = result.detail;
                }
            }
            batch.clear();
            batch.addAll(kept);
            if (!refused.isEmpty()) {
                rejected(refused, refusal);
            }
            outstanding.addAndGet(-(results.size() - kept.size()));
            if (failure != null) {
                primaryDown(failure);
            }
        }

        private SendResult await(CompletableFuture<SendResult> result, long deadline) throws InterruptedException {
            try {
                return result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                result.cancel(true);
                return SendResult.ofError(e);
            } catch (java.util.concurrent.ExecutionException e) {
                return SendResult.ofError(e);
            }
        }

        private void hold() {
            holding = batch.toArray(new CapturedRecord[0]);
        }

        private void idle() {
            parked = true;
            if (queue.isEmpty() && !stopped) {
                LockSupport.parkNanos(this, IDLE_PARK_NANOS);
            }
            parked = false;
        }
    }
}
