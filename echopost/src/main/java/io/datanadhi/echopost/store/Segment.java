package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A segment file: {@code <first-sequence>.seg}, a 24-byte header (magic, version, first sequence,
 * creation time), then frames. Names sort in sequence order. An instance is one live segment of
 * the store, open for the life of the store: the writer appends to the newest, replay reads them
 * all.
 */
public final class Segment {

    static final int MAGIC = 0x45505347; // "EPSG"
    static final short VERSION = 1;
    public static final int HEADER_SIZE = 24;
    static final String SUFFIX = ".seg";
    /** Written next to a segment after a failed write: how far it holds acknowledged frames. */
    static final String END_SUFFIX = ".seg.end";

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

    Segment(long firstSequence, Path path, DurableFile file, long durableEnd) {
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

    /** Where reading a sealed (or recovered) segment stops. */
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

    String name() {
        return path.getFileName().toString();
    }

    // ---- the file format ----

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

    /** The {@code .seg.end} file beside a segment. */
    static Path endFile(Path segment) {
        return segment.resolveSibling(segment.getFileName().toString().replace(SUFFIX, END_SUFFIX));
    }

    /** The value of a segment's {@code .seg.end} file; -1 when there is none (or it cannot be read). */
    static long readEnd(Path segment) {
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
}
