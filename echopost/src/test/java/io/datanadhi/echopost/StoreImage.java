package io.datanadhi.echopost;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A test's own reading of an undamaged store directory, from the documented layout (DESIGN 10):
 * segment files {@code <first-sequence>.seg} with a 24-byte header (magic 4, version 2, reserved
 * 2, first sequence 8, created 8), then frames {@code length 4 | crc32c 4 | sequence 8 | stored-at
 * 8 | body}; a {@code checkpoint} of two 16-byte slots (magic, delivered-up-to, crc32c of it) at 0
 * and 4096, the higher valid one counting (an earlier version's file is the first slot alone);
 * {@code *.seg.end} beside a segment whose write failed (8 bytes: where its valid frames end).
 */
final class StoreImage {

    static final int SEGMENT_HEADER = 24;
    static final int FRAME_HEADER = 16;
    static final int CHECKPOINT_SLOT = 16;
    static final int CHECKPOINT_SLOT_DISTANCE = 4096;

    /** One stored record: where its frame is and what it holds. */
    static final class Frame {
        final int index;
        final long offset;
        final int size;
        final long sequence;
        final String body;

        Frame(int index, long offset, int size, long sequence, String body) {
            this.index = index;
            this.offset = offset;
            this.size = size;
            this.sequence = sequence;
            this.body = body;
        }

        String id() {
            return ReplayServer.id(body);
        }
    }

    static final class SegmentFile {
        final String name;
        final long size;
        final List<Frame> frames;

        SegmentFile(String name, long size, List<Frame> frames) {
            this.name = name;
            this.size = size;
            this.frames = frames;
        }

        /** The frame holding byte {@code offset}; null for the header. */
        Frame frameAt(long offset) {
            for (Frame frame : frames) {
                if (offset >= frame.offset && offset < frame.offset + frame.size) {
                    return frame;
                }
            }
            return null;
        }
    }

    final List<SegmentFile> segments;
    /** Delivered up to; 0 without a checkpoint. */
    final long checkpoint;
    /** The value in each checkpoint slot; -1 for a damaged or missing one; empty without a checkpoint. */
    final long[] checkpointSlots;
    /** {@code *.seg.end} files by name, with their value. */
    final Map<String, Long> ends;

    private StoreImage(List<SegmentFile> segments, long[] checkpointSlots, Map<String, Long> ends) {
        this.segments = segments;
        this.checkpointSlots = checkpointSlots;
        this.checkpoint = Math.max(0, java.util.Arrays.stream(checkpointSlots).max().orElse(0));
        this.ends = ends;
    }

    static StoreImage read(Path store) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(store)) {
            files = list.sorted().collect(Collectors.toList());
        }
        List<SegmentFile> segments = new ArrayList<>();
        Map<String, Long> ends = new TreeMap<>();
        long[] checkpoint = new long[0];
        for (Path file : files) {
            String name = file.getFileName().toString();
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file));
            if (name.endsWith(".seg")) {
                segments.add(new SegmentFile(name, bytes.capacity(), frames(name, bytes)));
            } else if (name.endsWith(".seg.end")) {
                ends.put(name, bytes.getLong(0));
            } else if (name.equals("checkpoint")) {
                checkpoint = checkpointSlots(bytes);
            } else {
                throw new AssertionError("unexpected file in the store: " + file);
            }
        }
        return new StoreImage(segments, checkpoint, ends);
    }

    private static long[] checkpointSlots(ByteBuffer bytes) {
        long[] slots = new long[2];
        for (int i = 0; i < 2; i++) {
            int at = i * CHECKPOINT_SLOT_DISTANCE;
            slots[i] = -1;
            if (bytes.capacity() >= at + CHECKPOINT_SLOT && bytes.getInt(at) == 0x45504350) {
                java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
                crc.update(bytes.array(), at + 4, 8);
                if ((int) crc.getValue() == bytes.getInt(at + 12)) {
                    slots[i] = bytes.getLong(at + 4);
                }
            }
        }
        return slots;
    }

    private static List<Frame> frames(String name, ByteBuffer bytes) {
        List<Frame> frames = new ArrayList<>();
        long first = Long.parseLong(name.substring(0, 20));
        if (bytes.getLong(8) != first) {
            throw new AssertionError(name + ": header names first sequence " + bytes.getLong(8));
        }
        int position = SEGMENT_HEADER;
        while (position < bytes.capacity()) {
            int length = bytes.getInt(position);
            long sequence = bytes.getLong(position + 8);
            int bodyStart = position + FRAME_HEADER + 8;
            int size = FRAME_HEADER + length;
            String body = new String(bytes.array(), bodyStart, position + size - bodyStart, StandardCharsets.UTF_8);
            if (sequence != first + frames.size()) {
                throw new AssertionError(name + ": frame " + frames.size() + " has sequence " + sequence);
            }
            frames.add(new Frame(frames.size(), position, size, sequence, body));
            position += size;
        }
        if (position != bytes.capacity()) {
            throw new AssertionError(name + ": frames end at " + position + " in " + bytes.capacity() + " bytes");
        }
        return frames;
    }

    SegmentFile segment(String name) {
        return segments.stream().filter(s -> s.name.equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no segment " + name));
    }

    /** Every record body by sequence. */
    Map<Long, String> records() {
        Map<Long, String> records = new TreeMap<>();
        for (SegmentFile segment : segments) {
            for (Frame frame : segment.frames) {
                records.put(frame.sequence, frame.body);
            }
        }
        return records;
    }

    /** XORs the byte at {@code offset} of {@code file} with a non-zero {@code mask}. */
    static void flip(Path file, long offset, int mask) throws IOException {
        if ((mask & 0xff) == 0) {
            throw new IllegalArgumentException("a zero mask changes nothing");
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) offset] ^= (byte) mask;
        Files.write(file, bytes);
    }
}
