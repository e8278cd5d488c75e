package io.datanadhi.echopost.store;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The frame of one stored record: {@code length | crc32c | sequence | payload}, with a payload of
 * {@code stored-at millis | body}. The CRC covers the length, the sequence and the payload, so a
 * damaged length is caught as surely as a damaged body.
 */
public final class RecordCodec {

    /** length (4) + crc32c (4) + sequence (8). */
    public static final int FRAME_HEADER = 16;
    /** Stored-at time before the body. */
    static final int PAYLOAD_PREFIX = 8;
    /** Larger than any gRPC message we accept: a larger length is damage, not data. */
    public static final int MAX_PAYLOAD = 64 * 1024 * 1024;

    private RecordCodec() {}

    public static int frameSize(int bodyLength) {
        return FRAME_HEADER + PAYLOAD_PREFIX + bodyLength;
    }

    /** Writes one frame at the buffer's position. */
    public static void encode(ByteBuffer out, long sequence, long storedAtMillis, byte[] body) {
        int length = PAYLOAD_PREFIX + body.length;
        int start = out.position();
        out.putInt(length);
        out.putInt(0); // crc, filled below
        out.putLong(sequence);
        out.putLong(storedAtMillis);
        out.put(body);
        CRC32C crc = new CRC32C();
        ByteBuffer covered = out.duplicate();
        covered.position(start).limit(start + 4);
        crc.update(covered);
        covered.limit(start + FRAME_HEADER + length).position(start + 8);
        crc.update(covered);
        out.putInt(start + 4, (int) crc.getValue());
    }

    /** What a read at one position found. */
    public static final class Frame {
        public final long sequence;
        public final long storedAtMillis;
        public final byte[] body;
        /** Total bytes of the frame. */
        public final int size;

        Frame(long sequence, long storedAtMillis, byte[] body, int size) {
            this.sequence = sequence;
            this.storedAtMillis = storedAtMillis;
            this.body = body;
            this.size = size;
        }
    }

    /** Thrown when the bytes at a position are not a whole, valid frame. */
    public static final class BadFrameException extends Exception {
        private static final long serialVersionUID = 1L;

        BadFrameException(String message) {
            super(message);
        }
    }

    /**
     * Reads the frame at {@code position}, within {@code limit} (the end of what may be read).
     * Returns null when no bytes are left at all.
     */
    public static Frame read(DurableFile file, long position, long limit) throws java.io.IOException, BadFrameException {
        if (position >= limit) {
            return null;
        }
        if (limit - position < FRAME_HEADER) {
            throw new BadFrameException("incomplete frame header at " + position);
        }
        ByteBuffer header = ByteBuffer.allocate(FRAME_HEADER);
        readFully(file, header, position);
        header.flip();
        int length = header.getInt();
        int storedCrc = header.getInt();
        long sequence = header.getLong();
        if (length < PAYLOAD_PREFIX || length > MAX_PAYLOAD) {
            throw new BadFrameException("impossible frame length " + length + " at " + position);
        }
        if (limit - position - FRAME_HEADER < length) {
            throw new BadFrameException("frame at " + position + " runs past the end");
        }
        ByteBuffer payload = ByteBuffer.allocate(length);
        readFully(file, payload, position + FRAME_HEADER);
        payload.flip();
        CRC32C crc = new CRC32C();
        header.position(0).limit(4);
        crc.update(header);
        header.limit(FRAME_HEADER).position(8);
        crc.update(header);
        crc.update(payload.duplicate());
        if ((int) crc.getValue() != storedCrc) {
            throw new BadFrameException("checksum mismatch at " + position);
        }
        long storedAt = payload.getLong();
        byte[] body = new byte[length - PAYLOAD_PREFIX];
        payload.get(body);
        return new Frame(sequence, storedAt, body, FRAME_HEADER + length);
    }

    static void readFully(DurableFile file, ByteBuffer target, long position) throws java.io.IOException {
        while (target.hasRemaining()) {
            int n = file.read(target, position);
            if (n < 0) {
                throw new java.io.EOFException("end of file at " + position);
            }
            position += n;
        }
    }
}
