package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What is waiting in a store, read without changing anything, so that it can run next to a live
 * EchoPost ({@code echopost -status}, and the agent's {@code doctor}): the records after the
 * replay checkpoint, the oldest of them, and the segments quarantined in {@code corrupt/}.
 *
 * <p>Only frame headers are read (no checksums), hopping from frame to frame; the scan of a
 * segment stops at the first frame that cannot be whole (the tail a live writer is appending,
 * or damage, which EchoPost itself reports when replay reaches it). The checkpoint is written
 * every 1 000 records or 200 ms, so the backlog may include up to that many records already
 * delivered.
 */
public final class StoreStatus {

    /** Records after the checkpoint. */
    public final long backlog;
    /** When the oldest of them was stored, or -1 when there is none. */
    public final long oldestStoredAtMillis;
    public final int segments;
    public final long storeBytes;
    /** Files in {@code corrupt/}: segments quarantined by recovery or replay. */
    public final int corruptFiles;
    /** Set when the checkpoint could not be read: the backlog then counts every stored record. */
    public final String checkpointProblem;

    private StoreStatus(long backlog, long oldestStoredAtMillis, int segments, long storeBytes, int corruptFiles,
            String checkpointProblem) {
        this.backlog = backlog;
        this.oldestStoredAtMillis = oldestStoredAtMillis;
        this.segments = segments;
        this.storeBytes = storeBytes;
        this.corruptFiles = corruptFiles;
        this.checkpointProblem = checkpointProblem;
    }

    /** Reads the store of the EchoPost directory {@code dir} ({@code dir/store}, {@code dir/corrupt}). */
    public static StoreStatus read(Path dir) throws IOException {
        Path storeDir = dir.resolve("store");
        int corrupt = count(dir.resolve("corrupt"), ".corrupt");
        if (!Files.isDirectory(storeDir)) {
            return new StoreStatus(0, -1, 0, 0, corrupt, null);
        }
        long delivered = 0;
        String problem = null;
        try {
            delivered = Ledger.read(storeDir);
        } catch (RecordCodec.BadFrameException e) {
            problem = e.getMessage();
        }
        List<Path> segmentFiles = new ArrayList<>();
        try (Stream<Path> files = Files.list(storeDir)) {
            files.filter(p -> Segment.firstSequence(p) >= 0).sorted().forEach(segmentFiles::add);
        }
        long backlog = 0;
        long oldest = -1;
        long bytes = 0;
        for (Path segment : segmentFiles) {
            try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ)) {
                long size = channel.size();
                bytes += size;
                ByteBuffer header = ByteBuffer.allocate(RecordCodec.FRAME_HEADER + RecordCodec.PAYLOAD_PREFIX);
                for (long position = Segment.HEADER_SIZE; position + header.capacity() <= size; ) {
                    header.clear();
                    while (header.hasRemaining() && channel.read(header, position + header.position()) > 0) {
                        // read the frame header and the stored-at time
                    }
                    if (header.hasRemaining()) {
                        break;
                    }
                    header.flip();
                    int length = header.getInt();
                    header.getInt(); // crc
                    long sequence = header.getLong();
                    long storedAt = header.getLong();
                    if (length < RecordCodec.PAYLOAD_PREFIX || length > RecordCodec.MAX_PAYLOAD
                            || position + RecordCodec.FRAME_HEADER + length > size) {
                        break;
                    }
                    if (sequence > delivered) {
                        backlog++;
                        if (oldest < 0) {
                            oldest = storedAt;
                        }
                    }
                    position += RecordCodec.FRAME_HEADER + length;
                }
            } catch (IOException e) {
                // Deleted by a live EchoPost once delivered, between the listing and the open.
            }
        }
        return new StoreStatus(backlog, oldest, segmentFiles.size(), bytes, corrupt, problem);
    }

    private static int count(Path dir, String suffix) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return (int) files.filter(p -> p.getFileName().toString().endsWith(suffix)).count();
        }
    }
}
