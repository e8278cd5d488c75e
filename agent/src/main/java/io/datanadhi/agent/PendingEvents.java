package io.datanadhi.agent;

import io.datanadhi.agent.capture.Mappers;
import io.datanadhi.agent.record.EarlyEvent;
import io.datanadhi.agent.record.EarlyEventCodec;
import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.agent.record.Level;
import io.datanadhi.bootstrap.CaptureSink;
import io.datanadhi.bootstrap.CapturedEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The sink while the agent is starting (configuration and rules load on a background thread so
 * that premain returns at once). Every event logged meanwhile is copied on its own thread into an
 * {@link EarlyEvent}, encoded there as bytes ({@link EarlyEventCodec}), and evaluated once the
 * rules are loaded, in the order logged.
 *
 * <p>No lock: the bytes go into a lock-free queue. Memory stays bounded: once they pass
 * {@link #spillAt} bytes, a thread of ours moves the oldest into a file under {@code <dir>} (as
 * soon as the configuration says where that is), which is read back first; that thread only
 * copies bytes, so it keeps up with the application's threads. Only if the queue still reaches
 * {@link #limit} (the file cannot be written, or not fast enough) are events skipped, and then
 * counted and reported with the reason, as are copies that failed.
 */
final class PendingEvents implements CaptureSink {

    private static final long MAX_HEAP = Runtime.getRuntime().maxMemory();
    /** Hidden, for tests that need the file with fewer events: the bytes kept in memory before spilling. */
    static final String MEMORY_PROPERTY = "datanadhi.internal.startup_memory_bytes";
    private static final long HAND_OFF_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final long spillAt;
    private final long limit;
    private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    /** Application threads between their check of {@link #handedOff} and their event's enqueueing. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong failedCopies = new AtomicLong();
    private final AtomicLong overLimit = new AtomicLong();
    private volatile String limitReason = "the configuration, which says where to spill them, was not read yet";
    /** Until the configuration is read, its default ({@code log.max_stacktrace_bytes}). */
    private volatile int maxStackTraceBytes = 64 * 1024;
    /** Until the configuration is read, the largest {@code log.max_message_bytes}. */
    private volatile int maxValueBytes = EarlyEvent.MAX_VALUE_BYTES;
    /** {@code log.level} once the configuration is read: events below it are counted, not copied. */
    private volatile Level threshold;
    private final AtomicLong belowThreshold = new AtomicLong();
    private volatile boolean handedOff;
    /** Set once the queue was read for the last time: a copy put in after that is taken back by its thread. */
    private volatile boolean drained;
    private volatile CaptureSink next;

    private Thread spiller;
    private volatile boolean stopSpilling;
    /** The spiller's file, once it made one; read once the spiller has ended. */
    private volatile EarlyEventSpill spill;
    private volatile String writeFailure;

    PendingEvents() {
        this(Long.getLong(MEMORY_PROPERTY, Math.min(8L << 20, MAX_HEAP / 32)), Math.min(64L << 20, MAX_HEAP / 8));
    }

    /** @param spillAt bytes of copies in memory past which they go to the file; {@code limit}: past which events are skipped */
    PendingEvents(long spillAt, long limit) {
        this.spillAt = spillAt;
        this.limit = limit;
    }

    @Override
    public void accept(CapturedEvent scratch, String framework, Object event, Object logger) {
        if (!handedOff) {
            inFlight.incrementAndGet();
            try {
                if (!handedOff && keep(scratch, framework, event, logger)) {
                    return;
                }
            } finally {
                inFlight.decrementAndGet();
            }
        }
        CaptureSink target = next; // written before the hand-off was published
        if (target != null) {
            target.accept(scratch, framework, event, logger);
        }
    }

    /**
     * Keeps a copy of the event; false when it must go to the sink instead: its copy arrived after
     * the queue was read for the last time (the hand-off gave up waiting for it).
     */
    private boolean keep(CapturedEvent scratch, String framework, Object event, Object logger) {
        EventMapper mapper = Mappers.forFramework(framework);
        if (mapper == null || !mapper.logged(event, logger)) {
            return true;
        }
        Level below = threshold;
        if (below != null && !mapper.level(event).atLeast(below)) {
            belowThreshold.incrementAndGet(); // no rule sees it: only counted, as the agent counts it live
            return true;
        }
        if (queuedBytes.get() > limit) {
            overLimit.incrementAndGet();
            return true;
        }
        byte[] copy;
        try {
            copy = EarlyEventCodec.encode(EarlyEvent.of(scratch.set(framework, event, logger), mapper, maxValueBytes),
                    maxStackTraceBytes);
        } catch (Throwable e) {
            failedCopies.incrementAndGet(); // the event could not be read: counted, not lost silently
            return true;
        } finally {
            scratch.clear();
        }
        queuedBytes.addAndGet(size(copy));
        queue.add(copy);
        // Either the last read of the queue sees the copy, or this thread takes it back: never both.
        return !drained || !queue.remove(copy);
    }

    /** What one copy holds on the heap: the array and the queue's node. */
    private static long size(byte[] copy) {
        return copy.length + 48;
    }

    /**
     * What the configuration says, once read: events below {@code threshold} are only counted;
     * copies are cut to the record's limits; past the memory budget they go to a file in
     * {@code <dir>/startup}, written by a thread of ours (the file made only when needed).
     */
    synchronized void configure(Path agentDir, Level threshold, int maxValueBytes, int maxStackTraceBytes) {
        if (handedOff || spiller != null) {
            return;
        }
        this.maxStackTraceBytes = maxStackTraceBytes;
        this.maxValueBytes = maxValueBytes;
        this.threshold = threshold;
        limitReason = "the spill to " + agentDir.resolve(EarlyEventSpill.DIR) + " had not started";
        spiller = AgentThreads.newThread("datanadhi-startup-spill", new Runnable() {
            @Override
            public void run() {
                spill(agentDir);
            }
        });
        spiller.start();
    }

    private void spill(Path agentDir) {
        EarlyEventSpill file = null;
        try {
            while (!stopSpilling) {
                if (queuedBytes.get() <= spillAt) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    continue;
                }
                if (file == null) {
                    file = open(agentDir);
                    if (file == null) {
                        return;
                    }
                }
                // Down to half the budget: the file is written in runs, not an event at a time.
                while (!stopSpilling && queuedBytes.get() > spillAt / 2) {
                    byte[] oldest = queue.poll();
                    if (oldest == null) {
                        break;
                    }
                    queuedBytes.addAndGet(-size(oldest));
                    file.write(oldest);
                }
            }
            if (file != null) {
                file.finish();
            }
        } catch (IOException | RuntimeException e) {
            writeFailure = "writing " + (file == null ? "the start-up spill file" : file.file()) + " failed: " + e;
            limitReason = writeFailure;
            if (file != null) {
                file.abandon();
            }
        }
    }

    private EarlyEventSpill open(Path agentDir) {
        try {
            EarlyEventSpill file = EarlyEventSpill.create(agentDir);
            spill = file;
            limitReason = "the spill to " + file.file() + " could not keep up";
            return file;
        } catch (IOException | RuntimeException e) {
            limitReason = "no spill file could be made in " + agentDir.resolve(EarlyEventSpill.DIR) + ": " + e;
            return null;
        }
    }

    /**
     * From now on events go to {@code sink} (null: nowhere). Returns what was collected, to be
     * evaluated (or discarded) by the caller. Waits for threads still putting their copy in and for
     * the spill thread, until {@code deadlineNanos} at the latest. Only the first call hands off; a
     * later one (a shutdown racing the start) gets nothing.
     */
    Early handOff(CaptureSink sink, long deadlineNanos) {
        Thread writer;
        synchronized (this) {
            if (handedOff) {
                return new Early(null, new ConcurrentLinkedQueue<>(), null, null, false);
            }
            next = sink;
            handedOff = true;
            writer = spiller;
        }
        // Threads that saw the buffer open finish putting their copy in: a few microseconds, unless
        // an application's toString blocks; a copy that arrives after the last read is theirs again.
        long deadline = Math.min(deadlineNanos, System.nanoTime() + HAND_OFF_WAIT_NANOS);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.yield();
        }
        if (writer != null) {
            stopSpilling = true;
            LockSupport.unpark(writer);
            try {
                writer.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (writer.isAlive()) {
                // Stuck writing (a stalled file system): the file is not read back, only counted.
                return new Early(spill, queue, "the spill thread did not finish writing in time", this, true);
            }
        }
        return new Early(spill, queue, writeFailure, this, false);
    }

    Early handOff(CaptureSink sink) {
        return handOff(sink, System.nanoTime() + HAND_OFF_WAIT_NANOS);
    }

    /** Events below {@code log.level}, counted and not copied. */
    long belowThreshold() {
        return belowThreshold.get();
    }

    /** Events skipped: their copy failed, or the buffer was full ({@link #skipReason()}). */
    long skipped() {
        return failedCopies.get() + overLimit.get();
    }

    String skipReason() {
        long full = overLimit.get();
        long failed = failedCopies.get();
        String reason = full == 0 ? "" : full + " because the start-up buffer was full (" + limitReason + ")";
        if (failed > 0) {
            reason += (reason.isEmpty() ? "" : "; ") + failed + " because copying them failed";
        }
        return reason;
    }

    /** The events collected while the agent started, oldest first: those in the file, then those in memory. */
    static final class Early {
        private final EarlyEventSpill file;
        private final ConcurrentLinkedQueue<byte[]> memory;
        private final String writeFailure;
        private final PendingEvents owner;
        /** The spill thread may still be writing the file: it is counted, never read. */
        private final boolean fileInUse;
        private volatile boolean abandoned;
        private long given;
        private long unread;
        private String unreadReason;

        Early(EarlyEventSpill file, ConcurrentLinkedQueue<byte[]> memory, String writeFailure, PendingEvents owner,
                boolean fileInUse) {
            this.file = file;
            this.memory = memory;
            this.writeFailure = writeFailure;
            this.owner = owner;
            this.fileInUse = fileInUse;
        }

        long count() {
            return spilled() + memory.size();
        }

        /** Of {@link #count()}, those in the file. */
        long spilled() {
            return file == null ? 0 : file.written();
        }

        /**
         * Gives each event to {@code each}, oldest first, until done or {@link #abandon()}ed, and
         * deletes the file. Returns how many it gave.
         */
        long forEach(Consumer<EarlyEvent> each) {
            Counting counted = new Counting(each);
            if (file != null) {
                unread = fileInUse ? file.written() : file.readBack(counted, counted);
                if (unread > 0) {
                    unreadReason = writeFailure != null ? writeFailure : file.readFailure();
                }
                file.delete();
            }
            if (owner != null) {
                owner.drained = true; // from here a late copy is taken back by its own thread
            }
            for (byte[] event = memory.poll(); event != null && !abandoned; event = memory.poll()) {
                EarlyEvent decoded;
                try {
                    decoded = EarlyEventCodec.decode(event);
                } catch (IOException | RuntimeException e) {
                    unread++; // cannot happen: these bytes never left the heap
                    unreadReason = e.toString();
                    continue;
                }
                counted.accept(decoded);
            }
            if (abandoned) {
                memory.clear();
            }
            return given;
        }

        /** Counts what {@link #forEach} gives, and tells the spill file's reader to go on until abandoned. */
        private final class Counting implements Consumer<EarlyEvent>, BooleanSupplier {
            private final Consumer<EarlyEvent> each;

            Counting(Consumer<EarlyEvent> each) {
                this.each = each;
            }

            @Override
            public void accept(EarlyEvent event) {
                given++;
                each.accept(event);
            }

            @Override
            public boolean getAsBoolean() {
                return !abandoned;
            }
        }

        /** Stops {@link #forEach} at its next event (the application is exiting). */
        void abandon() {
            abandoned = true;
        }

        boolean abandoned() {
            return abandoned;
        }

        void discard() {
            if (owner != null) {
                owner.drained = true;
            }
            if (file != null) {
                file.delete();
            }
            memory.clear();
        }

        /** Events written to the file that could not be read back (a full disk), after {@link #forEach}. */
        long unread() {
            return unread;
        }

        String unreadReason() {
            return unreadReason;
        }
    }
}
