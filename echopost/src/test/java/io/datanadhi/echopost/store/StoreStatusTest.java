package io.datanadhi.echopost.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreStatusTest {

    @TempDir
    Path dir;

    @Test
    void noStoreIsNoBacklog() throws Exception {
        StoreStatus status = StoreStatus.read(dir);
        assertEquals(0, status.backlog);
        assertEquals(-1, status.oldestStoredAtMillis);
        assertEquals(0, status.corruptFiles);
    }

    @Test
    void countsTheRecordsAfterTheCheckpointAndFindsTheOldestOfThem() throws Exception {
        long before = System.currentTimeMillis();
        Store store = Store.open(dir.resolve("store"), new StoreFiles(), new DiskLimits(Long.MAX_VALUE, 0),
                new RecordedEvents(), () -> { }, 4096); // small segments: several of them
        try {
            for (int batch = 0; batch < 30; batch++) { // a segment rolls over between batches
                List<byte[]> bodies = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    bodies.add(("{\"record\":" + (batch * 10 + i) + "}").getBytes(StandardCharsets.UTF_8));
                }
                assertTrue(store.append(bodies).get(10, TimeUnit.SECONDS).stored);
            }
            StoreStatus all = StoreStatus.read(dir);
            assertEquals(300, all.backlog);
            assertTrue(all.segments > 1, "segments: " + all.segments);
            assertTrue(all.oldestStoredAtMillis >= before && all.oldestStoredAtMillis <= System.currentTimeMillis());

            store.markDelivered(120);
            store.checkpoint();
            StoreStatus rest = StoreStatus.read(dir);
            assertEquals(180, rest.backlog, "records after the checkpoint");
            assertNull(rest.checkpointProblem);
        } finally {
            store.close();
        }
        Files.createDirectories(dir.resolve("corrupt"));
        Files.write(dir.resolve("corrupt").resolve("00000000000000000001.seg.corrupt"), new byte[10]);
        assertEquals(1, StoreStatus.read(dir).corruptFiles);
    }
}
