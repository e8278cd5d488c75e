package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * A segment file: {@code <first-sequence>.seg}, a 24-byte header (magic, version, first sequence,
 * creation time), then frames. Names sort in sequence order.
 */
public final class Segment {

    static final int MAGIC = 0x45505347; // "EPSG"
    static final short VERSION = 1;
    public static final int HEADER_SIZE = 24;
    static final String SUFFIX = ".seg";
    /** Written next to a segment after a failed write: how far it holds acknowledged frames. */
    static final String END_SUFFIX = ".seg.end";

    private Segment() {}

    public static String fileName(long firstSequence) {
        return String.format("%020d%s", firstSequence, SUFFIX);
    }

    /** The first sequence in a segment's name, or -1 when the name is not a segment's. */
    public static long firstSequence(Path file) {
        String name = file.getFileName().toString();
        if (!name.endsWith(SUFFIX) || name.length() != 20 + SUFFIX.length()) {
            return -1;
        }
        try {
            return Long.parseLong(name.substring(0, 20));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static ByteBuffer header(long firstSequence, long createdMillis) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE);
        header.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putLong(firstSequence).putLong(createdMillis);
        header.flip();
        return header;
    }

    /** Reads and checks the header; returns the creation time. */
    static long checkHeader(DurableFile file, long expectedFirstSequence) throws IOException, RecordCodec.BadFrameException {
        if (file.size() < HEADER_SIZE) {
            throw new RecordCodec.BadFrameException("segment header incomplete");
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE);
        RecordCodec.readFully(file, header, 0);
        header.flip();
        if (header.getInt() != MAGIC) {
            throw new RecordCodec.BadFrameException("not a segment (bad magic)");
        }
        short version = header.getShort();
        if (version != VERSION) {
            throw new RecordCodec.BadFrameException("unknown segment version " + version);
        }
        header.getShort();
        long first = header.getLong();
        if (first != expectedFirstSequence) {
            throw new RecordCodec.BadFrameException("header says first sequence " + first + ", name says "
                    + expectedFirstSequence);
        }
        return header.getLong();
    }
}
