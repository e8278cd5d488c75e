package io.datanadhi.agent.cli;

import io.datanadhi.agent.delivery.ReplaySender;
import io.datanadhi.agent.delivery.SendResult;
import io.datanadhi.agent.files.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Replays one dropped file. The file is read from where an earlier, interrupted run stopped (its
 * {@link ReplayProgress} sidecar), each record sent as the agent would, and the progress saved
 * durably after every {@link #CHECKPOINT_RECORDS} records sent. The file itself is changed once,
 * at the end: deleted when nothing is left, else rewritten (temp file, fsync, rename) to hold
 * only the refused and unreadable lines and, if the server stopped answering, every line not
 * yet sent; then the sidecar goes.
 *
 * <p>Killed at any moment, nothing is lost: the file (or its rewritten remainder) is on disk
 * until it is replaced or deleted, and the next run resumes from the saved offset, sending
 * again at most the records sent since the last checkpoint: {@link #CHECKPOINT_RECORDS} answered,
 * plus the sender's window of requests in flight. (Killed between the rewrite and the sidecar's removal, the
 * sidecar no longer matches the file and is ignored: the rewritten file holds only what was not
 * delivered.)
 */
final class DroppedFileReplay {

    /** Records sent between two saves of the progress: the most a {@code kill -9} can resend. */
    static final int CHECKPOINT_RECORDS = 100;
    static final long PROGRESS_LINE_NANOS = 10_000_000_000L;

    /** What happened to one file. */
    static final class Report {
        final Path file;
        boolean inUse;
        long records;
        long delivered;
        long refused;
        long unreadable;
        /** Not attempted: the server stopped answering. */
        long left;
        /** Handled by an earlier, interrupted run. */
        long resumedAfter;
        String firstRefusal;
        long firstUnreadableLine;
        /** Why the replay stopped (the server), or null. */
        String stopped;
        boolean removed;
        boolean rewritten;

        Report(Path file) {
            this.file = file;
        }
    }

    private final ReplaySender sender;
    private final PrintStream out;
    private final String shownName;

    DroppedFileReplay(ReplaySender sender, PrintStream out, String shownName) {
        this.sender = sender;
        this.out = out;
        this.shownName = shownName;
    }

    Report replay(Path file) throws IOException {
        Report report = new Report(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock = tryLock(channel);
            if (lock == null) {
                report.inUse = true; // an agent is still writing it
                return report;
            }
            ReplayProgress progress = ReplayProgress.load(file);
            report.resumedAfter = progress.handled();
            long size = channel.size();
            sendFrom(channel, progress, report);
            report.delivered = progress.delivered;
            report.refused = progress.refused;
            report.unreadable = progress.unreadable;
            report.firstRefusal = progress.firstRefusal;
            report.firstUnreadableLine = progress.firstUnreadableLine;
            report.records = progress.handled() + report.left;
            finish(file, channel, progress, size, report);
        }
        return report;
    }

    /** The lock, or null when another process holds it, or this JVM (tests: an agent, another replay). */
    static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    /**
     * Sends the lines from the saved offset, up to the sender's window outstanding at once, and
     * settles them in file order as the answers come back. When the server stops taking records
     * (above 500, 408, 429, no answer), nothing more is sent; what was already sent is settled (a
     * record behind the failed one may have been delivered), each failed line is kept in the file,
     * and the rest of the file is left for the next run.
     */
    private void sendFrom(FileChannel channel, ReplayProgress progress, Report report) throws IOException {
        DroppedLines lines = new DroppedLines(channel, progress.offset, progress.lines);
        int sinceCheckpoint = 0;
        long nextProgressLine = System.nanoTime() + PROGRESS_LINE_NANOS;
        ArrayDeque<Pending> window = new ArrayDeque<>();
        boolean sending = true;
        while (true) {
            while (sending && window.size() < sender.window()) {
                Pending next = nextBatch(lines);
                if (next == null) {
                    break;
                }
                window.add(next);
            }
            Pending head = window.poll();
            if (head == null) {
                break;
            }
            SendResult outcome = head.result == null ? null : sender.await(head.result);
            if (outcome != null && outcome.kind == SendResult.Kind.RETRY) {
                if (report.stopped == null) {
                    report.stopped = outcome.detail;
                }
                sending = false;
                for (DroppedLines.Line failed : head.lines) {
                    report.left++;
                    progress.keep(failed.start, failed.end);
                    progress.offset = failed.end;
                    progress.lines = failed.number;
                }
                continue;
            }
            for (DroppedLines.Line handled : head.lines) {
                commit(progress, handled, outcome);
            }
            sinceCheckpoint += head.records;
            if (sinceCheckpoint >= CHECKPOINT_RECORDS) {
                progress.save(report.file);
                sinceCheckpoint = 0;
                if (System.nanoTime() - nextProgressLine > 0) {
                    out.println(shownName + ": " + progress.handled() + " records so far, " + progress.delivered
                            + " delivered, " + progress.refused + " refused ...");
                    out.flush();
                    nextProgressLine = System.nanoTime() + PROGRESS_LINE_NANOS;
                }
            }
        }
        if (!sending) {
            report.left += countRest(lines);
        }
    }

    /** Lines sent together (one to the primary, up to 100 to the fallback), and their answer to come. */
    private static final class Pending {
        final List<DroppedLines.Line> lines = new ArrayList<>();
        int records;
        /** Null when none of them is a record (unreadable lines only). */
        CompletableFuture<SendResult> result;
    }

    private Pending nextBatch(DroppedLines lines) throws IOException {
        Pending pending = new Pending();
        List<byte[]> envelopes = new ArrayList<>(sender.batchSize());
        DroppedLines.Line line;
        while (envelopes.size() < sender.batchSize() && (line = lines.next()) != null) {
            pending.lines.add(line);
            if (line.envelope != null) {
                envelopes.add(line.envelope);
            }
        }
        if (pending.lines.isEmpty()) {
            return null;
        }
        pending.records = envelopes.size();
        pending.result = envelopes.isEmpty() ? null : sender.sendAsync(envelopes);
        return pending;
    }

    private static void commit(ReplayProgress progress, DroppedLines.Line line, SendResult outcome) {
        if (line.envelope == null) {
            progress.unreadable++;
            if (progress.firstUnreadableLine == 0) {
                progress.firstUnreadableLine = line.number;
            }
            progress.keep(line.start, line.end);
        } else if (outcome.kind == SendResult.Kind.DELIVERED) {
            progress.delivered++;
        } else {
            progress.refused++;
            if (progress.firstRefusal == null) {
                progress.firstRefusal = outcome.detail;
            }
            progress.keep(line.start, line.end);
        }
        progress.offset = line.end;
        progress.lines = line.number;
    }

    private static long countRest(DroppedLines lines) throws IOException {
        long count = 0;
        while (lines.next() != null) {
            count++;
        }
        return count;
    }

    /** Deletes the file, or rewrites it with what is left, or leaves it as it is; then the sidecar goes. */
    private static void finish(Path file, FileChannel channel, ReplayProgress progress, long size, Report report)
            throws IOException {
        long left = progress.bytesLeft(size);
        if (report.left == 0 && progress.kept.isEmpty()) {
            Files.delete(file);
            AtomicFiles.forceDirectory(file.getParent());
            report.removed = true;
        } else if (left < size) {
            AtomicFiles.writeDurably(file, target -> {
                for (long[] range : progress.kept) {
                    copy(channel, range[0], range[1], target);
                }
                copy(channel, progress.offset, size, target);
            });
            report.rewritten = true;
        }
        Files.deleteIfExists(ReplayProgress.sidecar(file));
    }

    /** Copies bytes {@code [from, to)}, ending them with a newline if they lack one. */
    private static void copy(FileChannel channel, long from, long to, OutputStream target) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        long position = from;
        byte last = '\n';
        while (position < to) {
            buffer.clear();
            buffer.limit((int) Math.min(buffer.capacity(), to - position));
            int n = channel.read(buffer, position);
            if (n <= 0) {
                throw new IOException("the file ended at " + position + " bytes, expected " + to);
            }
            target.write(buffer.array(), 0, n);
            last = buffer.array()[n - 1];
            position += n;
        }
        if (last != '\n') {
            target.write('\n');
        }
    }
}
