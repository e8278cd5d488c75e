package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The store's one writer thread, with group commit: it takes everything queued (up to about
 * 1 MB), writes it to the newest segment, forces the file, and only then completes the waiting
 * appends. One force for many records is what makes "acknowledged only once on disk" cheap.
 *
 * <p>After a write or force error the segment is given up (never forced again: after a failed
 * fsync the kernel may have dropped the dirty pages, so a later fsync proves nothing) and the next
 * write starts a new one.
 */
final class SegmentWriter {

    /** How much the writer takes for one write and one force. */
    static final int GROUP_BYTES = 1024 * 1024;
    /** At most this much may wait for the writer; more is refused as busy. */
    static final long MAX_QUEUED_BYTES = 8L * 1024 * 1024;

    private final Segments segments;
    private final StoreFiles files;
    private final DiskLimits limits;
    private final StoreEvents events;
    private final Runnable onDurable;
    private final long segmentBytes;
    private final ConcurrentLinkedQueue<PendingAppend> queue = new ConcurrentLinkedQueue<>();
    /** Bytes of appends queued for the writer. */
    private final AtomicLong queuedBytes = new AtomicLong();
    private final Thread thread;
    private volatile boolean closing;
    private volatile boolean parked;
    /** The last sequence that is on disk and acknowledged. */
    private volatile long lastDurableSequence;
    // The writer thread only, once started.
    private long nextSequence;

    SegmentWriter(Segments segments, StoreFiles files, DiskLimits limits, StoreEvents events, Runnable onDurable,
            long segmentBytes) {
        this.segments = segments;
        this.files = files;
        this.limits = limits;
        this.events = events;
        this.onDurable = onDurable;
        this.segmentBytes = segmentBytes;
        this.thread = new Thread(this::writeLoop, "echopost-store-writer");
        this.thread.setDaemon(true);
    }

    /** Starts writing after the last sequence recovery found. */
    void start(long lastDurableSequence) {
        this.lastDurableSequence = lastDurableSequence;
        this.nextSequence = lastDurableSequence + 1;
        thread.start();
    }

    long lastDurableSequence() {
        return lastDurableSequence;
    }

    boolean idle() {
        return queue.isEmpty();
    }

    /** Queues bodies for writing; the future completes once they are forced to disk, or refused. */
    CompletableFuture<AppendResult> append(List<byte[]> bodies) {
        PendingAppend pending = new PendingAppend(bodies);
        if (closing) {
            pending.result.complete(AppendResult.refused("EchoPost is shutting down"));
            return pending.result;
        }
        // Memory, not disk: what waits for the writer is bounded, so that a burst of large
        // batches is refused (the client sends them elsewhere) instead of exhausting a small heap.
        if (queuedBytes.addAndGet(pending.frameBytes) > MAX_QUEUED_BYTES && queuedBytes.get() != pending.frameBytes) {
            queuedBytes.addAndGet(-pending.frameBytes);
            pending.result.complete(AppendResult.refused("EchoPost is busy (" + MAX_QUEUED_BYTES / (1024 * 1024)
                    + " MB waiting to be written): try again or elsewhere"));
            return pending.result;
        }
        queue.add(pending);
        if (parked) {
            LockSupport.unpark(thread);
        }
        return pending.result;
    }

