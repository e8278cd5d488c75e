package io.datanadhi.agent.delivery;

import io.datanadhi.agent.AgentThreads;
import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.diag.Counters.DropKind;
import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.record.CapturedRecord;
import io.datanadhi.agent.record.RecordWriter;
import io.datanadhi.http.Endpoint;
import io.datanadhi.http.HttpTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Delivers captured records off the logging threads, in this order: the primary server; while it
 * is down, EchoPost; if EchoPost is disabled or fails, the fallback server; if that fails too,
 * {@code dropped/}. A bounded queue that never blocks a producer feeds {@code async.workers}
 * workers; a health monitor per server switches routing back as soon as a server answers.
 *
 * <p>To the primary, the workers keep a window of up to {@code async.max_in_flight} requests in
 * flight, each on a keep-alive connection of its own: a server tens of milliseconds away gets as
 * many records a second as the window holds per round trip (while the server is near and the
 * workers keep up, records go one at a time on blocking connections instead, answered on the
 * worker: {@link NearServerSender}). Answers come back on the HTTP client's thread, which settles them: counted,
 * or handed back to a worker to be written to {@code dropped/} (refused) or sent elsewhere (the
 * server is down). When the window stays full
 * and the queue grows, the server is too slow for the log rate: one {@code primary_slow} warning
 * a minute says so.
 *
 * <p>At 90 % queue fill one extra worker drains the queue to the fallback until it is at 10 %; a
 * full queue spills to {@code dropped/queue_full_*}. At exit, up to {@code async.exit_timeout} is
 * given to deliver by the current route, and what is left goes to {@code dropped/shutdown_unsent_*}.
 */
public final class Delivery {

    /** Records a worker takes from the queue at a time for the primary, each sent as the window allows. */
    static final int PRIMARY_BATCH = 64;
    /** The smallest overflow buffer, in records; it holds references only while the spill thread catches up. */
    static final int OVERFLOW_MIN = 16_384;
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /**
     * How long a worker woken for a few records waits for more before handing them to the HTTP
     * client: at a few thousand records a second, one wake-up and one hand-over for several
     * records instead of each (the wake-ups, not the requests, were most of the CPU shipping
     * cost on a busy machine). Records wait at most this long more.
     */
    static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** Batches this small linger; larger ones go at once. */
    private static final int LINGER_BELOW = 16;
    /** Between two tries of records that wait for EchoPost to finish starting. */
    private static final long WAIT_FOR_ECHOPOST_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** What the shutdown may take past async.exit_timeout, writing to dropped/ included: under a second. */
    private static final long AFTER_DEADLINE_NANOS = TimeUnit.MILLISECONDS.toNanos(700);
    private static final long REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** How often the window is looked at for {@code primary_slow}; it is reported at most once a minute. */
    static final long SLOW_CHECK_MILLIS = 5_000;
    private static final long SLOW_REPEAT_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** What delivery needs to know from the configuration. */
    public static final class Settings {
        final int queueSize;
        final int workers;
        final int maxInFlight;
        final Duration exitTimeout;
        final Endpoint primary;
        final Endpoint fallback;
        final String serverHost;
        final String fallbackHost;
        final String apiKeyHeader;
        final String apiKey;

