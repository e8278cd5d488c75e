package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The store's file operations, in one place, so that a test can stand in for the disk and
 * simulate a power loss: writes that were never forced vanish, and so do directory entries that
 * were never synced. Every file is owner-only.
 */
public class StoreFiles {

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    /** Creates a new, empty file (failing if it exists), open for appending and reading. */
    public DurableFile create(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ),
                ownerOnly("rw-------"));
        return new ChannelFile(channel);
    }

    /** Opens an existing file for reading, and for appending or truncating. */
    public DurableFile open(Path path) throws IOException {
        return new ChannelFile(FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.READ));
    }

    /** Makes the directory's entries (files created, renamed or deleted in it) durable. */
    public void forceDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems cannot open a directory; there is nothing more we can do there.
            if (Files.isDirectory(dir) && e.getMessage() != null && e.getMessage().contains("Is a directory")) {
                return;
            }
            throw e;
        }
    }

    /** Renames atomically, replacing {@code to}. The caller forces the directory. */
    public void rename(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    public void delete(Path path) throws IOException {
        Files.deleteIfExists(path);
    }

    public void createDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, ownerOnly("rwx------"));
        }
    }

    public List<Path> list(Path dir) throws IOException {
        List<Path> paths = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                entries.forEach(paths::add);
            }
        }
        return paths;
    }

    /**
     * A lock file, opened for writing and owner-only like every file here, also when an earlier
     * version left it readable by others (another user's file keeps its mode; the lock works).
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

    /** Permissions for a new file or directory, e.g. {@code "rw-------"}; none off POSIX. */
    public static FileAttribute<?>[] ownerOnly(String permissions) {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions))}
                : new FileAttribute<?>[0];
    }

    /** A plain file channel. */
    static final class ChannelFile implements DurableFile {
        private final FileChannel channel;

        ChannelFile(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void append(ByteBuffer source) throws IOException {
            long position = channel.size();
            while (source.hasRemaining()) {
                position += channel.write(source, position);
            }
        }

        @Override
        public void write(ByteBuffer source, long position) throws IOException {
            while (source.hasRemaining()) {
                position += channel.write(source, position);
            }
        }

        @Override
        public void force() throws IOException {
            channel.force(false);
        }

        @Override
        public int read(ByteBuffer target, long position) throws IOException {
            return channel.read(target, position);
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            channel.truncate(size);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
