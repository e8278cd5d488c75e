package io.datanadhi.agent.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
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

    /** Writes {@code content} to {@code target} (mode 0600), creating its directory (0700). */
    public static void write(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, ownerOnly("rwx------"));
        }
        // A name of our own rather than Files.createTempFile, whose SecureRandom costs ~20 ms at start-up.
        Path temp = dir.resolve(target.getFileName() + "." + ProcessHandle.current().pid() + "."
                + SEQUENCE.incrementAndGet() + ".tmp");
        try {
            // Owner-only from the moment it exists, not after the content is in.
            try (SeekableByteChannel channel = Files.newByteChannel(temp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), ownerOnly("rw-------"))) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException | RuntimeException ignored) {
                // The write's own outcome is what the caller reports.
            }
        }
    }

    /** Permissions for a new file or directory, e.g. {@code "rwx------"}; none off POSIX. */
    public static FileAttribute<?>[] ownerOnly(String permissions) {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions))}
                : new FileAttribute<?>[0];
    }
}
