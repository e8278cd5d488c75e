package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Replay's view of a segment: reads 256 KB at a time and serves frames from memory, instead of
 * two small reads per record. Safe because a segment only grows: bytes once read never change
 * below the durable end that bounds every read.
 */
final class ReadAhead implements DurableFile {

    private static final int WINDOW = 256 * 1024;

    private final DurableFile file;
    private final ByteBuffer window = ByteBuffer.allocate(WINDOW);
    private long windowStart;
    private int windowLength;

    ReadAhead(DurableFile file) {
        this.file = file;
    }

    @Override
    public int read(ByteBuffer target, long position) throws IOException {
        int wanted = target.remaining();
        if (wanted > WINDOW) {
            return file.read(target, position); // a large frame: straight from the file
        }
        if (position < windowStart || position + wanted > windowStart + windowLength) {
            fill(position);
            if (windowLength == 0) {
                return -1;
            }
        }
        int offset = (int) (position - windowStart);
        int n = Math.min(wanted, windowLength - offset);
        ByteBuffer slice = window.duplicate();
        slice.position(offset).limit(offset + n);
        target.put(slice);
        return n;
    }

    private void fill(long position) throws IOException {
        window.clear();
        windowStart = position;
        while (window.hasRemaining()) {
            int n = file.read(window, position + window.position());
            if (n <= 0) {
                break;
            }
        }
        windowLength = window.position();
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    public void append(ByteBuffer source) {
        throw new UnsupportedOperationException("read-only");
    }

    @Override
    public void write(ByteBuffer source, long position) {
        throw new UnsupportedOperationException("read-only");
    }

    @Override
    public void force() {
        throw new UnsupportedOperationException("read-only");
    }

    @Override
    public void truncate(long size) {
        throw new UnsupportedOperationException("read-only");
    }

    @Override
    public void close() {
        // the segment's own file is closed by the store
    }
}