    /** Stops once what is queued is written (waiting at most 30 s). */
    void close() {
        closing = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeLoop() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(GROUP_BYTES + 64 * 1024);
        List<PendingAppend> group = new ArrayList<>();
        while (true) {
            PendingAppend first = take();
            if (first == null) {
                if (closing) {
                    return;
                }
                parked = true;
                if (queue.isEmpty() && !closing) {
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(100));
                }
                parked = false;
                continue;
            }
            group.clear();
            int bytes = admit(first, group, 0);
            while (bytes < GROUP_BYTES) {
                PendingAppend next = queue.peek();
                if (next == null || (bytes > 0 && bytes + next.frameBytes > GROUP_BYTES)) {
                    break;
                }
                bytes = admit(take(), group, bytes);
            }
            if (!group.isEmpty()) {
                buffer = write(group, bytes, buffer);
            }
        }
    }

    private PendingAppend take() {
        PendingAppend pending = queue.poll();
        if (pending != null) {
            queuedBytes.addAndGet(-pending.frameBytes);
        }
        return pending;
    }

    /** Adds the append to the group, or refuses it when a disk limit would be passed. */
    private int admit(PendingAppend pending, List<PendingAppend> group, int groupBytes) {
        String refusal = limits.refusal(segments.dir, segments.bytes(), groupBytes + pending.frameBytes);
        if (refusal != null) {
            events.event("disk_refused", refusal, "records", pending.bodies.size());
            pending.result.complete(AppendResult.refused(refusal));
            return groupBytes;
        }
        group.add(pending);
        return groupBytes + pending.frameBytes;
    }

    private ByteBuffer write(List<PendingAppend> group, int bytes, ByteBuffer buffer) {
        if (buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocateDirect(bytes);
        }
        long firstSequence = nextSequence;
        Segment segment;
        try {
            segment = segmentFor(bytes);
        } catch (IOException e) {
            fail(group, "EchoPost could not create a segment: " + e.getMessage());
            events.event("write_failed", "could not create a segment: " + e, "records", count(group));
            return buffer;
        }
        buffer.clear();
        long now = System.currentTimeMillis();
        long sequence = firstSequence;
        for (PendingAppend pending : group) {
            for (byte[] body : pending.bodies) {
                RecordCodec.encode(buffer, sequence++, now, body);
            }
        }
        buffer.flip();
        try {
            segment.file.append(buffer);
            segment.file.force();
        } catch (IOException e) {
            failedSegment(segment, e);
            fail(group, "EchoPost could not store the record: " + e.getMessage());
            return buffer;
        }
        segment.durableEnd += bytes;
        segments.addBytes(bytes);
        nextSequence = sequence;
        lastDurableSequence = sequence - 1;
        for (PendingAppend pending : group) {
            pending.result.complete(AppendResult.STORED);
        }
        onDurable.run();
        return buffer;
    }

    /** The segment to append {@code bytes} to: the active one, or a new one when it is full. */
    private Segment segmentFor(int bytes) throws IOException {
        Segment active = segments.active;
        if (active != null && active.durableEnd + bytes <= segmentBytes) {
            return active;
        }
        if (active != null) {
            active.seal(active.durableEnd);
            segments.active = null; // sealed for good, even if the new segment cannot be created
        }
        Path path = segments.dir.resolve(Segment.fileName(nextSequence));
        Segment sameName = segments.withFirst(nextSequence);
        if (sameName != null) {
            // A failed segment that holds nothing acknowledged carries this name: drop it.
            segments.remove(sameName);
        }
        // An end file left by an earlier segment of this name must not cut the new one short.
        files.delete(Segment.endFile(path));
        Segment previous = segments.newest();
        if (previous != null) {
            previous.endSequence = Math.min(previous.endSequence, nextSequence);
        }
        DurableFile file = files.create(path);
        try {
            file.append(Segment.header(nextSequence, System.currentTimeMillis()));
            file.force();
            files.forceDirectory(segments.dir);
        } catch (IOException e) {
            try {
                file.close();
            } finally {
                files.delete(path);
            }
            throw e;
        }
        Segment segment = new Segment(nextSequence, path, file, Segment.HEADER_SIZE);
        segments.add(segment, Segment.HEADER_SIZE);
        segments.active = segment;
        return segment;
    }

    /**
     * After a write or force error the segment is given up: what was acknowledged in it stays
     * readable (its valid end is recorded beside it), it is never forced again, and the next
     * write starts a new segment.
     */
    private void failedSegment(Segment segment, IOException error) {
        events.event("write_failed", "a write to " + segment.name() + " failed (" + error
                + "); pending records refused, continuing in a new segment", "segment", segment.name());
        long validEnd = segment.durableEnd;
        segment.seal(validEnd);
        segments.active = null;
        try {
            segment.file.truncate(validEnd);
        } catch (IOException ignored) {
            // The end file below says where the valid data ends.
        }
        try {
            Path end = Segment.endFile(segment.path);
            Path temp = end.resolveSibling(end.getFileName() + ".tmp");
            files.delete(temp);
            try (DurableFile file = files.create(temp)) {
                ByteBuffer value = ByteBuffer.allocate(8).putLong(validEnd);
                value.flip();
                file.append(value);
                file.force();
            }
            files.rename(temp, end);
            files.forceDirectory(segments.dir);
        } catch (IOException e) {
            events.event("write_failed", "could not record where " + segment.name()
                    + " ends (" + e + ")", "segment", segment.name());
        }
    }

    private static void fail(List<PendingAppend> group, String message) {
        for (PendingAppend pending : group) {
            pending.result.complete(AppendResult.refused(message));
        }
    }

    private static int count(List<PendingAppend> group) {
        int records = 0;
        for (PendingAppend pending : group) {
            records += pending.bodies.size();
        }
        return records;
    }

    /** An append waiting for the writer. */
    private static final class PendingAppend {
        final List<byte[]> bodies;
        final int frameBytes;
        final CompletableFuture<AppendResult> result = new CompletableFuture<>();

        PendingAppend(List<byte[]> bodies) {
            this.bodies = bodies;
            int bytes = 0;
            for (byte[] body : bodies) {
                bytes += RecordCodec.frameSize(body.length);
            }
            this.frameBytes = bytes;
        }
    }
}
