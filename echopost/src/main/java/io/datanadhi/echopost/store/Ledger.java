package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The store's ledger: its one durable position, "every record up to sequence N is delivered"
 * (the replay checkpoint, file {@code checkpoint}). Written as a temp file, forced, renamed over
 * the old one, and the directory forced, so that after any crash it is either the old value or
 * the new one, never half of either.
 */
final class Ledger {

    static final String FILE_NAME = "checkpoint";
    private static final int MAGIC = 0x45504350; // "EPCP"
    private static final int SIZE = 16;

    private final StoreFiles files;
    private final Path dir;

    Ledger(StoreFiles files, Path dir) {
        this.files = files;
        this.dir = dir;
    }

    /** The stored value; 0 when there is none. Throws when the file exists but is damaged. */
    long read() throws IOException, RecordCodec.BadFrameException {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return 0;
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length != SIZE) {
            throw new RecordCodec.BadFrameException("checkpoint has " + bytes.length + " bytes");
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        int magic = buffer.getInt();
        long delivered = buffer.getLong();
        int crc = buffer.getInt();
        if (magic != MAGIC || crc != checksum(delivered) || delivered < 0) {
            throw new RecordCodec.BadFrameException("checkpoint damaged");
        }
        return delivered;
    }

    void write(long delivered) throws IOException {
        Path temp = dir.resolve(FILE_NAME + ".tmp");
        files.delete(temp);
        ByteBuffer buffer = ByteBuffer.allocate(SIZE);
        buffer.putInt(MAGIC).putLong(delivered).putInt(checksum(delivered));
        buffer.flip();
        try (DurableFile file = files.create(temp)) {
            file.append(buffer);
            file.force();
        }
        files.rename(temp, dir.resolve(FILE_NAME));
        files.forceDirectory(dir);
    }

    void delete() throws IOException {
        files.delete(dir.resolve(FILE_NAME));
        files.delete(dir.resolve(FILE_NAME + ".tmp"));
    }

    private static int checksum(long value) {
        CRC32C crc = new CRC32C();
        ByteBuffer buffer = ByteBuffer.allocate(8).putLong(value);
        buffer.flip();
        crc.update(buffer);
        return (int) crc.getValue();
    }
}
