package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * EchoPost's durable store: append-only segment files, one writer thread with group commit, and
 * a replay checkpoint.
 *
 * <p>A record is acknowledged only after it is on disk: the writer takes everything queued (up to
 * about 1 MB), writes it, forces the file, and only then completes the waiting appends. Nothing
 * per record is kept on the heap: replay reads the segments in order, deletes a segment once every
 * record in it is delivered, and the checkpoint says where to resume after a restart.
 */
public final class Store implements AutoCloseable {

    /** Size at which the writer starts a new segment. */
    static final long SEGMENT_BYTES = 32L * 1024 * 1024;
    /** How much the writer takes for one write and one force. */
    static final int GROUP_BYTES = 1024 * 1024;
    /** At most this much may wait for the writer; more is refused as busy. */
    static final long MAX_QUEUED_BYTES = 8L * 1024 * 1024;
    private static final int CHECKPOINT_EVERY_RECORDS = 1000;
    private static final long CHECKPOINT_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long FREE_SPACE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    /** Disk limits: a cap on the store's size, and free space to leave on the file system. */
    public static final class Limits {
        final long maxBytes;
        final long reserveBytes;

        public Limits(long maxBytes, long reserveBytes) {
            this.maxBytes = maxBytes;
            this.reserveBytes = reserveBytes;
        }
    }

    private final Path dir;
    private final Path corruptDir;
    private final StoreFiles files;
    private final Limits limits;
    private final StoreEvents events;
    private final ReplayCursor cursor;
    private final Runnable onDurable;
    private final long segmentBytes;

    /** Every segment by first sequence; the active one is the last, while the writer uses it. */
    private final ConcurrentSkipListMap<Long, SegmentState> segments = new ConcurrentSkipListMap<>();
    private final ConcurrentLinkedQueue<PendingAppend> queue = new ConcurrentLinkedQueue<>();
    /** Sequences lost in quarantined segments (first to last), skipped once delivery reaches them. */
    private final ConcurrentSkipListMap<Long, Long> lostRanges = new ConcurrentSkipListMap<>();
    private final AtomicLong storeBytes = new AtomicLong();
    /** Bytes of appends queued for the writer. */
    private final AtomicLong queuedBytes = new AtomicLong();
    private final Thread writer;
    private volatile boolean closing;
    private volatile boolean writerParked;

    /** The segment the writer appends to; null until the first write after a start. */
    private volatile SegmentState active;
    // Writer thread only.
    private long nextSequence;
    private long freeSpaceCheckedAt;
    private java.nio.file.FileStore fileStore;
    private long usableSpace = Long.MAX_VALUE;

    /** The last sequence that is on disk and acknowledged. */
    private volatile long lastDurableSequence;
    /** Every record up to here is delivered. */
    private volatile long delivered;
    private long checkpointed;
    private long checkpointedAt = System.nanoTime();

