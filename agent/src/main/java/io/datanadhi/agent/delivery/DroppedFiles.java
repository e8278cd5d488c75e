package io.datanadhi.agent.delivery;

import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.diag.Counters.DropKind;
import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.files.AtomicFiles;
import io.datanadhi.agent.record.CapturedRecord;
import io.datanadhi.agent.record.RecordWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The last resort: {@code <dir>/dropped/<reason>_<epoch-ms>_<n>.jsonl}, one
 * {@code {"pipelines","log_data"}} per line, readable by the owner only, forced to disk before
 * the file is closed. {@code replay-dropped} sends them again; it skips a file while it is being
 * written, which holds a lock on it until it is closed.
 */
public final class DroppedFiles {

    private static final AtomicInteger SEQUENCE = new AtomicInteger();


    /** Compiled when a name is first read, not at the agent's start (a character class makes the JDK spin classes). */
    private static final class Names {
        /** {@code <reason>_<epoch-ms>_<n>.jsonl}, as {@link #open} names a file: groups reason, ms, n. */
        static final Pattern FILE_NAME = Pattern.compile("([a-z_]+)_(\\d+)_(\\d+)\\.jsonl");
    }

    /** A matcher of {@code <reason>_<epoch-ms>_<n>.jsonl}, as {@link #open} names a file, on {@code name}: groups reason, ms, n. */
    public static java.util.regex.Matcher nameMatcher(String name) {
        return Names.FILE_NAME.matcher(name);
    }

    private final Path directory;
    private final Counters counters;

    public DroppedFiles(Path dataNadhiDir, Counters counters) {
        this.directory = dataNadhiDir.resolve("dropped");
        this.counters = counters;
    }

    public Path directory() {
        return directory;
    }

    /**
     * Writes the records to a new file. Never throws: a failure is reported with the count lost.
     * An interrupt (the shutdown hook stopping a worker) never costs the records: a file channel
     * closes itself when its thread is interrupted, so the interrupt is held back while writing,
     * and a write it cut short anyway is done again in a new file.
     */
    public void write(DropKind reason, Collection<CapturedRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 1; ; attempt++) {
                Batch batch = null;
                try {
                    batch = open(reason);
                    for (CapturedRecord record : records) {
                        batch.append(record);
                    }
                    batch.close();
                    return;
                } catch (java.nio.channels.ClosedByInterruptException e) {
                    interrupted |= Thread.interrupted();
                    if (batch != null) {
                        batch.discard();
                    }
                    if (attempt == 3) {
                        reportLoss(reason, records.size(), e);
                        return;
                    }
                } catch (IOException | RuntimeException e) {
                    reportLoss(reason, records.size(), e);
                    return;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Opens a new file for records written one at a time. */
    public Batch open(DropKind reason) throws IOException {
        if (!Files.isDirectory(directory)) {
            Files.createDirectories(directory, AtomicFiles.ownerOnly("rwx------"));
        }
        while (true) {
            String name = fileName(reason) + "_" + System.currentTimeMillis() + "_" + SEQUENCE.incrementAndGet() + ".jsonl";
            Path file = directory.resolve(name);
            FileChannel channel;
            try {
                channel = FileChannel.open(file,
                        Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), AtomicFiles.ownerOnly("rw-------"));
            } catch (FileAlreadyExistsException e) {
                continue; // Another JVM on the same directory took this name: take the next one.
            }
            if (lockedWhileOurs(channel, file)) {
                return new Batch(reason, file, channel);
            }
            channel.close();
        }
    }

    /**
     * Locks a new file for as long as it is written: {@code replay-dropped} leaves a locked file
     * alone. False when replay-dropped got to the empty file first (it holds the lock, or has
     * already removed the file): the caller takes another name.
     */
    private static boolean lockedWhileOurs(FileChannel channel, Path file) {
        try {
            return channel.tryLock() != null && Files.exists(file);
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return false; // replay-dropped running in this very JVM (tests) holds it
        } catch (IOException e) {
            return true; // a file system without locks: write anyway, as records must not be lost
        }
    }

    /** The file name prefix: {@code primary_failed}, {@code queue_full}, ... */
    /** The reason in a dropped file's name ({@code primary_failed}, ...), or null for any other name. */
    public static String reasonOf(Path file) {
        java.util.regex.Matcher name = nameMatcher(file.getFileName().toString());
        return name.matches() ? name.group(1) : null;
    }

    public static String fileName(DropKind reason) {
        return reason.name().toLowerCase(java.util.Locale.ROOT);
    }

    void reportLoss(DropKind reason, int count, Exception cause) {
        counters.lost(count);
        Diagnostics.error("dropped_write_failed",
                count + " record(s) could not be written to " + directory + " (" + fileName(reason)
                        + ") and are lost: " + cause,
                "reason", fileName(reason), "count", count);
    }

    /** One open dropped file. */
    public final class Batch implements Closeable {
        private final DropKind reason;
        private final Path file;
        private final FileChannel channel;
        private final OutputStream out;
        private int count;

        private Batch(DropKind reason, Path file, FileChannel channel) {
            this.reason = reason;
            this.file = file;
            this.channel = channel;
            this.out = new java.io.BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
        }

        public void append(CapturedRecord record) throws IOException {
            out.write(RecordWriter.envelope(record));
            out.write('\n');
            count++;
        }

        public int count() {
            return count;
        }

        public Path file() {
            return file;
        }

        /** A write cut short: the file goes, so that its records are not on disk twice. */
        void discard() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // going anyway
            }
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a partial file: replay-dropped reports its broken line
            }
        }

        /** Flushes and forces the file; only then are its records counted as on disk. */
        @Override
        public void close() throws IOException {
            try {
                out.flush();
                channel.force(true);
            } finally {
                channel.close();
                if (count == 0) {
                    Files.deleteIfExists(file);
                }
            }
            counters.dropped(reason, count);
        }
    }

}
