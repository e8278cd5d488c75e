package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;

/**
 * EchoPost's durable store, put together from its parts:
 * <ul>
 * <li>{@link Segments}: append-only segment files ({@link Segment}) of frames ({@link RecordCodec});
 * <li>{@link SegmentWriter}: one writer thread with group commit: a record is acknowledged only
 *     once it is forced to disk; {@link DiskLimits} says when to refuse instead;
 * <li>{@link SegmentReader}: replay reads the segments in order;
 * <li>{@link Ledger}: the durable position, "delivered up to N", where replay resumes after a restart;
 * <li>{@link Recovery}: opening the store after a crash or power cut.
 * </ul>
 * Nothing per record is kept on the heap. This class keeps replay's progress: what is delivered,
 * when to write it to the ledger, and when a segment can go.
 */
public final class Store implements AutoCloseable {

    /** Size at which the writer starts a new segment. */
    static final long SEGMENT_BYTES = 32L * 1024 * 1024;
    /** The ledger is written every so many records or so much time, and when replay catches up. */
    private static final int CHECKPOINT_EVERY_RECORDS = 1000;
    private static final long CHECKPOINT_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final Path dir;
    private final StoreFiles files;
    private final Segments segments;
    private final Ledger ledger;
    private final SegmentWriter writer;
    /** Sequences lost in quarantined segments (first to last), skipped once delivery reaches them. */
    private final ConcurrentSkipListMap<Long, Long> lostRanges = new ConcurrentSkipListMap<>();

    /** Every record up to here is delivered. */
    private volatile long delivered;
    private long checkpointed;
    private long checkpointedAt = System.nanoTime();

    private Store(Path dir, StoreFiles files, DiskLimits limits, StoreEvents events, Runnable onDurable,
            long segmentBytes) {
        this.dir = dir;
        this.files = files;
        this.segments = new Segments(dir, files, events);
        this.ledger = new Ledger(files, dir);
        this.writer = new SegmentWriter(segments, files, limits.copy(), events, onDurable, segmentBytes);
    }

    /**
     * Opens (and recovers) the store in {@code dir}: a torn tail in the newest segment is cut off,
     * the ledger says where replay resumes. Older segments are checked as replay reads them.
     */
    public static Store open(Path dir, StoreFiles files, DiskLimits limits, StoreEvents events, Runnable onDurable)
            throws IOException {
        return open(dir, files, limits, events, onDurable, SEGMENT_BYTES);
    }

    /** As {@link #open(Path, StoreFiles, DiskLimits, StoreEvents, Runnable)}, with another segment size: tests roll over sooner. */
    static Store open(Path dir, StoreFiles files, DiskLimits limits, StoreEvents events, Runnable onDurable,
            long segmentBytes) throws IOException {
        Store store = new Store(dir, files, limits, events, onDurable, segmentBytes);
        Recovery.Result recovered = new Recovery(store.segments, files, store.ledger, events).run(store.lostRanges);
        store.delivered = recovered.delivered;
        store.checkpointed = recovered.delivered;
        store.writer.start(recovered.lastDurableSequence);
        if (store.segments.count() > 0) {
            events.event("store_recovered", "resuming: " + store.backlog() + " record(s) to replay in "
                    + store.segments.count() + " segment(s)", "backlog", store.backlog(), "segments",
                    store.segments.count(), "delivered", store.delivered);
        }
        store.segments.deleteDelivered(store.delivered);
        return store;
    }

    // ---- appending (any thread) ----

    /** Queues bodies for writing; the future completes once they are forced to disk, or refused. */
    public CompletableFuture<AppendResult> append(List<byte[]> bodies) {
        return writer.append(bodies);
    }

    /** The last sequence that is on disk and acknowledged. */
    public long lastDurableSequence() {
        return writer.lastDurableSequence();
    }

    public long delivered() {
        return delivered;
    }

    /** Records on disk not yet delivered. */
    public long backlog() {
        return Math.max(0, lastDurableSequence() - delivered);
    }

    /** Nothing stored that is undelivered, and nothing waiting to be stored. */
    public boolean isEmpty() {
        return backlog() == 0 && writer.idle();
    }

    public long sizeBytes() {
        return segments.bytes();
    }

    // ---- replay (one reader thread) ----

    /** A reader positioned after the last delivered record. Use from one thread. */
    public SegmentReader reader() {
        return new SegmentReader(this, segments, delivered);
    }

    /**
     * Records that everything up to {@code sequence} is delivered: written to the ledger now and
     * then, and segments whose records are all delivered are deleted.
     */
    public void markDelivered(long sequence) throws IOException {
        // Records lost in a quarantined segment right after this one count as done too.
        Map.Entry<Long, Long> lost = lostRanges.floorEntry(sequence + 1);
        while (lost != null && lost.getKey() <= sequence + 1) {
            sequence = Math.max(sequence, lost.getValue());
            lostRanges.remove(lost.getKey());
            lost = lostRanges.floorEntry(sequence + 1);
        }
        if (sequence <= delivered) {
            return;
        }
        delivered = sequence;
        long now = System.nanoTime();
        if (sequence - checkpointed >= CHECKPOINT_EVERY_RECORDS || now - checkpointedAt >= CHECKPOINT_EVERY_NANOS
                || sequence >= lastDurableSequence()) {
            checkpoint();
        }
    }

    /**
     * The reader found records {@code first..last} lost in a damaged segment. They are never
     * delivered: they count as done once everything before them is, or the backlog would stay
     * above zero for good.
     */
    void lost(long first, long last) throws IOException {
        lostRanges.put(first, last);
        if (delivered >= first - 1) {
            markDelivered(delivered);
        }
    }

    /**
     * Writes the ledger and deletes fully delivered segments. Those go even when the ledger cannot
     * be written: their records are delivered whatever the ledger says, and the space they give
     * back may be what the next write needs.
     */
    public synchronized void checkpoint() throws IOException {
        long current = delivered;
        try {
            if (current != checkpointed) {
                ledger.write(current);
                checkpointed = current;
            }
            checkpointedAt = System.nanoTime();
        } finally {
            segments.deleteDelivered(current);
        }
    }

    // ---- shutdown ----

    /** Stops the writer once what is queued is written, and writes the ledger. */
    @Override
    public void close() throws IOException {
        writer.close();
        try {
            checkpoint();
        } finally {
            ledger.close();
            for (Segment segment : segments.all()) {
                segment.closeQuietly();
            }
        }
    }

    /** After {@link #close()}, when everything is delivered: removes the store from disk. */
    public void deleteIfEmpty() throws IOException {
        if (backlog() > 0) {
            return;
        }
        for (Segment segment : segments.all()) {
            segments.remove(segment);
        }
        ledger.delete();
        for (Path leftover : files.list(dir)) {
            files.delete(leftover);
        }
        Files.deleteIfExists(dir);
    }
}
