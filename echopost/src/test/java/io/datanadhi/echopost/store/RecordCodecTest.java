package io.datanadhi.echopost.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class RecordCodecTest {

    /** A store file held in memory: the codec only reads at positions. */
    private static final class BytesFile implements DurableFile {
        private byte[] bytes;

        BytesFile(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public void append(ByteBuffer source) {
            byte[] grown = Arrays.copyOf(bytes, bytes.length + source.remaining());
            source.get(grown, bytes.length, source.remaining());
            bytes = grown;
        }

        @Override
        public void write(ByteBuffer source, long position) {
            bytes = Arrays.copyOf(bytes, (int) Math.max(bytes.length, position + source.remaining()));
            source.get(bytes, (int) position, source.remaining());
        }

        @Override
        public void force() {}

        @Override
        public int read(ByteBuffer target, long position) {
            if (position >= bytes.length) {
                return -1;
            }
            int n = (int) Math.min(target.remaining(), bytes.length - position);
            target.put(bytes, (int) position, n);
            return n;
        }

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public void truncate(long size) {
            bytes = Arrays.copyOf(bytes, (int) size);
        }

        @Override
        public void close() {}
    }

    private static byte[] frame(long sequence, long storedAt, byte[] body) {
        ByteBuffer out = ByteBuffer.allocate(RecordCodec.frameSize(body.length));
        RecordCodec.encode(out, sequence, storedAt, body);
        assertEquals(out.capacity(), out.position(), "frameSize matches what encode writes");
        return out.array();
    }

    private static RecordCodec.Frame read(byte[] bytes) throws Exception {
        return RecordCodec.read(new BytesFile(bytes), 0, bytes.length);
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        ByteBuffer all = ByteBuffer.allocate(length);
        for (byte[] part : parts) {
            all.put(part);
        }
        return all.array();
    }

    @Test
    void framesRoundTripOneAfterAnother() throws Exception {
        byte[][] bodies = {
            new byte[0],
            "x".getBytes(StandardCharsets.UTF_8),
            "{\"pipelines\":[\"p1\"],\"log_data\":{\"msg\":\"héllo\"}}".getBytes(StandardCharsets.UTF_8),
            new byte[70_000],
        };
        for (int i = 0; i < bodies[3].length; i++) {
            bodies[3][i] = (byte) (i * 31);
        }
        ByteBuffer out = ByteBuffer.allocate(200_000);
        for (int i = 0; i < bodies.length; i++) {
            RecordCodec.encode(out, 1_000_000_000_000L + i, 1_700_000_000_000L + i, bodies[i]);
        }
        BytesFile file = new BytesFile(Arrays.copyOf(out.array(), out.position()));

        long position = 0;
        for (int i = 0; i < bodies.length; i++) {
            RecordCodec.Frame frame = RecordCodec.read(file, position, file.size());
            assertEquals(1_000_000_000_000L + i, frame.sequence);
            assertEquals(1_700_000_000_000L + i, frame.storedAtMillis);
            assertArrayEquals(bodies[i], frame.body);
            assertEquals(RecordCodec.frameSize(bodies[i].length), frame.size);
            position += frame.size;
        }
        assertNull(RecordCodec.read(file, position, file.size()), "nothing after the last frame");
    }

    @Test
    void everySingleBitFlipIsCaught() throws Exception {
        byte[] good = frame(42, 1_700_000_000_000L, "a record body".getBytes(StandardCharsets.UTF_8));
        // Another frame after it, so that a length made larger still fits in the file.
        byte[] next = frame(43, 1_700_000_000_001L, new byte[64]);
        for (int position = 0; position < good.length; position++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] damaged = concat(good, next);
                damaged[position] ^= (byte) (1 << bit);
                int at = position;
                assertThrows(RecordCodec.BadFrameException.class, () -> read(damaged),
                        "a flip of bit " + bit + " of byte " + at + " went unnoticed");
            }
        }
    }

    @Test
    void aDamagedLengthThatStillFitsIsCaughtByTheChecksum() throws Exception {
        byte[] good = frame(7, 1L, new byte[40]);
        byte[] next = frame(8, 2L, new byte[40]);
        for (int delta : new int[] {-1, 1, -8, 16, 40}) {
            byte[] damaged = concat(good, next);
            ByteBuffer.wrap(damaged).putInt(0, ByteBuffer.wrap(good).getInt(0) + delta);
            RecordCodec.BadFrameException e = assertThrows(RecordCodec.BadFrameException.class, () -> read(damaged));
            assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        }
    }

    @Test
    void aDamagedSequenceIsCaughtByTheChecksum() {
        byte[] damaged = frame(7, 1L, new byte[10]);
        damaged[15] ^= 1; // the sequence's last byte: 7 becomes 6
        RecordCodec.BadFrameException e = assertThrows(RecordCodec.BadFrameException.class, () -> read(damaged));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void aDamagedPayloadIsCaughtByTheChecksum() {
        byte[] storedAt = frame(7, 1L, new byte[10]);
        storedAt[RecordCodec.FRAME_HEADER] ^= 0x40;
        byte[] body = frame(7, 1L, new byte[10]);
        body[body.length - 1] ^= 0x01;
        for (byte[] damaged : new byte[][] {storedAt, body}) {
            RecordCodec.BadFrameException e = assertThrows(RecordCodec.BadFrameException.class, () -> read(damaged));
            assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        }
    }

    @Test
    void impossibleLengthsAreRejectedBeforeAnythingIsAllocated() {
        int[] lengths = {0, RecordCodec.PAYLOAD_PREFIX - 1, -1, Integer.MIN_VALUE, RecordCodec.MAX_PAYLOAD + 1,
            Integer.MAX_VALUE};
        for (int length : lengths) {
            byte[] bytes = frame(1, 1L, new byte[10]);
            ByteBuffer.wrap(bytes).putInt(0, length);
            RecordCodec.BadFrameException e = assertThrows(RecordCodec.BadFrameException.class, () -> read(bytes));
            assertTrue(e.getMessage().contains("impossible frame length " + length), e.getMessage());
        }
    }

    @Test
    void everyTruncationOfAFrameIsABadFrame() throws Exception {
        byte[] good = frame(9, 3L, "truncate me".getBytes(StandardCharsets.UTF_8));
        assertNull(read(new byte[0]), "no bytes at all: no frame, not a bad one");
        for (int cut = 1; cut < good.length; cut++) {
            byte[] partial = Arrays.copyOf(good, cut);
            assertThrows(RecordCodec.BadFrameException.class, () -> read(partial), "cut at " + cut);
        }
        // The limit, not the file size, is where reading stops: a frame past it is incomplete.
        BytesFile file = new BytesFile(good);
        assertThrows(RecordCodec.BadFrameException.class, () -> RecordCodec.read(file, 0, good.length - 1));
        assertEquals(9, RecordCodec.read(file, 0, good.length).sequence);
    }

    @Test
    void zeroFilledSpaceIsABadFrame() throws IOException {
        // What a power cut can leave after the last forced frame: the file grew, the data did not land.
        byte[] zeros = new byte[100];
        RecordCodec.BadFrameException e = assertThrows(RecordCodec.BadFrameException.class, () -> read(zeros));
        assertTrue(e.getMessage().contains("impossible frame length 0"), e.getMessage());
    }
}
