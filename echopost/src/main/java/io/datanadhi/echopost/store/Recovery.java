package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * Opening a store after whatever ended the last run (a clean stop, {@code kill -9}, a power cut):
 * finds the segments, reads the ledger, cuts a torn tail off the newest segment (a write that
 * never completed, so never acknowledged) and works out which sequences earlier quarantines took.
 * Older segments are only checked as replay reads them, so that a start stays fast.
 */
final class Recovery {

    /** What recovery found. */
    static final class Result {
        /** Every record up to here is delivered. */
        long delivered;
        /** The last record on disk; new records follow it. */
        long lastDurableSequence;
    }

    private final Segments segments;
    private final StoreFiles files;
    private final Ledger ledger;
    private final StoreEvents events;

    Recovery(Segments segments, StoreFiles files, Ledger ledger, StoreEvents events) {
        this.segments = segments;
        this.files = files;
        this.ledger = ledger;
        this.events = events;
    }

    /** Fills {@code segments}, and {@code lostRanges} with sequences lost in quarantined segments (first to last). */
    Result run(NavigableMap<Long, Long> lostRanges) throws IOException {
        Path dir = segments.dir;
        files.createDirectory(dir);
        // The store's own entry in its parent must be durable too, or a power cut can take every segment with it.
        files.forceDirectory(dir.toAbsolutePath().getParent());
        for (Path path : files.list(dir)) {
            if (path.getFileName().toString().endsWith(".tmp")) {
                files.delete(path);
            }
        }
        Result result = new Result();
        try {
            result.delivered = ledger.open();
        } catch (RecordCodec.BadFrameException e) {
            result.delivered = 0;
            events.event("checkpoint_damaged", "the replay checkpoint is damaged (" + e.getMessage()
                    + "); replaying from the oldest stored record (some may be sent twice)");
        }
        try {
            ledger.makeIfMissing(result.delivered);
        } catch (IOException e) {
            // A disk already full at the start: replay can still go on, writing it is tried again.
            events.event("write_failed", "could not make the replay checkpoint file (" + e
                    + "); tried again at the next checkpoint");
        }
        long delivered = result.delivered;
        for (Path path : files.list(dir)) {
            long first = Segment.firstSequence(path);
            if (first < 0) {
                continue;
            }
            DurableFile file = files.open(path);
            Segment segment = new Segment(first, path, file, file.size());
            segment.sealedEnd = Segment.readEnd(path);
            segments.add(segment, file.size());
        }
        // Segments quarantined by an earlier run: their sequences end the segment before them.
        TreeSet<Long> quarantined = new TreeSet<>();
        for (Path path : files.list(segments.corruptDir)) {
            String name = path.getFileName().toString();
            if (name.endsWith(".corrupt")) {
                long first = Segment.firstSequence(path.resolveSibling(name.substring(0, name.length() - 8)));
                // The same name as a live segment: its sequences were given again after it was
                // quarantined (it held nothing acknowledged), so it says nothing about them.
                if (first >= 0 && segments.withFirst(first) == null) {
                    quarantined.add(first);
                }
            }
        }
        for (Segment segment : segments.all()) {
            segment.endSequence = nextStart(segment.firstSequence, quarantined, Long.MAX_VALUE);
        }
        result.lastDurableSequence = delivered;
        Segment newest = segments.newest();
        if (newest != null) {
            result.lastDurableSequence = Math.max(result.lastDurableSequence, recoverNewest(newest, delivered));
        }
        for (long first : quarantined) {
            long end = nextStart(first, quarantined, result.lastDurableSequence + 1) - 1;
            if (end > delivered && first <= end) {
                lostRanges.put(Math.max(first, delivered + 1), end);
            }
        }
        return result;
    }

    /** Scans the newest segment; a torn tail (never acknowledged) is cut off. Returns its last sequence. */
    private long recoverNewest(Segment segment, long delivered) throws IOException {
        long limit = segment.sealedEnd >= 0 ? Math.min(segment.sealedEnd, segment.file.size()) : segment.file.size();
        try {
            Segment.checkHeader(segment.file, segment.firstSequence);
        } catch (RecordCodec.BadFrameException e) {
            // Its header is forced before any record is acknowledged, so the disk damaged it, and the
            // frames after it may well be acknowledged records: count the readable ones as lost.
            long last = lastReadableSequence(segment, limit);
            segments.quarantine(segment, "header: " + e.getMessage(),
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
                segments.addBytes(-cut);
                events.event("torn_tail_truncated", "the last write to " + segment.name()
                        + " was never completed: " + cut + " byte(s) cut off (" + e.getMessage() + ")",
                        "segment", segment.name(), "bytes", cut);
                break;
            }
        }
        segment.durableEnd = position;
        segment.sealedEnd = position;
        return last;
    }

    /** The sequence of the last frame readable from the start of a segment; one before it when none is. */
    private static long lastReadableSequence(Segment segment, long limit) throws IOException {
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
    private long nextStart(long first, NavigableSet<Long> quarantined, long otherwise) {
        Segment live = segments.firstAfter(first);
        Long gone = quarantined.higher(first);
        long next = otherwise;
        if (live != null) {
            next = Math.min(next, live.firstSequence);
        }
        if (gone != null) {
            next = Math.min(next, gone);
        }
        return next;
    }
}
