package io.datanadhi.echopost.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** One open store file. Writes are durable only once {@link #force()} returned. */
public interface DurableFile extends Closeable {

    /** Appends all of {@code source} at the end of the file. */
    void append(ByteBuffer source) throws IOException;

    /**
     * Writes all of {@code source} at {@code position}, over what is there (or past the end).
     * Overwriting bytes the file already has needs no new disk space.
     */
    void write(ByteBuffer source, long position) throws IOException;

    /** Makes every write so far durable (fdatasync). */
    void force() throws IOException;

    /** Reads into {@code target} from {@code position}; returns the bytes read, -1 at the end. */
    int read(ByteBuffer target, long position) throws IOException;

    long size() throws IOException;

    /** Cuts the file at {@code size}. */
    void truncate(long size) throws IOException;
}
