package io.datanadhi.agent.files;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Files the agent replaces whole: written to a temp file, then renamed over the target, so a
 * reader never sees half a file. Owner-only permissions where the file system has them.
 */
public final class AtomicFiles {

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private AtomicFiles() {}

    /** What goes into a file being replaced, written to a stream. */
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes {@code content} to {@code target} (mode 0600), creating its directory (0700). */
    public static void write(Path target, byte[] content) throws IOException {
        replace(target, new Content() {
            @Override
            public void writeTo(OutputStream out) throws IOException {
                out.write(content);
            }
        }, false);
    }

    /**
     * {@link #write}, durably: the temp file is forced to disk before the rename, and the
     * directory after it, so that after a crash or power cut {@code target} holds either the old
     * or the new content, and the new one once this returns. For files whose loss would lose or
     * repeat records ({@code replay-dropped}); a second or two of fsync is too much for the
     * agent's start-up files.
     */
    public static void writeDurably(Path target, Content content) throws IOException {
        replace(target, content, true);
    }

    private static void replace(Path target, Content content, boolean durable) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, ownerOnly("rwx------"));
        }
        // A name of our own rather than Files.createTempFile, whose SecureRandom costs ~20 ms at start-up.
        Path temp = dir.resolve(target.getFileName() + "." + ProcessId.current() + "."
                + SEQUENCE.incrementAndGet() + ".tmp");
        try {
            // Owner-only from the moment it exists, not after the content is in.
            try (FileChannel channel = FileChannel.open(temp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), ownerOnly("rw-------"))) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
                content.writeTo(out);
                out.flush();
                if (durable) {
                    channel.force(true);
                }
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            if (durable) {
                forceDirectory(dir);
            }
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException | RuntimeException ignored) {
                // The write's own outcome is what the caller reports.
            }
        }
    }

    /**
     * Forces a directory's entries (a file created, renamed or deleted in it) to disk. Where a
     * directory cannot be opened for that (not on Linux or macOS), there is nothing more to do.
     */
    public static void forceDirectory(Path dir) throws IOException {
        if (!POSIX) {
            return;
        }
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /**
     * A lock file, opened for writing and owner-only like every file the agent keeps, also when an
     * earlier version left it readable by others (another user's file keeps its mode; the lock works).
     */
    public static FileChannel openLockFile(Path file) throws IOException {
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                ownerOnly("rw-------"));
        if (POSIX) {
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (IOException e) {
                // not ours to change
            }
        }
        return channel;
    }

    /** Permissions for a new file or directory, e.g. {@code "rwx------"}; none off POSIX. */
    public static FileAttribute<?>[] ownerOnly(String permissions) {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions))}
                : new FileAttribute<?>[0];
    }
}
