package io.datanadhi.agent.delivery;

import io.datanadhi.agent.AgentThreads;
import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.diag.Counters.DropKind;
import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.record.CapturedRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Where records go when the queue is full: {@code dropped/queue_full_*.jsonl}, written by its
 * own thread so that the logging thread never touches the disk. Unlike the Python SDK, a full
 * queue loses nothing silently; only if this buffer overflows too are records lost, and then
 * they are counted and reported.
 */
final class OverflowSpiller {

    private static final long IDLE_CLOSE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int MAX_RECORDS_PER_FILE = 100_000;
    /** After its time at shutdown, how long the thread has to close its file once told to write no more. */
    private static final long ABANDON_WAIT_MILLIS = 200;

    private final RecordQueue<CapturedRecord> buffer;
    private final DroppedFiles dropped;
    private final StdoutPrinter stdout;
    private final Counters counters;
    private final Thread thread;
    private final AtomicLong lostSinceReport = new AtomicLong();
    /** Records the thread did not write once abandoned: {@link #close} reports them with the rest. */
    private final AtomicLong lostAtExit = new AtomicLong();
    /** The file the thread writes, while open: its records count only once it is closed. */
    private volatile DroppedFiles.Batch open;
    /** Records of the thread's batch it has not yet written, counted lost or failed. */
    private volatile int inHand;
    private volatile boolean parked;
    private volatile boolean stopped;
    private volatile boolean busy;
    /** Out of time at shutdown: the thread writes no more, closes its file, and what it did not write is lost. */
    private volatile boolean abandoned;

    OverflowSpiller(int capacity, DroppedFiles dropped, StdoutPrinter stdout, Counters counters) {
        this.buffer = new RecordQueue<>(capacity);
        this.dropped = dropped;
        this.stdout = stdout;
        this.counters = counters;
        this.thread = AgentThreads.newThread("datanadhi-overflow", new Runnable() {
            @Override
            public void run() {
                OverflowSpiller.this.run();
            }
        });
    }

    void start() {
        thread.start();
    }

    /** Called on the logging thread: never blocks. */
    void spill(CapturedRecord record) {
        if (buffer.offer(record)) {
            if (parked) {
                LockSupport.unpark(thread);
            }
        } else {
            counters.lost(1);
            lostSinceReport.incrementAndGet();
        }
    }

    boolean busy() {
        return busy || !buffer.isEmpty();
    }

    /**
     * Writes what is buffered and stops, within {@code timeoutMillis} (the JVM's exit waits for
     * it). Out of time (a slow disk, an application that logged more than it could write), it
     * writes no more, closes its file, and what it did not write is counted lost and reported: once
     * this returns, each record given to {@link #spill} is in a closed file or counted, none is
     * left to vanish with the JVM.
     */
    void close(long timeoutMillis) {
        stopped = true;
        LockSupport.unpark(thread);
        join(timeoutMillis);
        if (thread.isAlive()) {
            abandoned = true;
            join(ABANDON_WAIT_MILLIS);
        }
        String stuck = "";
        int held = 0;
        if (thread.isAlive()) {
            // Its write or close did not return (a disk that does not answer): what it holds goes with the JVM.
            DroppedFiles.Batch file = open;
            held = inHand + (file == null ? 0 : file.count());
            counters.lost(held);
            stuck = file == null ? "" : "; " + file.file() + " was being written and may be incomplete";
        }
        List<CapturedRecord> unwritten = new ArrayList<>();
        buffer.drainTo(unwritten, Integer.MAX_VALUE);
        if (!abandoned) {
            close(write(null, unwritten)); // spilled after the thread's last look, if any
            return;
        }
        int unwrittenShipped = shipped(unwritten);
        counters.lost(unwrittenShipped);
        long lost = unwrittenShipped + lostAtExit.get() + held;
        if (lost > 0) {
            Diagnostics.error("records_lost", lost + " record(s) were lost: the queue was full and they could not be"
                    + " written to " + dropped.directory() + " within async.exit_timeout" + stuck, "count", lost);
        }
    }

    private void join(long millis) {
        try {
            thread.join(Math.max(1, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        DroppedFiles.Batch file = null;
        long lastWrite = System.nanoTime();
        List<CapturedRecord> batch = new ArrayList<>(256);
        while (true) {
            batch.clear();
            busy = buffer.drainTo(batch, 256) > 0;
            if (!batch.isEmpty()) {
                file = write(file, batch);
                lastWrite = System.nanoTime();
                busy = false;
                if (abandoned) {
                    close(file);
                    reportLost();
                    return;
                }
                continue;
            }
            busy = false;
            reportLost();
            if (file != null && (stopped || System.nanoTime() - lastWrite > IDLE_CLOSE_NANOS)) {
                file = close(file);
            }
            if (stopped) {
                return;
            }
            parked = true;
            if (buffer.isEmpty()) {
                LockSupport.parkNanos(this, IDLE_CLOSE_NANOS / 2);
            }
            parked = false;
        }
    }

    /** The records among {@code records} that go to the server (the others are only printed). */
    private static int shipped(List<CapturedRecord> records) {
        int shipped = 0;
        for (CapturedRecord record : records) {
            if (record.shipped()) {
                shipped++;
            }
        }
        return shipped;
    }

    private DroppedFiles.Batch write(DroppedFiles.Batch file, List<CapturedRecord> batch) {
        inHand = shipped(batch);
        for (CapturedRecord record : batch) {
            if (abandoned) {
                if (record.shipped()) {
                    counters.lost(1);
                    lostAtExit.incrementAndGet();
                    inHand--;
                }
                continue;
            }
            if (record.stdout) {
                stdout.print(record);
            }
            if (!record.shipped()) {
                continue;
            }
            try {
                if (file == null) {
                    file = dropped.open(DropKind.QUEUE_FULL);
                    open = file;
                    Diagnostics.warn("queue_full",
                            "the agent's queue is full; records are written to " + file.file()
                                    + " until it has room again (raise async.queue_size, or see why delivery is slow)",
                            "file", file.file().toString());
                }
                file.append(record);
                inHand--;
                if (file.count() >= MAX_RECORDS_PER_FILE) {
                    file = close(file);
                }
            } catch (IOException | RuntimeException e) {
                dropped.reportLoss(DropKind.QUEUE_FULL, 1, e);
                inHand--;
                file = close(file);
            }
        }
        return file;
    }

    private DroppedFiles.Batch close(DroppedFiles.Batch file) {
        if (file != null) {
            try {
                file.close();
            } catch (IOException e) {
                dropped.reportLoss(DropKind.QUEUE_FULL, file.count(), e);
            } finally {
                open = null; // only now: a close that hangs leaves its records to be counted lost at exit
            }
        }
        return null;
    }

    private void reportLost() {
        long lost = lostSinceReport.getAndSet(0);
        if (lost > 0) {
            Diagnostics.error("records_lost",
                    lost + " record(s) were lost: the queue and its overflow buffer were both full",
                    "count", lost);
        }
    }
}