        /** {@code apiKey} null: nothing is shipped; records are only printed when a rule says so. */
        public Settings(int queueSize, int workers, int maxInFlight, Duration exitTimeout, Servers servers,
                String apiKeyHeader, String apiKey) {
            this.queueSize = queueSize;
            this.workers = workers;
            this.maxInFlight = maxInFlight;
            this.exitTimeout = exitTimeout;
            this.primary = servers.primary();
            this.fallback = servers.fallback();
            this.serverHost = primary.target().toString();
            this.fallbackHost = fallback.target().toString();
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
    private final OnDemandTransport http;
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
    /** When the primary was reported down, until EchoPost stored the first records (0: not waiting). */
    private final AtomicLong downSince = new AtomicLong();
    /**
     * Records accepted into the queue whose fate is not settled yet: what shutdown waits for. A
     * LongAdder, because logging threads add and workers subtract, and one shared atomic would
     * bounce its cache line between them on every record.
     */
    private final LongAdder outstanding = new LongAdder();
    /** Requests to the primary that may be in flight at once. */
    private final Semaphore window;
    /** Records sent to the primary and not answered yet; whoever removes one settles it. */
    private final Set<CapturedRecord> inFlight = ConcurrentHashMap.newKeySet();
    /** Answered with "down" (above 500, no answer): for a worker to send elsewhere, or again. */
    private final ConcurrentLinkedQueue<CapturedRecord> returned = new ConcurrentLinkedQueue<>();
    /** Refused by the primary (3xx..500): for a worker to write to {@code dropped/primary_failed_*}. */
    private final ConcurrentLinkedQueue<Refusal> refused = new ConcurrentLinkedQueue<>();
    /** Nanoseconds workers waited for a place in a full window. */
    private final LongAdder windowWaitNanos = new LongAdder();
    private final SlowServerCheck slowCheck = new SlowServerCheck();
    private final RateLimitedWarning rejectedByPrimary = new RateLimitedWarning("primary_rejected");
    private final RateLimitedWarning fallbackFailed = new RateLimitedWarning("fallback_failed");
    private final RateLimitedWarning drainFailed = new RateLimitedWarning("drain_worker_failed");
    private volatile boolean closed;
    /** The shutdown hook has taken what was in flight for the last time. */
    private volatile boolean lastSweepDone;
    /** The shutdown hook has taken what was queued: a record offered after that is its producer's to write. */
    private volatile boolean queueDrained;
    private final AtomicBoolean loggedAfterShutdown = new AtomicBoolean();

    /**
     * @param http the HTTP client's threads, made in the background ({@link HttpClients#start()}); null to
     *     start them only when the records need them
     */
    public Delivery(Settings settings, CompletableFuture<HttpTransport> http, EchoPostLink echoPost, DroppedFiles dropped,
            StdoutPrinter stdout, Counters counters) {
        this.settings = settings;
        this.counters = counters;
        this.queue = new RecordQueue<>(settings.queueSize);
        this.dropped = dropped;
        this.stdout = stdout;
        // Room for a burst while the spill thread writes: a cold JVM on 2 cores took 5 000 records
        // logged at once past a 500 queue and 1 024 here (records_lost, on Temurin 25 in CI).
        this.overflow = new OverflowSpiller(Math.max(OVERFLOW_MIN, settings.queueSize / 2), dropped, stdout, counters);
        this.http = new OnDemandTransport(http);
        this.echoPost = echoPost;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(AgentThreads.factory("datanadhi-health"));
        String key = settings.apiKey == null ? "" : settings.apiKey;
        this.window = new Semaphore(settings.maxInFlight);
        this.primary = new PrimaryServer(this.http, settings.primary, settings.maxInFlight, settings.apiKeyHeader, key);
        // Classes, not lambdas, on the start-up path (see AgentThreads).
        this.primaryHealth = new HealthMonitor("the primary server " + settings.serverHost,
                new Supplier<CompletableFuture<Boolean>>() {
                    @Override
                    public CompletableFuture<Boolean> get() {
                        return primary.healthy();
                    }
                }, new Runnable() {
                    @Override
                    public void run() {
                        primaryRecovered();
                    }
                }, scheduler);
        this.fallback = new FallbackServer(this.http, settings.fallback, settings.apiKeyHeader, key);
        this.fallbackHealth = new HealthMonitor("the fallback server " + settings.fallbackHost,
                new Supplier<CompletableFuture<Boolean>>() {
                    @Override
                    public CompletableFuture<Boolean> get() {
                        return fallback.healthy();
                    }
                }, new Runnable() {
                    @Override
                    public void run() {
                        fallbackRecovered();
                    }
                }, scheduler);
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
        every(Duration.ofMillis(SLOW_CHECK_MILLIS), Duration.ofMillis(SLOW_CHECK_MILLIS), slowCheck);
        if (settings.apiKey != null) {
            if (!primary.sendsFirstRecordsAlone()) {
                http.get(); // the first records need the full client: start it now
            }
            // The connection is ready when the first record is (on a thread of its own: a blocking connect).
            AgentThreads.newThread("datanadhi-connect", new Runnable() {
                @Override
                public void run() {
                    primary.preconnect();
                }
            }).start();
        }
    }

    /** Called on the logging thread. Never blocks; a full queue sends the record to disk. */
    public void submit(CapturedRecord record) {
        if (closed) {
            afterShutdown(record);
            return;
        }
        outstanding.increment();
        if (queue.offer(record)) {
            if (queueDrained) {
                // The shutdown hook emptied the queue between the check above and the offer: what
                // is there now came after its last look (a few records at most).
                for (CapturedRecord left; (left = queue.poll()) != null; ) {
                    afterShutdown(left);
                }
                return;
            }
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

    /** Records the workers (and the drain worker) took from the queue so far. */
    public long queueTaken() {
        return queue.taken();
    }

    public int queueCapacity() {
        return queue.capacity();
    }

    public boolean primaryUp() {
        return primaryUp.get();
    }

    /** Requests to the primary in flight now. */
    public int inFlight() {
        return primary.inFlight();
    }

    public int maxInFlight() {
        return settings.maxInFlight;
    }

    /** Looks at the window now, as the periodic check does (tests). */
    void checkSlow() {
        slowCheck.run();
    }

    /** For tests: the primary's blocking connections judged it far at least once (see {@link NearServerSender}). */
    boolean primaryJudgedFar() {
        return primary.judgedFar();
    }

    /** A moving average of the primary's round trip, in milliseconds; 0 before the first answer. */
    public double roundTripMillis() {
        return primary.roundTripMillis();
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
        return scheduler.scheduleWithFixedDelay(new Runnable() {
            @Override
            public void run() {
                try {
                    task.run();
                } catch (Throwable t) {
                    Diagnostics.warn("housekeeping_error", "a periodic task of the agent failed; it runs again later", t);
                }
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
        if (closed) {
            return;
        }
        if (primaryUp.compareAndSet(true, false)) {
            downSince.set(System.nanoTime());
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

    /**
     * While the primary is down: EchoPost, then the fallback, then disk. Returns the records that
     * wait for EchoPost (starting, or busy for a moment): the caller keeps them and tries again.
     */
    private List<CapturedRecord> deliverElsewhere(List<CapturedRecord> records, DropKind ifAllFail)
            throws InterruptedException {
        List<CapturedRecord> rest = records;
        List<CapturedRecord> waiting = new ArrayList<>();
        if (echoPost.enabled()) {
            List<CapturedRecord> notStored = new ArrayList<>();
            List<List<CapturedRecord>> chunks = chunks(rest, EchoPostLink.MAX_BATCH, EchoPostLink.MAX_BATCH_BYTES);
            for (int i = 0; i < chunks.size(); i++) {
                List<CapturedRecord> chunk = chunks.get(i);
                EchoPostLink.Result result;
                try {
                    result = waiting.isEmpty() ? echoPost.send(chunk) : EchoPostLink.Result.WAIT;
                } catch (InterruptedException e) {
                    // Stopped at exit: this worker owns them (released), so it writes them.
                    List<CapturedRecord> unsent = new ArrayList<>(waiting);
                    unsent.addAll(notStored);
                    chunks.subList(i, chunks.size()).forEach(unsent::addAll);
                    writeUnsent(unsent);
                    throw e;
                }
                if (result == EchoPostLink.Result.STORED) {
                    counters.countSentEchoPost(chunk.size());
                    tookOver(chunk.size());
                } else if (result == EchoPostLink.Result.WAIT) {
                    waiting.addAll(chunk);
                } else {
                    notStored.addAll(chunk);
                }
            }
            rest = notStored;
        }
        if (!rest.isEmpty()) {
            try {
                toFallback(rest, ifAllFail);
            } catch (InterruptedException e) {
                writeUnsent(waiting);
                throw e;
            }
        }
        return waiting;
    }

    /** Records a worker owns and can no longer hand on (stopped at exit): to {@code dropped/shutdown_unsent_*}. */
    private void writeUnsent(List<CapturedRecord> records) {
        if (!records.isEmpty()) {
            dropped.write(DropKind.SHUTDOWN_UNSENT, records);
        }
    }

    /** Once an outage: how long the first records waited for EchoPost, the figure of its start. */
    private void tookOver(int records) {
        long since = downSince.get();
        if (since != 0 && downSince.compareAndSet(since, 0L)) {
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
            Diagnostics.info("echopost_took_over", "EchoPost stored the first " + records + " record(s) of this outage "
                    + millis + " ms after the server stopped answering", "millis", millis, "count", records);
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
            SendResult result;
            try {
                result = await(fallback.send(chunk), FallbackServer.SEND_TIMEOUT);
            } catch (InterruptedException e) {
                writeUnsent(records.subList(from, records.size())); // the caller released them: ours to write
                throw e;
            }
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

    /** Writes records the calling worker has {@linkplain HeldRecords#release released}: they are its alone. */
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
     * current route, EchoPost included), then what is left goes to {@code dropped/shutdown_unsent_*}:
     * what is queued, what the workers hold, and requests still in flight (their connections are
     * closed; a record the server answered in the meantime is counted as delivered, never also
     * written). Records logged after this go straight to disk.
     */
    public void shutdown() {
        shutdown(System.nanoTime() + settings.exitTimeout.toNanos());
    }

    /**
     * As {@link #shutdown()}, with the deadline the agent's shutdown started from. What follows the
     * deadline is bounded too (a few hundred ms): the JVM's exit is never held up by more than
     * {@code async.exit_timeout} plus a second, whatever a worker is doing (a start of EchoPost
     * included: one that does not listen yet is stopped, and none is started after this).
     */
    public void shutdown(long deadline) {
        wakeAllWorkers();
        // Looked at every millisecond: a short job's exit waits for its last record by at most that
        // much more (10 ms, 5 on average, when it looked every 10), for a few hundred wake-ups.
        while (System.nanoTime() - deadline < 0 && (outstanding.sum() > 0 || !queue.isEmpty() || overflow.busy())) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        closed = true;
        List<Worker> all = new ArrayList<>(workers);
        all.add(drainWorker);
        for (Worker worker : all) {
            worker.stopped = true;
            worker.thread.interrupt();
        }
        echoPost.close(); // before records go to dropped/: no EchoPost is started after that
        long joinDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        for (Worker worker : all) {
            try {
                worker.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinDeadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // A record can be in two of these places for a moment (a worker's batch as it is sent): once each.
        Set<CapturedRecord> unsent = Collections.newSetFromMap(new IdentityHashMap<>());
        List<CapturedRecord> ordered = new ArrayList<>();
        for (CapturedRecord record : new ArrayList<>(inFlight)) {
            if (inFlight.remove(record) && unsent.add(record)) {
                ordered.add(record);
            }
        }
        primary.close(); // what was in flight is ours now; its answers are ignored
        for (Worker worker : all) {
            for (CapturedRecord record : worker.held.claim()) {
                if (unsent.add(record)) {
                    ordered.add(record);
                }
            }
        }
        // What a worker released before the claim was in flight before it was released (see
        // sendToPrimary): taken here, once, with what a worker still running past its join put in
        // flight after the first look (nothing is dispatched once the primary is closed, and an
        // answer not yet seen would come after the JVM has gone). From here an answer cut short by
        // the exit is written where it comes; one left in flight before it saw this is taken now.
        lastSweepDone = true;
        for (CapturedRecord record : new ArrayList<>(inFlight)) {
            if (inFlight.remove(record) && unsent.add(record)) {
                ordered.add(record);
            }
        }
        for (CapturedRecord record; (record = returned.poll()) != null; ) {
            if (unsent.add(record)) {
                ordered.add(record);
            }
        }
        List<CapturedRecord> refusedAtExit = new ArrayList<>();
        for (Refusal refusal; (refusal = refused.poll()) != null; ) {
            if (unsent.add(refusal.record)) {
                refusedAtExit.add(refusal.record);
            }
        }
        if (!refusedAtExit.isEmpty()) {
            dropped.write(DropKind.PRIMARY_FAILED, refusedAtExit);
        }
        List<CapturedRecord> queued = new ArrayList<>();
        queue.drainTo(queued, Integer.MAX_VALUE);
        queueDrained = true;
        queue.drainTo(queued, Integer.MAX_VALUE); // offered before the flag could be seen
        for (CapturedRecord record : queued) {
            if (record.stdout) {
                stdout.print(record);
            }
            if (record.shipped() && unsent.add(record)) {
                ordered.add(record);
            }
        }
        // What the spiller still writes (queue_full) gets what is left of the second after the deadline.
        overflow.close(Math.max(100, TimeUnit.NANOSECONDS.toMillis(deadline + AFTER_DEADLINE_NANOS - System.nanoTime())));
        primaryHealth.close();
        fallbackHealth.close();
        if (!ordered.isEmpty()) {
            dropped.write(DropKind.SHUTDOWN_UNSENT, ordered);
            Diagnostics.warn("shutdown_unsent",
                    ordered.size() + " record(s) not delivered within async.exit_timeout ("
                            + settings.exitTimeout.toSeconds() + " s); written to " + dropped.directory()
                            + "/shutdown_unsent_*.jsonl",
                    "count", ordered.size());
        }
        // A worker stopped in the middle of a hand-off writes what it still owns itself (HeldRecords):
        // it gets what is left of the second after the deadline.
        for (Worker worker : all) {
            try {
                worker.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline + AFTER_DEADLINE_NANOS - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        scheduler.shutdownNow();
        fallback.close();
        http.close(500);
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

    /** A record the primary refused, and why. */
    private static final class Refusal {
        final CapturedRecord record;
        final String detail;

        Refusal(CapturedRecord record, String detail) {
            this.record = record;
            this.detail = detail;
        }
    }

    private final class Answered implements Consumer<SendResult> {
        private final CapturedRecord record;

        Answered(CapturedRecord record) {
            this.record = record;
        }

        @Override
        public void accept(SendResult result) {
            answered(record, result);
        }
    }

    /**
     * The primary's answer to one record: on the HTTP client's thread, or on the worker for the
     * records a near server's blocking connections carried. Quick, never blocks.
     */
    private void answered(CapturedRecord record, SendResult result) {
        window.release();
        if (closed && !lastSweepDone && result.kind != SendResult.Kind.DELIVERED && result.kind != SendResult.Kind.REJECTED) {
            // Cut short by the exit (a blocking send the worker's interrupt closed): not the server's
            // failure. Left in flight, where the shutdown hook takes it with the others.
            return;
        }
        if (!inFlight.remove(record)) {
            return; // shutdown took it
        }
        switch (result.kind) {
            case DELIVERED:
                counters.countShippedPrimary();
                outstanding.decrement();
                return;
            case REJECTED:
                Refusal refusal = new Refusal(record, result.detail);
                refused.add(refusal);
                if (closed && refused.remove(refusal)) {
                    dropped.write(DropKind.PRIMARY_FAILED, List.of(record));
                    return;
                }
                break;
            default:
                primaryDown(result.detail);
                returned.add(record);
                if (closed && returned.remove(record)) {
                    // The answer came as the shutdown hook collected what was returned: written here, once.
                    dropped.write(DropKind.SHUTDOWN_UNSENT, List.of(record));
                    return;
                }
        }
        wakeOneWorker();
    }

    /**
     * Every {@link #SLOW_CHECK_MILLIS}: a server too slow for the log rate keeps the window full
     * while the queue fills. Then one {@code primary_slow} warning, at most one a minute.
     */
    private final class SlowServerCheck implements Runnable {
        /** The first look only takes the baseline: at start the window fills with what waited for the agent. */
        private boolean baseline = true;
        private long lastCheckNanos = System.nanoTime();
        private long lastSubmitted;
        private long lastDelivered;
        private long lastWaited;
        private int lastDepth;
        private long lastWarningNanos;

        @Override
        public synchronized void run() {
            long now = System.nanoTime();
            long submitted = counters.matched(); // counted on the logging thread already: the log rate
            long delivered = counters.shippedPrimary();
            long waited = windowWaitNanos.sum();
            int depth = queue.size();
            double seconds = (now - lastCheckNanos) / 1e9;
            double loggedRate = (submitted - lastSubmitted) / seconds;
            double deliveredRate = (delivered - lastDelivered) / seconds;
            boolean windowFull = waited - lastWaited > (now - lastCheckNanos) / 2;
            boolean backlog = depth > queue.capacity() / 10 && depth >= lastDepth;
            // Answers come back, slowly: a server that answers nothing is down, not slow.
            boolean answering = delivered > lastDelivered && primary.roundTripMillis() > 0;
            if (!baseline && windowFull && backlog && answering && primaryUp.get() && !closed
                    && (lastWarningNanos == 0 || now - lastWarningNanos >= SLOW_REPEAT_NANOS)) {
                lastWarningNanos = now;
                long roundTrip = Math.max(1, Math.round(primary.roundTripMillis()));
                long needed = Math.round(loggedRate * roundTrip / 1000.0);
                Diagnostics.warn("primary_slow", String.format("the Data Nadhi server at %s is too slow for the log"
                        + " rate: the application logs %.0f records/s to ship, %.0f/s are delivered; each request takes"
                        + " %d ms and all %d requests of the window are in flight (async.max_in_flight); the queue holds"
                        + " %d of %d. A window of about %d would keep up.", settings.serverHost, loggedRate, deliveredRate,
                        roundTrip, settings.maxInFlight, depth, queue.capacity(), needed),
                        "logged_per_second", Math.round(loggedRate), "delivered_per_second", Math.round(deliveredRate),
                        "round_trip_ms", roundTrip, "in_flight", primary.inFlight(), "max_in_flight", settings.maxInFlight,
                        "queue", depth, "queue_capacity", queue.capacity());
            }
            baseline = false;
            lastCheckNanos = now;
            lastSubmitted = submitted;
            lastDelivered = delivered;
            lastWaited = waited;
            lastDepth = depth;
        }
    }

    private final class Worker implements Runnable {
        private final Thread thread;
        private final boolean drain;
        private final List<CapturedRecord> batch = new ArrayList<>();
        /** What this worker has taken from the queue and not yet handed on: for the shutdown hook. */
        final HeldRecords held = new HeldRecords();
        volatile boolean parked;
        volatile boolean stopped;

        Worker(String name, boolean drain) {
            this.thread = AgentThreads.newThread(name, this);
            this.drain = drain;
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
                } catch (InterruptedException e) {
                    if (stopped) {
                        return;
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
            writeRefused();
            boolean up = primaryUp.get();
            int wanted = up ? PRIMARY_BATCH : EchoPostLink.MAX_BATCH;
            takeReturned(wanted);
            if (batch.size() < wanted && take(wanted - batch.size()) == 0 && batch.isEmpty()) {
                idle();
                return;
            }
            if (batch.isEmpty()) {
                return;
            }
            if (up && batch.size() < LINGER_BELOW && !stopped && !closed) {
                LockSupport.parkNanos(this, LINGER_NANOS);
                take(wanted - batch.size());
            }
            if (up) {
                sendToPrimary();
            } else {
                primaryHealth.watch();
                List<CapturedRecord> records = new ArrayList<>(batch);
                if (!held.release(records)) {
                    batch.clear(); // the shutdown hook has them
                    return;
                }
                List<CapturedRecord> waiting = deliverElsewhere(records, DropKind.FALLBACK_FAILED);
                settle(records.size() - waiting.size());
                batch.clear();
                batch.addAll(waiting); // first in the next step: their order is kept
                if (!waiting.isEmpty()) {
                    hold();
                    LockSupport.parkNanos(this, WAIT_FOR_ECHOPOST_NANOS);
                }
            }
            hold();
        }

        /** Records the primary answered "down" for: sent again, or elsewhere while it is down. */
        private void takeReturned(int max) {
            if (stopped) {
                return; // what is left is the shutdown hook's
            }
            CapturedRecord record;
            while (batch.size() < max && (record = returned.poll()) != null) {
                batch.add(record);
            }
            hold();
        }

        /** Records the primary refused, to {@code dropped/primary_failed_*}. */
        private void writeRefused() {
            if (refused.isEmpty()) {
                return;
            }
            List<CapturedRecord> records = new ArrayList<>();
            String detail = null;
            for (Refusal refusal; records.size() < 1000 && (refusal = refused.poll()) != null; ) {
                records.add(refusal.record);
                detail = refusal.detail;
            }
            dropped.write(DropKind.PRIMARY_FAILED, records);
            rejectedByPrimary.report(records.size(), "refused by the Data Nadhi server (" + detail
                    + "); written to " + dropped.directory() + "/primary_failed_*.jsonl");
            settle(records.size());
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
                    if (!held.release(records)) {
                        batch.clear(); // the shutdown hook has them
                        break;
                    }
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
            if (stopped) {
                return 0; // what is left is the shutdown hook's
            }
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
         * Hands the batch to the primary, one request per record, as fast as the window lets it:
         * a worker waits only for a free place in the window, and for the answers of the records
         * a near server's blocking connections carry (at most about 20 ms of them). The records
         * that have a place go to the HTTP client together (one hand-over to its thread). Stops
         * when the primary is reported down; the rest goes elsewhere at the next step.
         */
        private void sendToPrimary() throws InterruptedException {
            int sent = 0;
            while (sent < batch.size() && !stopped && primaryUp.get()) {
                int places = window.drainPermits();
                if (places == 0) {
                    long waitStart = System.nanoTime();
                    boolean acquired = window.tryAcquire(100, TimeUnit.MILLISECONDS);
                    windowWaitNanos.add(System.nanoTime() - waitStart);
                    if (!acquired) {
                        continue;
                    }
                    places = 1;
                }
                int end = Math.min(batch.size(), sent + places);
                if (end - sent < places) {
                    window.release(places - (end - sent)); // more places than records
                }
                List<CapturedRecord> records = batch.subList(sent, end);
                List<byte[]> envelopes = new ArrayList<>(records.size());
                try {
                    for (CapturedRecord record : records) {
                        envelopes.add(RecordWriter.envelope(record));
                    }
                } catch (RuntimeException e) {
                    window.release(end - sent);
                    throw e;
                }
                // In flight before they leave this worker: whenever the shutdown hook looks (at what
                // it claims from the workers, then at what is in flight), each record is in one place
                // or the other, even for a worker the machine did not run for a while.
                inFlight.addAll(records);
                if (!held.release(records)) {
                    inFlight.removeAll(records); // the hook claimed them (written once, even if it saw them here too)
                    window.release(end - sent);
                    batch.clear(); // the shutdown hook has them
                    return;
                }
                // A full batch, or a queue that holds another: a backlog, which wants requests side by side.
                boolean backlog = batch.size() >= PRIMARY_BATCH || queue.size() >= PRIMARY_BATCH;
                List<CompletableFuture<SendResult>> answers = primary.send(envelopes, backlog);
                for (int i = 0; i < answers.size(); i++) {
                    CapturedRecord record = records.get(i);
                    answers.get(i).thenAccept(new Answered(record));
                }
                sent = end;
            }
            batch.subList(0, sent).clear();
        }

        private void settle(int records) {
            if (records > 0) {
                outstanding.add(-records);
            }
        }

        /**
         * Publishes the batch for the shutdown hook. Once the hook has claimed what this worker
         * held, the batch is settled: the hook wrote what it took, and what was taken since is
         * written here.
         */
        private void hold() {
            List<CapturedRecord> late = held.publish(batch);
            if (held.claimed()) {
                if (!late.isEmpty()) {
                    dropped.write(DropKind.SHUTDOWN_UNSENT, late);
                }
                batch.clear();
            }
        }

        private void idle() {
            parked = true;
            if (queue.isEmpty() && returned.isEmpty() && refused.isEmpty() && !stopped) {
                LockSupport.parkNanos(this, IDLE_PARK_NANOS);
            }
            parked = false;
        }
    }
}
