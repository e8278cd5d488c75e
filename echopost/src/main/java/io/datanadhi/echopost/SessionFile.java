package io.datanadhi.echopost;

import io.datanadhi.echopost.store.StoreFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * One of a session's logs ({@code events.log}, {@code agent-success.log},
 * {@code agent-failure.log}): whole lines appended, owner-only. A diagnostic, never in the way of
 * delivery: when a write fails (a full disk) its lines are dropped, the file is cut back to its
 * last whole line, and {@link #flush} says so once, and again once writing works again.
 */
final class SessionFile implements AutoCloseable {

    /** What changed at a flush: writing started failing, or works again. */
    static final class Change {
        final boolean failing;
        final String reason;
        /** Lines dropped while failing; known once it works again. */
        final long dropped;

        Change(boolean failing, String reason, long dropped) {
            this.failing = failing;
            this.reason = reason;
            this.dropped = dropped;
        }
    }

    final Path path;
    /** Null when there is no file to write to (its directory could not be made). */
    private final FileChannel channel;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private long pendingLines;
    private boolean failing;
    private long dropped;

    private SessionFile(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** Opens (creating) a session log; throws when it cannot be created. */
    static SessionFile open(Path path) throws IOException {
        return new SessionFile(path, FileChannel.open(path,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE),
                StoreFiles.ownerOnly("rw-------")));
    }

    /** A log with nowhere to go: lines are dropped without a word (the reason was reported once). */
    static SessionFile none(Path path) {
        return new SessionFile(path, null);
    }

    synchronized void add(String line) {
        if (channel == null) {
            return;
        }
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        pending.write(bytes, 0, bytes.length);
        pending.write('\n');
        pendingLines++;
    }

    synchronized int pendingBytes() {
        return pending.size();
    }

    /** Writes what was added. Returns what changed, or null when nothing did. */
    synchronized Change flush() {
        if (channel == null || pendingLines == 0) {
            return null;
        }
        ByteBuffer bytes = ByteBuffer.wrap(pending.toByteArray());
        long lines = pendingLines;
        pending.reset();
        pendingLines = 0;
        long before = -1;
        try {
            before = channel.size();
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            if (before >= 0) {
                try {
                    channel.truncate(before); // no half line for the next one to follow
                } catch (IOException ignored) {
                    // the next line may then follow half of one
                }
            }
            dropped += lines;
            if (!failing) {
                failing = true;
                return new Change(true, String.valueOf(e.getMessage()), 0);
            }
            return null;
        }
        if (failing) {
            failing = false;
            long lost = dropped;
            dropped = 0;
            return new Change(false, null, lost);
        }
        return null;
    }

    @Override
    public synchronized void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // every line was written or counted as dropped
            }
        }
    }
}
