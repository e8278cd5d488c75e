package io.datanadhi.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.capture.Mappers;
import io.datanadhi.agent.record.EarlyEvent;
import io.datanadhi.agent.record.EarlyEventCodec;
import io.datanadhi.agent.record.EarlyEventMapper;
import io.datanadhi.agent.record.RecordSettings;
import io.datanadhi.bootstrap.CapturedEvent;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-up spill file: owner-only, read back in order, and what never reached it counted. */
class EarlyEventSpillTest {

    @TempDir
    Path dir;

    @Test
    void eventsReadBackInOrderFromAnOwnerOnlyFileThatIsThenDeleted() throws Exception {
        EarlyEventSpill spill = EarlyEventSpill.create(dir);
        for (int i = 0; i < 100; i++) {
            spill.write(event("event " + i));
        }
        spill.finish();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(spill.file())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(spill.file().getParent())));
        List<EarlyEvent> read = new ArrayList<>();
        assertEquals(0, spill.readBack(read::add, () -> true));
        assertEquals(100, read.size());
        for (int i = 0; i < read.size(); i++) {
            assertEquals("event " + i, message(read.get(i)));
        }
        spill.delete();
        assertFalse(Files.exists(spill.file()));
    }

    @Test
    void eventsThatNeverReachedTheDiskAreCountedNotInvented() throws Exception {
        EarlyEventSpill spill = EarlyEventSpill.create(dir);
        for (int i = 0; i < 100; i++) {
            spill.write(event("event " + i));
        }
        spill.finish();
        try (FileChannel file = FileChannel.open(spill.file(), StandardOpenOption.WRITE)) {
            file.truncate(file.size() / 2); // as a full disk leaves it
        }
        List<EarlyEvent> read = new ArrayList<>();
        long unread = spill.readBack(read::add, () -> true);
        assertTrue(unread > 0 && read.size() > 0, "read " + read.size() + ", unread " + unread);
        assertEquals(100, read.size() + unread);
        assertNotNull(spill.readFailure());
    }

    @Test
    void aFileLeftByAJvmThatIsGoneIsDeletedByTheNextStart() throws Exception {
        Path left = Files.createDirectories(dir.resolve(EarlyEventSpill.DIR)).resolve("early-events-999999999.bin");
        Files.writeString(left, "old");
        Path other = dir.resolve(EarlyEventSpill.DIR).resolve("notes.txt");
        Files.writeString(other, "not ours");
        EarlyEventSpill.create(dir).abandon();
        assertFalse(Files.exists(left));
        assertTrue(Files.exists(other));
    }

    private static byte[] event(String message) {
        return EarlyEventCodec.encode(EarlyEvent.of(new CapturedEvent().set("jul", new LogRecord(Level.INFO, message), null),
                Mappers.forFramework("jul"), 32768), 4096);
    }

    private static String message(EarlyEvent event) {
        return new EarlyEventMapper(new RecordSettings("t", List.of())).message(EarlyEventMapper.captured(event));
    }
}
