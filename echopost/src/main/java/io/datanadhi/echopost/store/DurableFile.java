package io.datanadhi.echopost.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** One open store file. Writes are durable only once {@link #force()} returned. */
public interface DurableFile extends Closeable {

    /** Appends all of {@code source} at the end of the file. */
    void append(ByteBuffer source) throws IOException;

    /** Makes every append so far durable (fdatasync). */
    void force() throws IOException;

    /** Reads into {@code target} from {@code position}; returns the bytes read, -1 at the end. */
    int read(ByteBuffer target, long position) throws IOException;

    long size() throws IOException;

    /** Cuts the file at {@code size}. */
    void truncate(long size) throws IOException;
}
