package io.datanadhi.agent.delivery;

import io.datanadhi.agent.AgentThreads;
import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.diag.Counters.DropKind;
import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.record.CapturedRecord;
import io.datanadhi.http.HttpConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Delivers captured records off the logging threads, in this order: the primary server; while it
 * is down, EchoPost; if EchoPost is disabled or fails, the fallback server; if that fails too,
 * {@code dropped/}. A bounded queue that never blocks a producer feeds {@code async.workers}
 * workers; a health monitor per server switches routing back as soon as a server answers.
 *
 * <p>At 90 % queue fill one extra worker drains the queue to the fallback until it is at 10 %; a
 * full queue spills to {@code dropped/queue_full_*}. At exit, up to {@code async.exit_timeout} is
 * given to deliver by the current route, and what is left goes to {@code dropped/shutdown_unsent_*}.
 */
public final class Delivery {

    /** Records a worker takes for the primary, sent one after another on its connection. */
    static final int PRIMARY_BATCH = 64;
    /** The smallest overflow buffer, in records; it holds references only while the spill thread catches up. */
    static final int OVERFLOW_MIN = 16_384;
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final long REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** What delivery needs to know from the configuration. */
    public static final class Settings {
        final int queueSize;
        final int workers;
        final Duration exitTimeout;
        final String serverHost;
        final String fallbackHost;
        final String apiKeyHeader;
        final String apiKey;

        /** {@code apiKey} null: nothing is shipped; records are only printed when a rule says so. */
        public Settings(int queueSize, int workers, Duration exitTimeout, String serverHost, String fallbackHost,
                String apiKeyHeader, String apiKey) {
            this.queueSize = queueSize;
            this.workers = workers;
            this.exitTimeout = exitTimeout;
            this.serverHost = serverHost;
            this.fallbackHost = fallbackHost;
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
    private final FallbackServer fallback;
    private final HealthMonitor fallbackHealth;
    private final EchoPostLink echoPost;
    private final List<Worker> workers = new ArrayList<>();
    private final Worker drainWorker;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final int drainStart;
    private final int drainStop;
    private final AtomicBoolean primaryUp = new AtomicBoolean(true);
    private final AtomicBoolean fallbackUp = new AtomicBoolean(true);
    /**
     * Records accepted into the queue whose fate is not settled yet: what shutdown waits for. A
     * LongAdder, because logging threads add and workers subtract, and one shared atomic would
     * bounce its cache line between them on every record.
     */
    private final LongAdder outstanding = new LongAdder();
    private final RateLimitedWarning rejectedByPrimary = new RateLimitedWarning("primary_rejected");
    private final RateLimitedWarning fallbackFailed = new RateLimitedWarning("fallback_failed");
    private final RateLimitedWarning drainFailed = new RateLimitedWarning("drain_worker_failed");
    private volatile boolean closed;
    private final AtomicBoolean loggedAfterShutdown = new AtomicBoolean();

    public Delivery(Settings settings, HttpClients http, EchoPostLink echoPost, DroppedFiles dropped,
            StdoutPrinter stdout, Counters counters) {
        this.settings = settings;
        this.counters = counters;
        this.queue = new RecordQueue<>(settings.queueSize);
        this.dropped = dropped;
        this.stdout = stdout;
        // Room for a burst while the spill thread writes: a cold JVM on 2 cores took 5 000 records
        // logged at once past a 500 queue and 1 024 here (records_lost, on Temurin 25 in CI).
        this.overflow = new OverflowSpiller(Math.max(OVERFLOW_MIN, settings.queueSize / 2), dropped, stdout, counters);
        this.http = http;
        this.echoPost = echoPost;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(AgentThreads.factory("datanadhi-health"));
        String key = settings.apiKey == null ? "" : settings.apiKey;
        this.primary = new PrimaryServer(http, settings.serverHost, settings.apiKeyHeader, key);
        this.primaryHealth = new HealthMonitor("the primary server " + settings.serverHost, primary::healthy,
                this::primaryRecovered, scheduler);
        this.fallback = new FallbackServer(http, settings.fallbackHost, settings.apiKeyHeader, key);
        this.fallbackHealth = new HealthMonitor("the fallback server " + settings.fallbackHost, fallback::healthy,
                this::fallbackRecovered, scheduler);
        for (int i = 1; i <= settings.workers; i++) {
            workers.add(new Worker("datanadhi-worker-" + i, false));
        }
        this.drainWorker = new Worker("datanadhi-drain", true);
        this.drainStart = Math.max(1, settings.queueSize * 9 / 10);
        this.drainStop = settings.queueSize / 10;
    }

    public void start() {
        overflow.start();
        for (Worker worker : workers) {
            worker.thread.start();
        }
        drainWorker.thread.start();
    }

    /** Called on the logging thread. Never blocks; a full queue sends the record to disk. */
    public void submit(CapturedRecord record) {
        if (closed) {
            afterShutdown(record);
            return;
        }
        outstanding.increment();
        if (queue.offer(record)) {
            wakeOneWorker();
            if (queue.size() >= drainStart && draining.compareAndSet(false, true)) {
                LockSupport.unpark(drainWorker.thread);
            }
        } else {
            outstanding.decrement();
            overflow.spill(record);
        }
    }

    public int queueDepth() {
        return queue.size();
    }

    public int queueCapacity() {
        return queue.capacity();
    }

    public boolean primaryUp() {
        return primaryUp.get();
    }

    /** An EchoPost serves the directory now: cheap, probes nothing and starts nothing. */
    public boolean echoPostRunning() {
        return echoPost.running();
    }

    /**
     * Runs {@code task} on delivery's housekeeping thread (the one the health checks use), first
     * after {@code initialDelay}, then {@code period} after each run ends, until the returned
     * future is cancelled or delivery shuts down. A task that throws is reported and keeps its
     * schedule. The task must be quick: health checks share the thread.
     */
    public ScheduledFuture<?> every(Duration initialDelay, Duration period, Runnable task) {
        return scheduler.scheduleWithFixedDelay(() -> {
            try {
                task.run();
            } catch (Throwable t) {
                Diagnostics.warn("housekeeping_error", "a periodic task of the agent failed; it runs again later", t);
            }
        }, initialDelay.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
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
                    "the Data Nadhi server at " + settings.serverHost + " is not answering (" + detail + "); "
                            + (echoPost.enabled() ? "records go to EchoPost until it recovers"
                                    : "records go to the fallback server " + settings.fallbackHost + " until it recovers"),
                    "server", settings.serverHost);
        }
        primaryHealth.watch();
    }

