package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The store's disk limits: a cap on its size ({@code -max-disk-mb}) and free space to leave on
 * the file system ({@code -min-free-mb}). A record beyond them is refused with a reason, which
 * sends the agent on to its next route, rather than stored on a disk the machine needs.
 */
public final class DiskLimits {

    /** Free space is looked up at most this often: a statfs per group commit is not free. */
    private static final long FREE_SPACE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    final long maxBytes;
    final long reserveBytes;
    // The writer thread only.
    private long freeSpaceCheckedAt;
    private FileStore fileStore;
    private long usableSpace = Long.MAX_VALUE;

    public DiskLimits(long maxBytes, long reserveBytes) {
        this.maxBytes = maxBytes;
        this.reserveBytes = reserveBytes;
    }

    /** A copy for one store: the free-space sample is per store (and per writer thread). */
    DiskLimits copy() {
        return new DiskLimits(maxBytes, reserveBytes);
    }

    /** Why {@code incoming} more bytes in {@code dir} would pass a limit; null when they fit. */
    String refusal(Path dir, long storeBytes, long incoming) {
        if (storeBytes + incoming > maxBytes) {
            return "EchoPost's disk cap is reached (" + maxBytes / (1024 * 1024) + " MB, -max-disk-mb): "
                    + "record refused";
        }
        long now = System.nanoTime();
        if (now - freeSpaceCheckedAt > FREE_SPACE_CHECK_NANOS) {
            try {
                if (fileStore == null) {
                    fileStore = Files.getFileStore(dir); // reads the mount table: once
                }
                usableSpace = fileStore.getUsableSpace();
            } catch (IOException e) {
                usableSpace = Long.MAX_VALUE; // cannot tell; the write itself will say
            }
            freeSpaceCheckedAt = now;
        }
        if (usableSpace - incoming < reserveBytes) {
            return "the disk is nearly full (" + usableSpace / (1024 * 1024) + " MB free, EchoPost keeps "
                    + reserveBytes / (1024 * 1024) + " MB free): record refused";
        }
        return null;
    }
}
