package io.datanadhi.echopost.store;

import static io.datanadhi.echopost.store.StoreTesting.UNLIMITED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No per-record structure on the heap: the heap the store retains does not grow with the number
 * of records stored, read or delivered.
 */
class StoreMemoryTest {

    private static final int RECORDS = 300_000;
    private static final int BATCH = 100;
    /**
     * Well above the noise of a measurement after a full GC, well below what any per-record
     * structure for 300 000 records takes (14 bytes a record would already pass it; a boxed
     * sequence per record takes about 20).
     */
    private static final long BOUND = 4L * 1024 * 1024;

    @TempDir
    Path root;

    @Test
    void heapStaysFlatWhileThreeHundredThousandRecordsPassThrough() throws Exception {
        Store store = Store.open(root.resolve("store"), new StoreFiles(), UNLIMITED, new RecordedEvents(), () -> {},
                8L * 1024 * 1024);
        try {
            // Warm up: classes loaded, the writer's buffer allocated, segments rolled and deleted.
            appendRecords(store, 0, 20_000);
            readAndDeliver(store, 1, 20_000);
            long baseline = retainedHeap();

            appendRecords(store, 20_000, RECORDS);
            long stored = retainedHeap();
            assertEquals(20_000 + RECORDS, store.lastDurableSequence());
            assertEquals(RECORDS, store.backlog());

            readAndDeliver(store, 20_001, RECORDS);
            long delivered = retainedHeap();
            assertEquals(0, store.backlog());

            String report = String.format("retained heap: %,d bytes at the start, %,d with %,d records stored, %,d "
                    + "once all are delivered", baseline, stored, RECORDS, delivered);
            System.out.println(report);
            assertTrue(stored - baseline < BOUND, report);
            assertTrue(delivered - baseline < BOUND, report);
        } finally {
            store.close();
        }
    }

    @Test
    void theMeasurementSeesAPerRecordIndexOfThatSize() throws Exception {
        // The bound above is meaningful only if a per-record structure would pass it here.
        long before = retainedHeap();
        List<Long> index = new ArrayList<>(); // one boxed sequence per record, as a naive index would keep
        for (long i = 0; i < RECORDS; i++) {
            index.add(1_000_000L + i);
        }
        long after = retainedHeap();
        assertEquals(RECORDS, index.size());
        assertTrue(after - before > BOUND, String.format("a per-record index measured %,d bytes", after - before));
    }

    private static void appendRecords(Store store, int from, int count) throws Exception {
        Deque<CompletableFuture<AppendResult>> inFlight = new ArrayDeque<>();
        for (int n = from; n < from + count; n += BATCH) {
            List<byte[]> batch = new ArrayList<>(BATCH);
            for (int i = n; i < n + BATCH; i++) {
                batch.add(body(i));
            }
            inFlight.add(store.append(batch));
            if (inFlight.size() >= 32) {
                assertTrue(StoreTesting.await(inFlight.poll()).stored);
            }
        }
        while (!inFlight.isEmpty()) {
            assertTrue(StoreTesting.await(inFlight.poll()).stored);
        }
    }

    private static void readAndDeliver(Store store, long firstSequence, int count) throws Exception {
        SegmentReader reader = store.reader();
        for (long sequence = firstSequence; sequence < firstSequence + count; sequence++) {
            StoredRecord record = reader.next();
            assertNotNull(record);
            assertEquals(sequence, record.sequence);
            store.markDelivered(record.sequence);
        }
        assertNull(reader.next());
    }

    /** A 100-byte body that says which record it is. */
    private static byte[] body(int n) {
        ByteBuffer body = ByteBuffer.allocate(100);
        while (body.hasRemaining()) {
            body.put((byte) ('a' + (n + body.position()) % 26));
        }
        body.putInt(0, n);
        return body.array();
    }

    /** Heap in use after full collections: the least of a few, to step over late finalisation. */
    private static long retainedHeap() throws InterruptedException {
        Runtime runtime = Runtime.getRuntime();
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
            least = Math.min(least, runtime.totalMemory() - runtime.freeMemory());
        }
        return least;
    }
}