    private void primaryRecovered() {
        if (primaryUp.compareAndSet(false, true)) {
            Diagnostics.info("primary_up", "the Data Nadhi server at " + settings.serverHost + " is back; sending to it",
                    "server", settings.serverHost, "queued", queue.size());
        }
        wakeAllWorkers();
    }

    private void fallbackDown(String detail) {
        if (fallbackUp.compareAndSet(true, false)) {
            Diagnostics.warn("fallback_down", "the fallback server at " + settings.fallbackHost
                    + " is not answering (" + detail + ")", "server", settings.fallbackHost);
        }
        fallbackHealth.watch();
    }

    private void fallbackRecovered() {
        if (fallbackUp.compareAndSet(false, true)) {
            Diagnostics.info("fallback_up", "the fallback server at " + settings.fallbackHost + " is back",
                    "server", settings.fallbackHost);
        }
    }

    /** While the primary is down: EchoPost, then the fallback, then disk. */
    private void deliverElsewhere(List<CapturedRecord> records, DropKind ifAllFail) throws InterruptedException {
        List<CapturedRecord> rest = records;
        if (echoPost.enabled()) {
            List<CapturedRecord> notStored = new ArrayList<>();
            for (List<CapturedRecord> chunk : chunks(rest, EchoPostLink.MAX_BATCH, EchoPostLink.MAX_BATCH_BYTES)) {
                if (echoPost.send(chunk) == EchoPostLink.Result.STORED) {
                    counters.countSentEchoPost(chunk.size());
                } else {
                    notStored.addAll(chunk);
                }
            }
            rest = notStored;
        }
        if (!rest.isEmpty()) {
            toFallback(rest, ifAllFail);
        }
    }

