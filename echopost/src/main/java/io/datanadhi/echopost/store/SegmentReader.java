package io.datanadhi.echopost.store;

import java.io.IOException;

/**
 * Replay's side of the store: reads durable, undelivered records in sequence order, segment after
 * segment, never past what the writer has forced. Nothing per record is kept: the position is a
 * segment and an offset. Damage found on the way sets the segment aside (see
 * {@link Segments#quarantine}) and reading goes on with the next one. Use from one thread.
 */
public final class SegmentReader {

    private final Store store;
    private final Segments segments;
    private ReadAhead reading;
    /** Every record up to here was returned (or delivered before this reader). */
    private long after;
    private Segment segment;
    private long position;
    /** The sequence of the last frame read in this segment, returned or not. */
    private long lastInSegment;

    SegmentReader(Store store, Segments segments, long after) {
        this.store = store;
        this.segments = segments;
        this.after = after;
    }

    /** The next record, or null when there is none on disk yet. */
    public StoredRecord next() throws IOException {
        while (true) {
            if (segment != null && !segments.isLive(segment)) {
                segment = null; // deleted (fully delivered) or quarantined meanwhile
            }
            if (segment == null && !openNext()) {
                return null;
            }
            boolean isActive = segment == segments.active && !segment.sealed();
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
                Segment next = segments.next(segment);
                if (isActive || next == null) {
                    return null;
                }
                long end = Math.min(segment.endSequence, next.firstSequence);
                if (lastInSegment + 1 < end) {
                    // Sequences run on from one segment to the next: a gap is records this one
                    // should hold and does not (its .seg.end or its length is wrong).
                    damaged("its records end at sequence " + lastInSegment + ", the next one is " + end);
                    continue;
                }
                if (next.firstSequence > end) {
                    after = Math.max(after, next.firstSequence - 1); // lost in a segment quarantined earlier
                }
                moveTo(next); // on to the next segment
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
        Segment holding = segments.holding(after + 1);
        if (holding == null) {
            return false;
        }
        moveTo(holding);
        return true;
    }

    private void moveTo(Segment next) {
        segment = next;
        reading = new ReadAhead(next.file);
        position = 0;
        lastInSegment = next.firstSequence - 1;
    }

    private void damaged(String reason) throws IOException {
        Segment bad = segment;
        Segment next = segments.next(bad);
        long end = next != null ? next.firstSequence : store.lastDurableSequence() + 1;
        long lost = Math.max(0, end - Math.max(after + 1, bad.firstSequence));
        segments.quarantine(bad, reason, lost);
        long firstLost = Math.max(after + 1, bad.firstSequence);
        after = Math.max(after, end - 1);
        segment = null;
        if (firstLost <= end - 1) {
            store.lost(firstLost, end - 1);
        }
    }
}
