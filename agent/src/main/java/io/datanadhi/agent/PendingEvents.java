package io.datanadhi.agent;

import io.datanadhi.agent.capture.Mappers;
import io.datanadhi.agent.record.EarlyEvent;
import io.datanadhi.agent.record.EarlyEventCodec;
import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.bootstrap.CaptureSink;
import io.datanadhi.bootstrap.CapturedEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
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
    /** Until the configuration is read, its default. */
    private volatile int maxStackTraceBytes = 16 * 1024;
    private volatile boolean handedOff;
    private CaptureSink next;

    private Thread spiller;
    private volatile boolean stopSpilling;
    /** The spiller's file, read once the spiller has ended. */
    private EarlyEventSpill spill;

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
                if (!handedOff) {
                    keep(scratch, framework, event, logger);
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

    private void keep(CapturedEvent scratch, String framework, Object event, Object logger) {
        EventMapper mapper = Mappers.forFramework(framework);
        if (mapper == null || !mapper.logged(event, logger)) {
            return;
        }
        if (queuedBytes.get() > limit) {
            overLimit.incrementAndGet();
            return;
        }
        byte[] copy;
        try {
            copy = EarlyEventCodec.encode(EarlyEvent.of(scratch.set(framework, event, logger), mapper), maxStackTraceBytes);
        } catch (Throwable e) {
            failedCopies.incrementAndGet(); // a value that misbehaves, no stack left: counted, not lost silently
            return;
        } finally {
            scratch.clear();
        }
        queuedBytes.addAndGet(size(copy));
        queue.add(copy);
    }

    /** What one copy holds on the heap: the array and the queue's node. */
    private static long size(byte[] copy) {
        return copy.length + 48;
    }

    /**
     * From now on, copies past the memory budget go to a file in {@code <dir>/startup}, written by
     * a thread of ours. Called once the configuration is read.
     */
    synchronized void spillTo(Path agentDir, int maxStackTraceBytes) {
        if (handedOff || spiller != null) {
            return;
        }
        this.maxStackTraceBytes = maxStackTraceBytes;
        limitReason = "the spill to " + agentDir.resolve(EarlyEventSpill.DIR) + " had not started";
        spiller = AgentThreads.newThread("datanadhi-startup-spill", () -> spill(agentDir));
        spiller.start();
    }

    private void spill(Path agentDir) {
        EarlyEventSpill file;
        try {
            file = EarlyEventSpill.create(agentDir);
        } catch (IOException | RuntimeException e) {
            limitReason = "no spill file could be made in " + agentDir.resolve(EarlyEventSpill.DIR) + ": " + e;
            return;
        }
        spill = file;
        limitReason = "the spill to " + file.file() + " could not keep up";
        try {
            while (!stopSpilling) {
                if (queuedBytes.get() <= spillAt) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    continue;
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
            file.finish();
        } catch (IOException | RuntimeException e) {
            limitReason = "writing " + file.file() + " failed: " + e;
            file.abandon();
        }
    }

    /**
     * From now on events go to {@code sink} (null: nowhere). Returns what was collected, to be
     * evaluated (or discarded) by the caller. Only the first call hands off; a later one (a
     * shutdown racing the start) gets nothing.
     */
    Early handOff(CaptureSink sink) {
        Thread writer;
        synchronized (this) {
            if (handedOff) {
                return new Early(null, new ConcurrentLinkedQueue<>(), null);
            }
            next = sink;
            handedOff = true;
            writer = spiller;
        }
        // Threads that saw the buffer open finish putting their copy in it (a few microseconds,
        // unless an application's toString blocks; then their copy is still taken if it arrives
        // while the queue is being read).
        long deadline = System.nanoTime() + HAND_OFF_WAIT_NANOS;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.yield();
        }
        if (writer != null) {
            stopSpilling = true;
            LockSupport.unpark(writer);
            try {
                writer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return new Early(spill, queue, limitReason);
    }

    /** Events skipped: their copy failed, or the buffer was full ({@link #skipReason()}). Final once handed off. */
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
        private long unread;
        private String unreadReason;

        Early(EarlyEventSpill file, ConcurrentLinkedQueue<byte[]> memory, String writeFailure) {
            this.file = file;
            this.memory = memory;
            this.writeFailure = writeFailure;
        }

        long count() {
            return spilled() + memory.size();
        }

        /** Of {@link #count()}, those in the file. */
        long spilled() {
            return file == null ? 0 : file.written();
        }

        /** Gives each event to {@code each}, oldest first, and deletes the file. */
        void forEach(Consumer<EarlyEvent> each) {
            if (file != null) {
                unread = file.readBack(each);
                if (unread > 0) {
                    unreadReason = file.readFailure() != null ? file.readFailure() : writeFailure;
                }
                file.delete();
            }
            for (byte[] event = memory.poll(); event != null; event = memory.poll()) {
                EarlyEvent decoded;
                try {
                    decoded = EarlyEventCodec.decode(event);
                } catch (IOException e) {
                    unread++; // cannot happen: these bytes never left the heap
                    unreadReason = e.toString();
                    continue;
                }
                each.accept(decoded);
            }
        }

        void discard() {
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
