package io.datanadhi.echopost.store;

import static io.datanadhi.echopost.store.StoreTesting.UNLIMITED;
import static io.datanadhi.echopost.store.StoreTesting.appendAll;
import static io.datanadhi.echopost.store.StoreTesting.readAll;
import static io.datanadhi.echopost.store.StoreTesting.texts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger ("delivered up to N"): written in place so that replay needs no new disk space, two
 * slots so that a torn write leaves the position before it, and the one-slot file of earlier
 * versions read and grown.
 */
class LedgerTest {

    @TempDir
    Path root;

    private final RecordedEvents events = new RecordedEvents();

    private Path dir() {
        return root.resolve("store");
    }

    private Path file() {
        return dir().resolve(Ledger.FILE_NAME);
    }

    /** The 16 bytes an earlier version wrote: magic, delivered, crc32c of delivered. */
    private static byte[] oneSlotFile(long delivered) {
        ByteBuffer buffer = ByteBuffer.allocate(Ledger.SLOT_SIZE);
        CRC32C crc = new CRC32C();
        crc.update(ByteBuffer.allocate(8).putLong(0, delivered));
        buffer.putInt(0x45504350).putLong(delivered).putInt((int) crc.getValue());
        return buffer.array();
    }

    private Ledger openLedger(StoreFiles files) throws Exception {
        Files.createDirectories(dir());
        Ledger ledger = new Ledger(files, dir());
        ledger.open();
        ledger.makeIfMissing(0);
        return ledger;
    }

    @Test
    void theFileIsMadeWholeWhenTheStoreOpensAndEveryWriteAfterIsInPlace() throws Exception {
        ScriptedFiles files = new ScriptedFiles();
        Store store = Store.open(dir(), files, UNLIMITED, events, () -> {});
        assertEquals(Ledger.FILE_SIZE, Files.size(file()), "made at its full size before any record");
        appendAll(store, texts("r", 1, 3000));
        // From now on the disk is full: nothing may be created, and nothing may grow.
        files.failCreate = path -> true;
        files.beforeWrite = (path, position, length, size) -> {
            if (position + length > size) {
                throw new IOException("No space left on device");
            }
        };
        SegmentReader reader = store.reader();
        for (int i = 0; i < 3000; i++) {
            store.markDelivered(reader.next().sequence);
            if (i % 97 == 0) {
                store.checkpoint();
            }
        }
        store.close();
        assertEquals(3000, Ledger.read(dir()));
        assertEquals(Ledger.FILE_SIZE, Files.size(file()));
        assertTrue(events.named("write_failed").isEmpty(), events.toString());
    }

    @Test
    void aTornWriteOfOneSlotLeavesThePositionBeforeIt() throws Exception {
        Ledger ledger = openLedger(new StoreFiles());
        ledger.write(10);
        ledger.write(20);
        ledger.close();
        byte[] bytes = Files.readAllBytes(file());
        int slotOf20 = ByteBuffer.wrap(bytes).getLong(4) == 20 ? 0 : Ledger.SLOT_DISTANCE;
        assertEquals(20, ByteBuffer.wrap(bytes).getLong(slotOf20 + 4));
        assertEquals(10, ByteBuffer.wrap(bytes).getLong(Ledger.SLOT_DISTANCE - slotOf20 + 4), "the slots take turns");

        bytes[slotOf20 + 9] ^= 0x40; // the write of 20 torn
        Files.write(file(), bytes);
        assertEquals(10, Ledger.read(dir()));
        Ledger reopened = openLedger(new StoreFiles());
        reopened.write(30); // over the torn slot, not over the good one
        reopened.close();
        assertEquals(30, Ledger.read(dir()));
        bytes = Files.readAllBytes(file());
        assertEquals(10, ByteBuffer.wrap(bytes).getLong(Ledger.SLOT_DISTANCE - slotOf20 + 4));
    }