    private Store(Path dir, StoreFiles files, Limits limits, StoreEvents events, Runnable onDurable,
            long segmentBytes) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.corruptDir = dir.resolveSibling("corrupt");
        this.files = files;
        this.limits = limits;
        this.events = events;
        this.onDurable = onDurable;
        this.cursor = new ReplayCursor(files, dir);
        this.writer = new Thread(this::writeLoop, "echopost-store-writer");
        this.writer.setDaemon(true);
    }

    /**
     * Opens (and recovers) the store in {@code dir}: a torn tail in the newest segment is cut off,
     * the checkpoint says where replay resumes. Older segments are checked as replay reads them.
     */
    public static Store open(Path dir, StoreFiles files, Limits limits, StoreEvents events, Runnable onDurable)
            throws IOException {
        return open(dir, files, limits, events, onDurable, SEGMENT_BYTES);
    }

    /** As {@link #open(Path, StoreFiles, Limits, StoreEvents, Runnable)}, with another segment size: tests roll over sooner. */
    static Store open(Path dir, StoreFiles files, Limits limits, StoreEvents events, Runnable onDurable,
            long segmentBytes) throws IOException {
        Store store = new Store(dir, files, limits, events, onDurable, segmentBytes);
        store.recover();
        store.writer.start();
        return store;
    }

    // ---- appending (any thread) ----

    /** Queues bodies for writing; the future completes once they are forced to disk, or refused. */
    public CompletableFuture<AppendResult> append(List<byte[]> bodies) {
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
        if (writerParked) {
            LockSupport.unpark(writer);
        }
        return pending.result;
    }

    public long lastDurableSequence() {
        return lastDurableSequence;
    }

    public long delivered() {
        return delivered;
    }

    /** Records on disk not yet delivered. */
    public long backlog() {
        return Math.max(0, lastDurableSequence - delivered);
    }

    /** Nothing stored that is undelivered, and nothing waiting to be stored. */
    public boolean isEmpty() {
        return backlog() == 0 && queue.isEmpty();
    }

    public long sizeBytes() {
        return storeBytes.get();
    }

    // ---- replay (one reader thread) ----

    /** A reader positioned after the last delivered record. Use from one thread. */
    public Reader reader() {
        return new Reader(delivered);
    }

    /**
     * Records that everything up to {@code sequence} is delivered: checkpointed now and then, and
     * segments whose records are all delivered are deleted.
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
                || sequence >= lastDurableSequence) {
            checkpoint();
        }
    }

    /** Writes the checkpoint and deletes fully delivered segments. */
    public synchronized void checkpoint() throws IOException {
        long current = delivered;
        if (current != checkpointed) {
            cursor.write(current);
            checkpointed = current;
        }
        checkpointedAt = System.nanoTime();
        deleteDeliveredSegments(current);
    }

    private void deleteDeliveredSegments(long deliveredUpTo) throws IOException {
        boolean deleted = false;
        for (Map.Entry<Long, SegmentState> entry : segments.entrySet()) {
            Map.Entry<Long, SegmentState> next = segments.higherEntry(entry.getKey());
            if (next == null || entry.getValue() == active) {
                break; // the newest segment may still grow
            }
            if (next.getKey() - 1 > deliveredUpTo) {
                break;
            }
            remove(entry.getValue());
            deleted = true;
        }
        if (deleted) {
            files.forceDirectory(dir);
        }
    }

    private void remove(SegmentState segment) throws IOException {
        segments.remove(segment.firstSequence);
        segment.closeQuietly();
        files.delete(segment.path);
        files.delete(endFile(segment.path));
        storeBytes.addAndGet(-segment.sizeAtClose());
    }

    // ---- shutdown ----

    /** Stops the writer once what is queued is written, and writes the checkpoint. */
    @Override
    public void close() throws IOException {
        closing = true;
        LockSupport.unpark(writer);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        checkpoint();
        for (SegmentState segment : segments.values()) {
            segment.closeQuietly();
        }
    }

    /** After {@link #close()}, when everything is delivered: removes the store from disk. */
    public void deleteIfEmpty() throws IOException {
        if (backlog() > 0) {
            return;
        }
        for (SegmentState segment : new ArrayList<>(segments.values())) {
            remove(segment);
        }
        cursor.delete();
        for (Path leftover : files.list(dir)) {
            files.delete(leftover);
        }
        Files.deleteIfExists(dir);
    }

    // ---- the writer ----

    private void writeLoop() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(GROUP_BYTES + 64 * 1024);
        List<PendingAppend> group = new ArrayList<>();
        while (true) {
            PendingAppend first = take();
            if (first == null) {
                if (closing) {
                    return;
                }
                writerParked = true;
                if (queue.isEmpty() && !closing) {
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(100));
                }
                writerParked = false;
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
        String refusal = checkLimits(groupBytes + pending.frameBytes);
        if (refusal != null) {
            events.event("disk_refused", refusal, "records", pending.bodies.size());
            pending.result.complete(AppendResult.refused(refusal));
            return groupBytes;
        }
        group.add(pending);
        return groupBytes + pending.frameBytes;
    }

    private String checkLimits(long incoming) {
        if (storeBytes.get() + incoming > limits.maxBytes) {
            return "EchoPost's disk cap is reached (" + limits.maxBytes / (1024 * 1024) + " MB, -max-disk-mb): "
                    + "record refused";
        }
        long now = System.nanoTime();
        if (now - freeSpaceCheckedAt > FREE_SPACE_CHECK_NANOS) {
            try {
                if (fileStore == null) {
                    fileStore = Files.getFileStore(dir); // reads the mount table: once
                }
                usableSpace = fileStore.getUsableSpace();
            } catch (IOException e) {
                usableSpace = Long.MAX_VALUE; // cannot tell; the write itself will say
            }
            freeSpaceCheckedAt = now;
        }
        if (usableSpace - incoming < limits.reserveBytes) {
            return "the disk is nearly full (" + usableSpace / (1024 * 1024) + " MB free, EchoPost keeps "
                    + limits.reserveBytes / (1024 * 1024) + " MB free): record refused";
        }
        return null;
    }

    private ByteBuffer write(List<PendingAppend> group, int bytes, ByteBuffer buffer) {
        if (buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocateDirect(bytes);
        }
        long firstSequence = nextSequence;
        SegmentState segment;
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
        storeBytes.addAndGet(bytes);
        nextSequence = sequence;
        lastDurableSequence = sequence - 1;
        for (PendingAppend pending : group) {
            pending.result.complete(AppendResult.STORED);
        }
        onDurable.run();
        return buffer;
    }

    /** The segment to append {@code bytes} to: the active one, or a new one when it is full. */
    private SegmentState segmentFor(int bytes) throws IOException {
        if (active != null && active.durableEnd + bytes <= segmentBytes) {
            return active;
        }
        if (active != null) {
            active.seal(active.durableEnd);
            active = null; // sealed for good, even if the new segment cannot be created
        }
        Path path = dir.resolve(Segment.fileName(nextSequence));
        if (segments.containsKey(nextSequence)) {
            // A failed segment that holds nothing acknowledged carries this name: drop it.
            remove(segments.get(nextSequence));
        }
        // An end file left by an earlier segment of this name must not cut the new one short.
        files.delete(endFile(path));
        Map.Entry<Long, SegmentState> previous = segments.lastEntry();
        if (previous != null) {
            previous.getValue().endSequence = Math.min(previous.getValue().endSequence, nextSequence);
        }
        DurableFile file = files.create(path);
        try {
            file.append(Segment.header(nextSequence, System.currentTimeMillis()));
            file.force();
            files.forceDirectory(dir);
        } catch (IOException e) {
            try {
                file.close();
            } finally {
                files.delete(path);
            }
            throw e;
        }
        SegmentState segment = new SegmentState(nextSequence, path, file, Segment.HEADER_SIZE);
        segments.put(nextSequence, segment);
        storeBytes.addAndGet(Segment.HEADER_SIZE);
        active = segment;
        return segment;
    }

    /**
     * After a write or force error the segment is given up: what was acknowledged in it stays
     * readable (its valid end is recorded beside it), it is never forced again, and the next
     * write starts a new segment.
     */
    private void failedSegment(SegmentState segment, IOException error) {
        events.event("write_failed", "a write to " + segment.path.getFileName() + " failed (" + error
                + "); pending records refused, continuing in a new segment", "segment", segment.path.getFileName().toString());
        long validEnd = segment.durableEnd;
        segment.seal(validEnd);
        active = null;
        try {
            segment.file.truncate(validEnd);
        } catch (IOException ignored) {
            // The end file below says where the valid data ends.
        }
        try {
            Path end = endFile(segment.path);
            Path temp = end.resolveSibling(end.getFileName() + ".tmp");
            files.delete(temp);
            try (DurableFile file = files.create(temp)) {
                ByteBuffer value = ByteBuffer.allocate(8).putLong(validEnd);
                value.flip();
                file.append(value);
                file.force();
            }
            files.rename(temp, end);
            files.forceDirectory(dir);
        } catch (IOException e) {
            events.event("write_failed", "could not record where " + segment.path.getFileName()
                    + " ends (" + e + ")", "segment", segment.path.getFileName().toString());
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

    static Path endFile(Path segment) {
        return segment.resolveSibling(segment.getFileName().toString().replace(Segment.SUFFIX, Segment.END_SUFFIX));
    }

    // ---- recovery ----

    private void recover() throws IOException {
        files.createDirectory(dir);
        // The store's own entry in its parent must be durable too, or a power cut can take every segment with it.
        files.forceDirectory(dir.toAbsolutePath().getParent());
        for (Path path : files.list(dir)) {
            if (path.getFileName().toString().endsWith(".tmp")) {
                files.delete(path);
            }
        }
        try {
            delivered = cursor.read();
        } catch (RecordCodec.BadFrameException e) {
            delivered = 0;
            events.event("checkpoint_damaged", "the replay checkpoint is damaged (" + e.getMessage()
                    + "); replaying from the oldest stored record (some may be sent twice)");
        }
        checkpointed = delivered;
        long total = 0;
        for (Path path : files.list(dir)) {
            long first = Segment.firstSequence(path);
            if (first < 0) {
                continue;
            }
            DurableFile file = files.open(path);
            SegmentState segment = new SegmentState(first, path, file, file.size());
            segment.sealedEnd = readEnd(path);
            segments.put(first, segment);
            total += file.size();
        }
        storeBytes.set(total);
        // Segments quarantined by an earlier run: their sequences end the segment before them.
        java.util.TreeSet<Long> quarantined = new java.util.TreeSet<>();
        for (Path path : files.list(corruptDir)) {
            String name = path.getFileName().toString();
            if (name.endsWith(".corrupt")) {
                long first = Segment.firstSequence(path.resolveSibling(name.substring(0, name.length() - 8)));
                // The same name as a live segment: its sequences were given again after it was
                // quarantined (it held nothing acknowledged), so it says nothing about them.
                if (first >= 0 && !segments.containsKey(first)) {
                    quarantined.add(first);
                }
            }
        }
        for (SegmentState segment : segments.values()) {
            segment.endSequence = nextStart(segment.firstSequence, quarantined, Long.MAX_VALUE);
        }
        lastDurableSequence = delivered;
        Map.Entry<Long, SegmentState> newest = segments.lastEntry();
        if (newest != null) {
            lastDurableSequence = Math.max(lastDurableSequence, recoverNewest(newest.getValue()));
        }
        for (long first : quarantined) {
            long end = nextStart(first, quarantined, lastDurableSequence + 1) - 1;
            if (end > delivered && first <= end) {
                lostRanges.put(Math.max(first, delivered + 1), end);
            }
        }
        nextSequence = lastDurableSequence + 1;
        if (!segments.isEmpty()) {
            events.event("store_recovered", "resuming: " + backlog() + " record(s) to replay in " + segments.size()
                    + " segment(s)", "backlog", backlog(), "segments", segments.size(), "delivered", delivered);
        }
        deleteDeliveredSegments(delivered);
    }

    /** Scans the newest segment; a torn tail (never acknowledged) is cut off. Returns its last sequence. */
    private long recoverNewest(SegmentState segment) throws IOException {
        long limit = segment.sealedEnd >= 0 ? Math.min(segment.sealedEnd, segment.file.size()) : segment.file.size();
        try {
            Segment.checkHeader(segment.file, segment.firstSequence);
        } catch (RecordCodec.BadFrameException e) {
            // Its header is forced before any record is acknowledged, so the disk damaged it, and the
            // frames after it may well be acknowledged records: count the readable ones as lost.
            long last = lastReadableSequence(segment, limit);
            quarantine(segment, "header: " + e.getMessage(),
                    Math.max(0, last - Math.max(delivered, segment.firstSequence - 1)));
            return segment.firstSequence - 1;
        }
        long position = Segment.HEADER_SIZE;
        long last = segment.firstSequence - 1;
        while (true) {
            try {
                RecordCodec.Frame frame = RecordCodec.read(segment.file, position, limit);
                if (frame == null) {
                    break;
                }
                last = frame.sequence;
                position += frame.size;
            } catch (RecordCodec.BadFrameException e) {
                long cut = segment.file.size() - position;
                segment.file.truncate(position);
                segment.file.force();
                storeBytes.addAndGet(-cut);
                events.event("torn_tail_truncated", "the last write to " + segment.path.getFileName()
                        + " was never completed: " + cut + " byte(s) cut off (" + e.getMessage() + ")",
                        "segment", segment.path.getFileName().toString(), "bytes", cut);
                break;
            }
        }
        segment.durableEnd = position;
        segment.sealedEnd = position;
        return last;
    }

    /** The sequence of the last frame readable from the start of a segment; one before it when none is. */
    private static long lastReadableSequence(SegmentState segment, long limit) throws IOException {
        long position = Segment.HEADER_SIZE;
        long last = segment.firstSequence - 1;
        try {
            RecordCodec.Frame frame;
            while ((frame = RecordCodec.read(segment.file, position, limit)) != null) {
                last = frame.sequence;
                position += frame.size;
            }
        } catch (RecordCodec.BadFrameException e) {
            // counted up to the damage
        }
        return last;
    }

    /** Where the sequences after {@code first} continue: the next live or quarantined segment. */
    private long nextStart(long first, java.util.NavigableSet<Long> quarantined, long otherwise) {
        Long live = segments.higherKey(first);
        Long gone = quarantined.higher(first);
        long next = otherwise;
        if (live != null) {
            next = Math.min(next, live);
        }
        if (gone != null) {
            next = Math.min(next, gone);
        }
        return next;
    }

    private static long readEnd(Path segment) {
        Path end = endFile(segment);
        try {
            if (Files.exists(end)) {
                byte[] bytes = Files.readAllBytes(end);
                if (bytes.length == 8) {
                    return ByteBuffer.wrap(bytes).getLong();
                }
            }
        } catch (IOException ignored) {
            // Without it, the whole file is read; a damaged tail is then quarantined.
        }
        return -1;
    }

    /**
     * Moves a damaged segment to {@code corrupt/} and reports how many undelivered records it
     * held (known from the next segment's first sequence).
     */
    private void quarantine(SegmentState segment, String reason, long lost) throws IOException {
        segments.remove(segment.firstSequence);
        segment.closeQuietly();
        files.createDirectory(corruptDir);
        Path target = corruptDir.resolve(segment.path.getFileName() + ".corrupt");
        files.rename(segment.path, target);
        files.delete(endFile(segment.path));
        files.forceDirectory(dir);
        files.forceDirectory(corruptDir);
        storeBytes.addAndGet(-segment.sizeAtClose());
        events.event("corrupt_segment", segment.path.getFileName() + " is damaged (" + reason + "); moved to "
                + target + "; " + lost + " undelivered record(s) in it are lost", "segment",
                segment.path.getFileName().toString(), "lost", lost, "file", target.toString());
    }

    // ---- the reader ----

    /** Reads durable, undelivered records in sequence order. */
    public final class Reader {
        private ReadAhead reading;
        private long after;
        private SegmentState segment;
        private long position;
        /** The sequence of the last frame read in this segment, returned or not. */
        private long lastInSegment;

        Reader(long after) {
            this.after = after;
        }

        /** The next record, or null when there is none on disk yet. */
        public StoredRecord next() throws IOException {
            while (true) {
                if (segment != null && segments.get(segment.firstSequence) != segment) {
                    segment = null; // deleted (fully delivered) or quarantined meanwhile
                }
                if (segment == null && !openNext()) {
                    return null;
                }
                boolean isActive = segment == active && !segment.sealed();
                long limit = isActive ? segment.durableEnd : segment.readLimit();
                RecordCodec.Frame frame;
                try {
                    if (position == 0) {
                        Segment.checkHeader(reading, segment.firstSequence);
                        position = Segment.HEADER_SIZE;
                    }
                    frame = RecordCodec.read(reading, position, limit);
                } catch (RecordCodec.BadFrameException e) {
                    if (isActive) {
                        return null;
                    }
                    if (lastInSegment + 1 < segment.endSequence) {
                        damaged(e.getMessage());
                        continue;
                    }
                    // Every sequence this segment can hold is read: the bad bytes are what is left of
                    // a refused write whose .seg.end file could not be written. Not damage.
                    frame = null;
                }
                if (frame != null && frame.sequence >= segment.endSequence) {
                    // Past the end of this segment: frames of a refused write, kept because the
                    // .seg.end file could not be written; their sequences are the next segment's.
                    frame = null;
                }
                if (frame == null) {
                    Map.Entry<Long, SegmentState> next = segments.higherEntry(segment.firstSequence);
                    if (isActive || next == null) {
                        return null;
                    }
                    long end = Math.min(segment.endSequence, next.getKey());
                    if (lastInSegment + 1 < end) {
                        // Sequences run on from one segment to the next: a gap is records this one
                        // should hold and does not (its .seg.end or its length is wrong).
                        damaged("its records end at sequence " + lastInSegment + ", the next one is " + end);
                        continue;
                    }
                    if (next.getKey() > end) {
                        after = Math.max(after, next.getKey() - 1); // lost in a segment quarantined earlier
                    }
                    moveTo(next.getValue()); // on to the next segment
                    continue;
                }
                position += frame.size;
                lastInSegment = frame.sequence;
                if (frame.sequence <= after) {
                    continue; // delivered before a restart
                }
                after = frame.sequence;
                return new StoredRecord(frame.sequence, frame.storedAtMillis, frame.body);
            }
        }

        /** The segment holding the record after {@code after}. */
        private boolean openNext() {
            Map.Entry<Long, SegmentState> entry = segments.floorEntry(after + 1);
            if (entry == null) {
                entry = segments.ceilingEntry(after + 1);
            }
            if (entry == null) {
                return false;
            }
            moveTo(entry.getValue());
            return true;
        }

        private void moveTo(SegmentState next) {
            segment = next;
            reading = new ReadAhead(next.file);
            position = 0;
            lastInSegment = next.firstSequence - 1;
        }

        private void damaged(String reason) throws IOException {
            SegmentState bad = segment;
            Long next = segments.higherKey(bad.firstSequence);
            long end = next != null ? next : lastDurableSequence + 1;
            long lost = Math.max(0, end - Math.max(after + 1, bad.firstSequence));
            quarantine(bad, reason, lost);
            long firstLost = Math.max(after + 1, bad.firstSequence);
            after = Math.max(after, end - 1);
            segment = null;
            // The lost records are never delivered: they count as done once everything before them
            // is, or the backlog would stay above zero for good.
            if (firstLost <= end - 1) {
                lostRanges.put(firstLost, end - 1);
                if (delivered >= firstLost - 1) {
                    markDelivered(delivered);
                }
            }
        }
    }

    // ---- state ----

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

    private static final class SegmentState {
        final long firstSequence;
        final Path path;
        final DurableFile file;
        /** For the active segment: the end of what is forced and acknowledged. */
        volatile long durableEnd;
        /** Set once no more is written to it: where its valid data ends; -1 while unknown. */
        volatile long sealedEnd = -1;
        /**
         * Its sequences are all below this: the next segment's first, set once a newer segment
         * exists. Frames at or past it are refused writes whose sequences the next segment reused.
         */
        volatile long endSequence = Long.MAX_VALUE;

        SegmentState(long firstSequence, Path path, DurableFile file, long durableEnd) {
            this.firstSequence = firstSequence;
            this.path = path;
            this.file = file;
            this.durableEnd = durableEnd;
        }

        boolean sealed() {
            return sealedEnd >= 0;
        }

        void seal(long end) {
            sealedEnd = end;
        }

        long readLimit() throws IOException {
            long size = file.size();
            return sealedEnd >= 0 ? Math.min(sealedEnd, size) : size;
        }

        long sizeAtClose() {
            try {
                return file.size();
            } catch (IOException e) {
                return durableEnd;
            }
        }

        void closeQuietly() {
            try {
                file.close();
            } catch (IOException ignored) {
                // Closing a file we only read or are giving up.
            }
        }
    }
}
