package io.datanadhi.agent;

import io.datanadhi.agent.files.AtomicFiles;
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
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The file that events logged while the agent starts overflow into, past what the start-up
 * buffer keeps in memory: {@code <dir>/startup/early-events-<pid>.bin}, owner-only, written by
 * one thread, read back once in the order written and deleted. Not durable (nothing reads it
 * after this JVM); a file left by a JVM that died is deleted by the next agent that starts.
 */
final class EarlyEventSpill {

    static final String DIR = "startup";
    private static final long MAGIC = 0x444e4541524c5901L; // "DNEARLY" and version 1
    private static final String PREFIX = "early-events-";
    private static final String SUFFIX = ".bin";

    private final Path file;
    private DataOutputStream out;
    /** Events handed to the stream, the one being written included: what a read back must find. */
    private long written;
    private String readFailure;

    private EarlyEventSpill(Path file, DataOutputStream out) {
        this.file = file;
        this.out = out;
    }

    /** A new, empty spill file in {@code <dir>/startup}, after deleting those of JVMs that are gone. */
    static EarlyEventSpill create(Path agentDir) throws IOException {
        Path dir = agentDir.resolve(DIR);
        Files.createDirectories(dir, AtomicFiles.ownerOnly("rwx------"));
        deleteAbandoned(dir);
        Path file = dir.resolve(PREFIX + ProcessHandle.current().pid() + SUFFIX);
        Files.deleteIfExists(file); // a JVM that had this pid before
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                AtomicFiles.ownerOnly("rw-------"));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 256 * 1024));
        out.writeLong(MAGIC);
        return new EarlyEventSpill(file, out);
    }

    private static void deleteAbandoned(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            for (Path old : files) {
                String name = old.getFileName().toString();
                try {
                    long pid = Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
                    if (ProcessHandle.of(pid).isEmpty()) {
                        Files.deleteIfExists(old);
                    }
                } catch (NumberFormatException | IOException e) {
                    // not ours, or gone meanwhile
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
            stream.close();
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
     * Gives every event written, in order, to {@code each}, and returns how many it could not
     * read back (a write or the final flush failed: a full disk).
     */
    long readBack(Consumer<EarlyEvent> each) {
        long read = 0;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 256 * 1024))) {
            if (in.readLong() != MAGIC) {
                throw new IOException("not a start-up spill file of this agent version");
            }
            while (read < written) {
                int length = in.readInt();
                if (length < 0 || length > 1 << 30) {
                    throw new IOException("corrupt start-up spill file: an event of " + length + " bytes");
                }
                byte[] event = new byte[length];
                in.readFully(event);
                EarlyEvent decoded = EarlyEventCodec.decode(event);
                read++;
                each.accept(decoded);
            }
        } catch (EOFException e) {
            readFailure = "the file ends early: what was written last never reached the disk";
        } catch (IOException | RuntimeException e) {
            readFailure = e.toString();
        }
        return written - read;
    }

    /** Why {@link #readBack} stopped early, or null. */
    String readFailure() {
        return readFailure;
    }

    void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // the next agent to start deletes it
        }
    }
}
