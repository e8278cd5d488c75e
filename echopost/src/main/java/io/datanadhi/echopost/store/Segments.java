package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The store's live segments, oldest first, and their total size on disk. The writer adds to the
 * end, replay deletes from the front once delivered, recovery and replay set damaged ones aside in
 * {@code corrupt/}; each from its own thread, hence a concurrent map.
 */
final class Segments {

    final Path dir;
    final Path corruptDir;
    private final StoreFiles files;
    private final StoreEvents events;
    private final ConcurrentSkipListMap<Long, Segment> byFirstSequence = new ConcurrentSkipListMap<>();
    private final AtomicLong bytes = new AtomicLong();
    /** The segment the writer appends to; null until the first write after a start. */
    volatile Segment active;

    Segments(Path dir, StoreFiles files, StoreEvents events) {
        this.dir = dir;
        this.corruptDir = dir.resolveSibling("corrupt");
        this.files = files;
        this.events = events;
    }

    void add(Segment segment, long bytesOnDisk) {
        byFirstSequence.put(segment.firstSequence, segment);
        bytes.addAndGet(bytesOnDisk);
    }

    /** Whether it is still in the store (not deleted, not quarantined). */
    boolean isLive(Segment segment) {
        return byFirstSequence.get(segment.firstSequence) == segment;
    }

    Segment withFirst(long firstSequence) {
        return byFirstSequence.get(firstSequence);
    }

    /** The segment after this one, or null. */
    Segment next(Segment segment) {
        return firstAfter(segment.firstSequence);
    }

    /** The first segment whose first sequence is above {@code sequence}, or null. */
    Segment firstAfter(long sequence) {
        Map.Entry<Long, Segment> next = byFirstSequence.higherEntry(sequence);
        return next == null ? null : next.getValue();
    }

    /** The segment that holds {@code sequence}, else the first one after it, else null. */
    Segment holding(long sequence) {
        Map.Entry<Long, Segment> entry = byFirstSequence.floorEntry(sequence);
        if (entry == null) {
            entry = byFirstSequence.ceilingEntry(sequence);
        }
        return entry == null ? null : entry.getValue();
    }

    Segment newest() {
        Map.Entry<Long, Segment> newest = byFirstSequence.lastEntry();
        return newest == null ? null : newest.getValue();
    }

    List<Segment> all() {
        return new ArrayList<>(byFirstSequence.values());
    }

    int count() {
        return byFirstSequence.size();
    }

    long bytes() {
        return bytes.get();
    }

    void addBytes(long delta) {
        bytes.addAndGet(delta);
    }

    /**
     * Deletes the segments whose records are all delivered: it is how the store gives disk space
     * back. The newest segment stays, as it may still grow.
     */
    void deleteDelivered(long deliveredUpTo) throws IOException {
        boolean deleted = false;
        for (Map.Entry<Long, Segment> entry : byFirstSequence.entrySet()) {
            Map.Entry<Long, Segment> next = byFirstSequence.higherEntry(entry.getKey());
            if (next == null || entry.getValue() == active) {
                break;
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

    /** Closes and deletes a segment (and its {@code .seg.end}). The caller forces the directory. */
    void remove(Segment segment) throws IOException {
        byFirstSequence.remove(segment.firstSequence);
        segment.closeQuietly();
        files.delete(segment.path);
        files.delete(Segment.endFile(segment.path));
        bytes.addAndGet(-segment.sizeAtClose());
    }

    /**
     * Moves a damaged segment to {@code corrupt/} and reports how many undelivered records it
     * held: set aside, never deleted, so that someone can look at it.
     */
    void quarantine(Segment segment, String reason, long lost) throws IOException {
        byFirstSequence.remove(segment.firstSequence);
        segment.closeQuietly();
        files.createDirectory(corruptDir);
        Path target = corruptDir.resolve(segment.name() + ".corrupt");
        files.rename(segment.path, target);
        files.delete(Segment.endFile(segment.path));
        files.forceDirectory(dir);
        files.forceDirectory(corruptDir);
        bytes.addAndGet(-segment.sizeAtClose());
        events.event("corrupt_segment", segment.name() + " is damaged (" + reason + "); moved to "
                + target + "; " + lost + " undelivered record(s) in it are lost", "segment",
                segment.name(), "lost", lost, "file", target.toString());
    }
}
