package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The store's ledger: its one durable position, "every record up to sequence N is delivered"
 * (the replay checkpoint, file {@code checkpoint}), where replay resumes after a restart.
 *
 * <p>Written in place, never as a new file, so that replay can go on when the disk has not one
 * byte free: deleting delivered segments is what gives space back, and it comes after the
 * position is written. The file is made at its full size when the store opens (on a disk that
 * just took the store's records); every write then overwrites one of two 16-byte slots, a page
 * apart, and forces the file. The slots take turns: a write torn by a power cut damages only the
 * slot it was writing, and the other still holds the position before it. The position is the
 * higher of the valid slots, as it only ever grows.
 *
 * <p>A slot: magic {@code "EPCP"} (4) | delivered (8) | crc32c of delivered (4). Slot 0 is at 0,
 * slot 1 at {@value #SLOT_DISTANCE}; the file is {@value #FILE_SIZE} bytes. Versions before this
 * one wrote slot 0 alone, a 16-byte file replaced by rename: it is read as it is, and grows its
 * second slot at the first write that finds room (until then slot 0 is overwritten in place).
 */
final class Ledger implements AutoCloseable {

    static final String FILE_NAME = "checkpoint";
    static final int SLOT_SIZE = 16;
    /** A page apart: a torn write of one slot cannot reach the other. */
    static final int SLOT_DISTANCE = 4096;
    static final int FILE_SIZE = 2 * SLOT_DISTANCE;
    private static final int MAGIC = 0x45504350; // "EPCP"
    private static final long INVALID = -1;

    private final StoreFiles files;
    private final Path dir;
    private final Path path;
    /** Open for the life of the store; null until the file exists. */
    private DurableFile file;
    private long fileSize;
    /** What each slot holds, as last read or written; {@link #INVALID} when not a valid slot. */
    private final long[] slots = {INVALID, INVALID};

    Ledger(StoreFiles files, Path dir) {
        this.files = files;
        this.dir = dir;
        this.path = dir.resolve(FILE_NAME);
    }

    /**
     * Reads the ledger of a store without changing anything ({@code -status}, next to a running
     * EchoPost): the position, 0 when there is none. Throws when the file exists but no slot in it
     * is valid.
     */
    static long read(Path dir) throws IOException, RecordCodec.BadFrameException {
        Path path = dir.resolve(FILE_NAME);
        if (!Files.exists(path)) {
            return 0;
        }
        long[] slots = parse(ByteBuffer.wrap(Files.readAllBytes(path)));
        return position(slots);
    }

    /**
     * Opens the store's ledger and returns the position, 0 when there is none. Throws
     * {@link RecordCodec.BadFrameException} when the file has no valid slot (it is rewritten at
     * the next {@link #write}).
     */
    long open() throws IOException, RecordCodec.BadFrameException {
        if (!Files.exists(path)) {
            return 0;
        }
        file = files.open(path);
        fileSize = file.size();
        ByteBuffer content = ByteBuffer.allocate((int) Math.min(fileSize, FILE_SIZE));
        RecordCodec.readFully(file, content, 0);
        content.flip();
        long[] read = parse(content);
        slots[0] = read[0];
        slots[1] = read[1];
        return position(slots);
    }

    /**
     * Makes the file, at its full size, when there is none: while the disk still has room, so that
     * no later write needs any.
     */
    void makeIfMissing(long delivered) throws IOException {
        if (file == null) {
            make(delivered);
        }
    }

    /** Writes the position and forces it: in place, needing no new disk space once the file is whole. */
    void write(long delivered) throws IOException {
        if (file == null) {
            make(delivered);
            return;
        }
        // The slot that does not hold the latest position; the one a failed write left, first.
        int slot = slots[0] >= slots[1] ? 1 : 0;
        slots[slot] = INVALID; // until forced
        if (slot == 1 && fileSize < FILE_SIZE) {
            if (grow(delivered)) {
                slots[1] = delivered;
                return;
            }
            slot = 0; // a file of an older version, and no room to grow it: its one slot, in place
            slots[0] = INVALID;
        }
        file.write(slot(delivered), (long) slot * SLOT_DISTANCE);
        file.force();
        slots[slot] = delivered;
    }

    /** A one-slot file (an older version's) gets its second slot, holding the new position. */
    private boolean grow(long delivered) {
        ByteBuffer rest = ByteBuffer.allocate(FILE_SIZE - SLOT_SIZE);
        rest.position(SLOT_DISTANCE - SLOT_SIZE);
        rest.put(slot(delivered));
        rest.clear();
        try {
            file.write(rest, SLOT_SIZE);
            file.force();
            fileSize = FILE_SIZE;
            return true;
        } catch (IOException e) {
            try {
                fileSize = file.size();
            } catch (IOException ignored) {
                // still smaller than a whole ledger
            }
            return false;
        }
    }

    /**
     * Makes the file at its full size, both slots holding {@code delivered}: a temp file, forced,
     * renamed into place, the directory forced, so that it is never there half made.
     */
    private void make(long delivered) throws IOException {
        Path temp = dir.resolve(FILE_NAME + ".tmp");
        files.delete(temp);
        ByteBuffer content = ByteBuffer.allocate(FILE_SIZE);
        content.put(slot(delivered));
        content.position(SLOT_DISTANCE);
        content.put(slot(delivered));
        content.clear();
        try {
            try (DurableFile made = files.create(temp)) {
                made.append(content);
                made.force();
            }
            files.rename(temp, path);
            files.forceDirectory(dir);
        } catch (IOException e) {
            try {
                files.delete(temp);
            } catch (IOException ignored) {
                // a leftover .tmp is deleted when the store next opens
            }
            throw e;
        }
        file = files.open(path);
        fileSize = FILE_SIZE;
        slots[0] = delivered;
        slots[1] = delivered;
    }

    @Override
    public void close() {
        if (file != null) {
            try {
                file.close();
            } catch (IOException ignored) {
                // every write was forced
            }
            file = null;
        }
    }

    /** Closes and removes the file. */
    void delete() throws IOException {
        close();
        files.delete(path);
        files.delete(dir.resolve(FILE_NAME + ".tmp"));
    }

    private static ByteBuffer slot(long delivered) {
        ByteBuffer slot = ByteBuffer.allocate(SLOT_SIZE);
        slot.putInt(MAGIC).putLong(delivered).putInt(checksum(delivered));
        slot.flip();
        return slot;
    }

    /** The value of each slot in the file's content; {@link #INVALID} for one that is damaged or missing. */
    private static long[] parse(ByteBuffer content) {
        long[] slots = new long[2];
        for (int i = 0; i < 2; i++) {
            int at = i * SLOT_DISTANCE;
            slots[i] = INVALID;
            if (content.limit() >= at + SLOT_SIZE && content.getInt(at) == MAGIC) {
                long delivered = content.getLong(at + 4);
                if (delivered >= 0 && content.getInt(at + 12) == checksum(delivered)) {
                    slots[i] = delivered;
                }
            }
        }
        return slots;
    }

    private static long position(long[] slots) throws RecordCodec.BadFrameException {
        long position = Math.max(slots[0], slots[1]);
        if (position == INVALID) {
            throw new RecordCodec.BadFrameException("no valid slot in the checkpoint file");
        }
        return position;
    }

    private static int checksum(long value) {
        CRC32C crc = new CRC32C();
        ByteBuffer buffer = ByteBuffer.allocate(8).putLong(value);
        buffer.flip();
        crc.update(buffer);
        return (int) crc.getValue();
    }
}
