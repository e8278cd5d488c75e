package io.datanadhi.agent;

import io.datanadhi.agent.files.AtomicFiles;
import io.datanadhi.agent.files.ProcessId;
import io.datanadhi.agent.record.EarlyEvent;
import io.datanadhi.agent.record.EarlyEventCodec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The file that events logged while the agent starts overflow into, past what the start-up
 * buffer keeps in memory: {@code <dir>/startup/early-events-<pid>-<random>.bin}, owner-only,
 * written by one thread, read back once through the same open file in the order written, and
 * deleted. Locked while in use, so that JVMs sharing {@code <dir>} (containers, whose pids may be
 * equal or invisible to each other) never touch each other's file; an unlocked one was left by a
 * JVM that is gone and is deleted by the next agent that starts. Not durable: nothing reads it
 * after this JVM.
 */
final class EarlyEventSpill {

    static final String DIR = "startup";
    private static final String PREFIX = "early-events-";
    private static final String SUFFIX = ".bin";
    private static final long MAGIC = 0x444e4541524c5901L; // "DNEARLY" and version 1

    private final Path file;
    private final FileChannel channel;
    private DataOutputStream out;
    /** Events handed to the stream, the one being written included: what a read back must find. */
    private long written;
    private String readFailure;

    private EarlyEventSpill(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
        this.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 256 * 1024));
    }

    /** A new, empty spill file in {@code <dir>/startup}, after deleting those no live JVM holds. */
    static EarlyEventSpill create(Path agentDir) throws IOException {
        Path dir = agentDir.resolve(DIR);
        Files.createDirectories(dir, AtomicFiles.ownerOnly("rwx------"));
        deleteAbandoned(dir);
        Path file = dir.resolve(PREFIX + ProcessId.current() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1) + SUFFIX);
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE), AtomicFiles.ownerOnly("rw-------"));
        try {
            channel.tryLock(); // best effort: without locks, only a JVM that is gone leaves files
        } catch (IOException | OverlappingFileLockException e) {
            // a file system without locks
        }
        EarlyEventSpill spill = new EarlyEventSpill(file, channel);
        spill.out.writeLong(MAGIC);
        return spill;
    }

    /** Deletes the files of JVMs that are gone: those nobody holds a lock on. */
    private static void deleteAbandoned(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            for (Path old : files) {
                try (FileChannel channel = FileChannel.open(old, StandardOpenOption.WRITE)) {
                    FileLock lock = channel.tryLock();
                    if (lock != null) {
                        Files.deleteIfExists(old);
                    }
                } catch (IOException | OverlappingFileLockException e) {
                    // held, gone meanwhile, or no locks here: left alone
                }
            }
        } catch (IOException e) {
            // a stale file wastes space, nothing more
        }
    }

    Path file() {
        return file;
    }

    /** One event, as {@link EarlyEventCodec} encoded it. */
    void write(byte[] event) throws IOException {
        written++;
        out.writeInt(event.length);
        out.write(event);
    }

    long written() {
        return written;
    }

    /** Ends writing: flushes what is buffered. Failing here loses events, which {@link #readBack} counts. */
    void finish() throws IOException {
        DataOutputStream stream = out;
        out = null;
        if (stream != null) {
            stream.flush();
        }
    }

    /** Finishes quietly, for a writer that already failed. */
    void abandon() {
        try {
            finish();
        } catch (IOException e) {
            // what did not reach the file is counted when it is read back
        }
    }

    /**
     * Gives every event written, in order, to {@code each}, while {@code more} says so, and returns
     * how many of those it looked for it could not read back (a write or the final flush failed: a
     * full disk). Reads through the file it wrote, whatever happened to the path since.
     */
    long readBack(Consumer<EarlyEvent> each, java.util.function.BooleanSupplier more) {
        long read = 0;
        try {
            long size = channel.size();
            channel.position(0);
            DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 256 * 1024));
            if (in.readLong() != MAGIC) {
                throw new IOException("not a start-up spill file of this agent version");
            }
            long consumed = Long.BYTES;
            while (read < written && more.getAsBoolean()) {
                int length = in.readInt();
                consumed += Integer.BYTES;
                if (length < 0 || length > size - consumed) {
                    throw new IOException("corrupt start-up spill file: an event of " + length + " bytes with "
                            + (size - consumed) + " left");
                }
                byte[] event = new byte[length];
                in.readFully(event);
                consumed += length;
                EarlyEvent decoded = EarlyEventCodec.decode(event);
                read++;
                each.accept(decoded);
            }
            return more.getAsBoolean() ? written - read : 0;
        } catch (EOFException e) {
            readFailure = "the file ends early: what was written last never reached the disk";
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            readFailure = e.toString();
        }
        return written - read;
    }

    /** Why {@link #readBack} stopped early, or null. */
    String readFailure() {
        return readFailure;
    }

    /** Deletes the file and lets it go. */
    void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // unlocked once closed: the next agent to start deletes it
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing more to do with it
        }
    }
}