    @Test
    void afterAPowerCutDuringAWriteThePositionIsTheOldOrTheNewNeverLess() throws Exception {
        Files.createDirectories(dir());
        int sawOld = 0;
        int sawNew = 0;
        for (int seed = 0; seed < 200; seed++) {
            Random random = new Random(seed);
            PowerLossFiles disk = new PowerLossFiles(root, random, Long.MAX_VALUE, 0, 0);
            long before = Files.exists(file()) ? Ledger.read(dir()) : 0;
            Ledger ledger = new Ledger(disk, dir());
            ledger.open();
            ledger.makeIfMissing(before);
            long forced = before;
            for (int i = random.nextInt(3); i > 0; i--) {
                ledger.write(++forced);
            }
            long last = forced + 1;
            disk.cutAfter(1); // the write goes through, its force meets the cut
            assertThrows(IOException.class, () -> ledger.write(last));
            ledger.close();
            disk.powerLoss();
            long after = Ledger.read(dir());
            assertTrue(after == forced || after == last, "seed " + seed + ": " + after + ", not " + forced + " or " + last);
            sawOld += after == forced ? 1 : 0;
            sawNew += after == last ? 1 : 0;
        }
        assertTrue(sawOld > 0 && sawNew > 0, "the unforced write is lost in some cuts, kept in others");
    }

    @Test
    void aCheckpointOfAnEarlierVersionIsReadAndGrowsItsSecondSlot() throws Exception {
        Files.createDirectories(dir());
        Files.write(file(), oneSlotFile(12));
        Ledger ledger = openLedger(new StoreFiles());
        assertEquals(12, Ledger.read(dir()));
        ledger.write(15);
        ledger.close();
        byte[] bytes = Files.readAllBytes(file());
        assertEquals(Ledger.FILE_SIZE, bytes.length);
        assertArrayEquals(oneSlotFile(12), Arrays.copyOf(bytes, Ledger.SLOT_SIZE), "the old slot is left alone");
        assertEquals(15, Ledger.read(dir()));
    }

    @Test
    void aCheckpointOfAnEarlierVersionOnAFullDiskIsOverwrittenInPlace() throws Exception {
        Files.createDirectories(dir());
        Files.write(file(), oneSlotFile(12));
        ScriptedFiles files = new ScriptedFiles();
        files.failCreate = path -> true;
        files.beforeWrite = (path, position, length, size) -> {
            if (position + length > size) {
                throw new IOException("No space left on device");
            }
        };
        Ledger ledger = openLedger(files);
        ledger.write(15);
        ledger.write(16);
        ledger.close();
        assertEquals(Ledger.SLOT_SIZE, Files.size(file()));
        assertEquals(16, Ledger.read(dir()));
    }

    @Test
    void aStoreOfAnEarlierVersionResumesAfterItsCheckpoint() throws Exception {
        Store store = Store.open(dir(), new StoreFiles(), UNLIMITED, events, () -> {});
        appendAll(store, texts("r", 1, 10));
        store.close();
        Files.write(file(), oneSlotFile(4)); // as an earlier version left it

        Store reopened = Store.open(dir(), new StoreFiles(), UNLIMITED, events, () -> {});
        assertEquals(4, reopened.delivered());
        assertEquals(texts("r", 5, 10), texts(readAll(reopened)));
        reopened.close();
    }

    @Test
    void noValidSlotIsDamage() throws Exception {
        Files.createDirectories(dir());
        Files.write(file(), new byte[Ledger.FILE_SIZE]);
        assertThrows(RecordCodec.BadFrameException.class, () -> Ledger.read(dir()));
        Ledger ledger = new Ledger(new StoreFiles(), dir());
        assertThrows(RecordCodec.BadFrameException.class, ledger::open);
        ledger.write(3); // rewritten in place
        ledger.close();
        assertEquals(3, Ledger.read(dir()));
        assertFalse(Files.exists(dir().resolve(Ledger.FILE_NAME + ".tmp")));
    }
}