    /** Consecutive runs of at most {@code maxCount} records and (unless one alone is larger) {@code maxBytes}. */
    static List<List<CapturedRecord>> chunks(List<CapturedRecord> records, int maxCount, int maxBytes) {
        List<List<CapturedRecord>> chunks = new ArrayList<>();
        List<CapturedRecord> current = new ArrayList<>();
        long bytes = 0;
        for (CapturedRecord record : records) {
            int size = record.logData().length + 64;
            if (!current.isEmpty() && (current.size() >= maxCount || bytes + size > maxBytes)) {
                chunks.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(record);
            bytes += size;
        }
        if (!current.isEmpty()) {
            chunks.add(current);
        }
        return chunks;
    }

    private void toFallback(List<CapturedRecord> records, DropKind ifItFails) throws InterruptedException {
        for (int from = 0; from < records.size(); from += FallbackServer.MAX_BATCH) {
            List<CapturedRecord> chunk = records.subList(from, Math.min(records.size(), from + FallbackServer.MAX_BATCH));
            if (!fallbackUp.get()) {
                fallbackHealth.watch();
                drop(ifItFails, chunk, "the fallback server is down");
                continue;
            }
            SendResult result = await(fallback.send(chunk), FallbackServer.SEND_TIMEOUT);
            switch (result.kind) {
                case DELIVERED:
                    counters.countSentFallback(chunk.size());
                    break;
                case REJECTED:
                    drop(ifItFails, chunk, "the fallback server refused them (" + result.detail + ")");
                    break;
                default:
                    fallbackDown(result.detail);
                    drop(ifItFails, chunk, "the fallback server is down (" + result.detail + ")");
            }
        }
    }

    private void drop(DropKind reason, List<CapturedRecord> records, String why) {
        dropped.write(reason, records);
        (reason == DropKind.DRAIN_WORKER_FAILED ? drainFailed : fallbackFailed).report(records.size(),
                why + "; written to " + dropped.directory() + "/" + DroppedFiles.fileName(reason) + "_*.jsonl");
    }

    private static SendResult await(CompletableFuture<SendResult> result, Duration timeout) throws InterruptedException {
        try {
            return result.get(timeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            result.cancel(true);
            return SendResult.ofError(e);
        } catch (ExecutionException e) {
            return SendResult.ofError(e);
        }
    }

    /**
     * The shutdown hook's part: up to {@code async.exit_timeout} to deliver what is queued (by the
     * current route, EchoPost included), then what is left goes to {@code dropped/shutdown_unsent_*}.
     * Records logged after this go straight to disk.
     */
    public void shutdown() {
        long deadline = System.nanoTime() + settings.exitTimeout.toNanos();
        wakeAllWorkers();
        while (System.nanoTime() < deadline && (outstanding.sum() > 0 || !queue.isEmpty() || overflow.busy())) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        closed = true;
        List<Worker> all = new ArrayList<>(workers);
        all.add(drainWorker);
        for (Worker worker : all) {
            worker.stopped = true;
            worker.thread.interrupt();
            if (worker.connection != null) {
                worker.connection.abort(); // a request blocked on a slow server fails now
            }
        }
        for (Worker worker : all) {
            try {
                worker.thread.join(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<CapturedRecord> unsent = new ArrayList<>();
        for (Worker worker : all) {
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
        fallbackHealth.close();
        if (!unsent.isEmpty()) {
            dropped.write(DropKind.SHUTDOWN_UNSENT, unsent);
            Diagnostics.warn("shutdown_unsent",
                    unsent.size() + " record(s) not delivered within async.exit_timeout ("
                            + settings.exitTimeout.toSeconds() + " s); written to " + dropped.directory()
                            + "/shutdown_unsent_*.jsonl",
                    "count", unsent.size());
        }
        scheduler.shutdownNow();
        echoPost.close();
        http.close();
    }

    private void afterShutdown(CapturedRecord record) {
        if (record.stdout) {
            stdout.print(record);
        }
        if (record.shipped()) {
            dropped.write(DropKind.SHUTDOWN_UNSENT, List.of(record));
            if (loggedAfterShutdown.compareAndSet(false, true)) {
                // Another shutdown hook (an async appender or logger flushing) logged after ours ran.
                Diagnostics.warn("logged_after_shutdown", "records logged after the agent stopped delivering are"
                        + " written to " + dropped.directory() + "/shutdown_unsent_*.jsonl");
            }
        }
    }

    /** A warning that may recur often: the first one, then at most one every 30 s with a count. */
    private static final class RateLimitedWarning {
        private final String event;
        private long count;
        private long lastReport;

        RateLimitedWarning(String event) {
            this.event = event;
        }

        synchronized void report(int records, String message) {
            count += records;
            long now = System.nanoTime();
            if (lastReport != 0 && now - lastReport < REPORT_INTERVAL_NANOS) {
                return;
            }
            Diagnostics.warn(event, count + " record(s): " + message, "count", count);
            count = 0;
            lastReport = now;
        }
    }

    private final class Worker implements Runnable {
        private final Thread thread;
        private final boolean drain;
        private final List<CapturedRecord> batch = new ArrayList<>();
        /** This worker's keep-alive connection to the primary server (the drain worker has none). */
        private final HttpConnection connection;
        /** What this worker has taken from the queue and not yet settled: for the shutdown hook. */
        volatile CapturedRecord[] holding = new CapturedRecord[0];
        volatile boolean parked;
        volatile boolean stopped;

        Worker(String name, boolean drain) {
            this.thread = AgentThreads.newThread(name, this);
            this.drain = drain;
            this.connection = drain ? null : primary.connection();
        }

        @Override
        public void run() {
            while (!stopped) {
                try {
                    if (drain) {
                        drainStep();
                    } else {
                        step();
                    }
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
            boolean up = primaryUp.get();
            int wanted = up ? PRIMARY_BATCH : EchoPostLink.MAX_BATCH;
            if (batch.size() < wanted && take(wanted - batch.size()) == 0 && batch.isEmpty()) {
                idle();
                return;
            }
            if (batch.isEmpty()) {
                return;
            }
            if (up) {
                sendToPrimary();
            } else {
                primaryHealth.watch();
                List<CapturedRecord> records = new ArrayList<>(batch);
                deliverElsewhere(records, DropKind.FALLBACK_FAILED);
                settle(records.size());
                batch.clear();
            }
            hold();
        }

        /** The extra worker: at 90 % fill, to the fallback in batches of 100 until 10 %. */
        private void drainStep() throws InterruptedException {
            if (!draining.get()) {
                parked = true;
                LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                parked = false;
                return;
            }
            Diagnostics.warn("drain_started", "the queue is " + queue.size() + "/" + queue.capacity()
                    + " full: draining it to the fallback server " + settings.fallbackHost);
            while (!stopped && queue.size() > drainStop) {
                if (take(FallbackServer.MAX_BATCH) == 0) {
                    break;
                }
                if (!batch.isEmpty()) {
                    List<CapturedRecord> records = new ArrayList<>(batch);
                    toFallback(records, DropKind.DRAIN_WORKER_FAILED);
                    settle(records.size());
                    batch.clear();
                    hold();
                }
            }
            Diagnostics.info("drain_stopped", "the queue is down to " + queue.size() + "/" + queue.capacity());
            draining.set(false);
        }

        /** Takes up to {@code max} records; prints those to print; keeps those to ship. */
        private int take(int max) {
            List<CapturedRecord> taken = new ArrayList<>();
            int count = queue.drainTo(taken, max);
            if (count == 0) {
                return 0;
            }
            int printedOnly = 0;
            for (CapturedRecord record : taken) {
                if (record.stdout) {
                    stdout.print(record);
                }
                if (record.shipped()) {
                    batch.add(record);
                } else {
                    printedOnly++;
                }
            }
            settle(printedOnly);
            hold();
            return count;
        }

        /**
         * One record at a time on this worker's connection. The first failure (timeout,
         * connection error, above 500) stops the batch: the server is down, and what is left goes
         * the other way at the next step.
         */
        private void sendToPrimary() {
            List<CapturedRecord> refused = new ArrayList<>();
            String refusal = null;
            String failure = null;
            int done = 0;
            while (done < batch.size() && !stopped) {
                SendResult result = primary.send(connection, batch.get(done));
                if (result.kind == SendResult.Kind.RETRY) {
                    failure = result.detail;
                    break;
                }
                if (result.kind == SendResult.Kind.DELIVERED) {
                    counters.countShippedPrimary();
                } else {
                    refused.add(batch.get(done));
                    refusal = result.detail;
                }
                done++;
            }
            batch.subList(0, done).clear();
            if (!refused.isEmpty()) {
                dropped.write(DropKind.PRIMARY_FAILED, refused);
                rejectedByPrimary.report(refused.size(), "refused by the Data Nadhi server (" + refusal
                        + "); written to " + dropped.directory() + "/primary_failed_*.jsonl");
            }
            settle(done);
            if (failure != null && !stopped) {
                primaryDown(failure);
            }
        }

        private void settle(int records) {
            if (records > 0) {
                outstanding.add(-records);
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
