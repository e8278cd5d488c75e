package io.datanadhi.echopost.store;

import static io.datanadhi.echopost.store.StoreTesting.UNLIMITED;
import static io.datanadhi.echopost.store.StoreTesting.appendAll;
import static io.datanadhi.echopost.store.StoreTesting.appendOne;
import static io.datanadhi.echopost.store.StoreTesting.await;
import static io.datanadhi.echopost.store.StoreTesting.body;
import static io.datanadhi.echopost.store.StoreTesting.names;
import static io.datanadhi.echopost.store.StoreTesting.readAll;
import static io.datanadhi.echopost.store.StoreTesting.segmentFiles;
import static io.datanadhi.echopost.store.StoreTesting.sequences;
import static io.datanadhi.echopost.store.StoreTesting.text;
import static io.datanadhi.echopost.store.StoreTesting.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreTest {

    /** Bodies of this length make frames of a known size. */
    private static final int BODY = 8;
    private static final int FRAME = RecordCodec.frameSize(BODY);
    /** Segments that hold exactly four such records. */
    private static final long FOUR_RECORDS = Segment.HEADER_SIZE + 4L * FRAME;

    @TempDir
    Path root;

    private final List<Store> opened = new ArrayList<>();
    private final RecordedEvents events = new RecordedEvents();
    private final AtomicInteger durableCalls = new AtomicInteger();

    private Path dir() {
        return root.resolve("store");
    }

    private Store open(StoreFiles files) throws IOException {
        return open(files, Store.SEGMENT_BYTES, UNLIMITED);
    }

    private Store open(StoreFiles files, long segmentBytes, DiskLimits limits) throws IOException {
        Store store = Store.open(dir(), files, limits, events, durableCalls::incrementAndGet, segmentBytes);
        opened.add(store);
        return store;
    }

    @AfterEach
    void closeStores() {
        for (Store store : opened) {
            try {
                store.close();
            } catch (IOException | RuntimeException ignored) {
                // Some tests crash their store on purpose.
            }
        }
    }

    /** "r01" .. "r99" padded to {@link #BODY} bytes. */
    private static String record(int n) {
        return String.format("r%07d", n);
    }

    private static List<String> records(int from, int to) {
        List<String> texts = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            texts.add(record(i));
        }
        return texts;
    }

    private static List<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().collect(Collectors.toList());
    }

    /** Reads {@code count} records and marks each delivered, as the replayer does. */
    private static void deliver(Store store, SegmentReader reader, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            StoredRecord record = reader.next();
            assertNotNull(record, "record " + i + " of " + count);
            store.markDelivered(record.sequence);
        }
    }

    private static void flipByte(Path file, long position) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) position] ^= 0x5a;
        Files.write(file, bytes);
    }

    private static long framePosition(int indexInSegment) {
        return Segment.HEADER_SIZE + (long) indexInSegment * FRAME;
    }

    // ---- acknowledgement and group commit ----

    @Test
    void appendIsAcknowledgedOnlyAfterTheForceReturns() throws Exception {
        ScriptedFiles files = new ScriptedFiles();
        CountDownLatch forcing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        files.beforeForce = (path, size) -> {
            if (Segment.firstSequence(path) >= 0 && size > Segment.HEADER_SIZE) {
                forcing.countDown();
                awaitLatch(release);
            }
        };
        Store store = open(files);

        CompletableFuture<AppendResult> result = store.append(Collections.singletonList(body("held")));
        assertTrue(forcing.await(10, TimeUnit.SECONDS), "the writer reached force()");
        Thread.sleep(200);
        assertFalse(result.isDone(), "acknowledged before force() returned");
        assertEquals(0, store.lastDurableSequence());
        assertEquals(0, durableCalls.get());
        assertNull(store.reader().next(), "a record not yet forced is not replayed");

        release.countDown();
        assertTrue(await(result).stored);
        assertEquals(1, store.lastDurableSequence());
        // The writer tells the replayer (onDurable) just after it completes the appends.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (durableCalls.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(1, durableCalls.get());
        assertEquals("held", text(store.reader().next()));
    }

    @Test
    void whatWaitsForTheWriterIsBoundedAndTheRestIsRefusedAsBusy() throws Exception {
        ScriptedFiles files = new ScriptedFiles();
        CountDownLatch forcing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        files.beforeForce = (path, size) -> {
            if (Segment.firstSequence(path) >= 0 && size > Segment.HEADER_SIZE && first.getAndSet(false)) {
                forcing.countDown();
                awaitLatch(release);
            }
        };
        Store store = open(files);
        CompletableFuture<AppendResult> held = store.append(Collections.singletonList(body("first")));
        assertTrue(forcing.await(10, TimeUnit.SECONDS));

        byte[] megabyte = new byte[1024 * 1024];
        List<CompletableFuture<AppendResult>> queued = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            queued.add(store.append(Collections.singletonList(megabyte)));
        }
        long busy = queued.stream().filter(CompletableFuture::isDone).count();
        assertTrue(busy >= 4, "beyond 8 MB waiting, appends are refused at once: " + busy);
        for (CompletableFuture<AppendResult> result : queued) {
            if (result.isDone()) {
                assertFalse(await(result).stored);
                assertTrue(await(result).message.contains("busy"), await(result).message);
            }
        }
        release.countDown();
        assertTrue(await(held).stored);
        for (CompletableFuture<AppendResult> result : queued) {
            await(result);
        }
        assertTrue(store.append(Collections.singletonList(megabyte)).get(10, TimeUnit.SECONDS).stored,
                "room again once written");
    }

    @Test
    void appendsQueuedDuringAForceShareTheNextOne() throws Exception {
        ScriptedFiles files = new ScriptedFiles();
        CountDownLatch forcing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        files.beforeForce = (path, size) -> {
            if (Segment.firstSequence(path) >= 0 && size > Segment.HEADER_SIZE && first.getAndSet(false)) {
                forcing.countDown();
                awaitLatch(release);
            }
        };
        Store store = open(files);
        CompletableFuture<AppendResult> held = store.append(Collections.singletonList(body("first")));
        assertTrue(forcing.await(10, TimeUnit.SECONDS));

        List<CompletableFuture<AppendResult>> queued = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            threads.add(new Thread(() -> {
                for (int i = 0; i < 50; i++) {
                    queued.add(store.append(Collections.singletonList(body("t" + thread + "-" + i))));
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join(10_000);
        }
        assertEquals(200, queued.size());
        assertEquals(0, files.dataForces(), "nothing forced while the first force is held");

        release.countDown();
        assertTrue(await(held).stored);
        for (CompletableFuture<AppendResult> result : queued) {
            assertTrue(await(result).stored);
        }
        assertEquals(2, files.dataForces(), "201 appends, 2 forces: one for the first, one for the 200 queued");
        List<StoredRecord> all = readAll(store);
        assertEquals(range(1, 201), sequences(all));
        assertEquals("first", text(all.get(0)));
    }

    @Test
    void sequencesFollowTheOrderOfArrival() throws Exception {
        Store store = open(new StoreFiles());
        List<String> expected = new ArrayList<>();
        List<CompletableFuture<AppendResult>> results = new ArrayList<>();
        int n = 0;
        for (int i = 0; i < 1500; i++) {
            List<byte[]> batch = new ArrayList<>();
            for (int b = 0; b < 1 + i % 4; b++) { // batches of 1 to 4 records
                String text = record(n++);
                expected.add(text);
                batch.add(body(text));
            }
            results.add(store.append(batch)); // pipelined: no waiting between appends
        }
        for (CompletableFuture<AppendResult> result : results) {
            assertTrue(await(result).stored);
        }
        List<StoredRecord> all = readAll(store);
        assertEquals(expected, texts(all));
        assertEquals(range(1, expected.size()), sequences(all));
    }

    @Test
    void eachAppendersRecordsKeepTheirOrderAmongConcurrentAppenders() throws Exception {
        Store store = open(new StoreFiles(), 2048, UNLIMITED);
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            Thread appender = new Thread(() -> appendAll(store, StoreTesting.texts("t" + thread + "-", 0, 199)));
            appender.setUncaughtExceptionHandler((th, e) -> failure.set(e));
            threads.add(appender);
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join(30_000);
        }
        assertNull(failure.get());
        List<StoredRecord> all = readAll(store);
        assertEquals(range(1, 800), sequences(all));
        for (int t = 0; t < 4; t++) {
            String prefix = "t" + t + "-";
            List<String> mine = texts(all).stream().filter(s -> s.startsWith(prefix)).collect(Collectors.toList());
            assertEquals(StoreTesting.texts(prefix, 0, 199), mine);
        }
    }

    // ---- reading ----

    @Test
    void readerReturnsRecordsInOrderAcrossRolloversAndRestarts() throws Exception {
        Store store = open(new StoreFiles(), 1024, UNLIMITED);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            expected.add(i + ":" + "x".repeat(i % 150)); // 2 to 154 bytes
        }
        // A reader follows the appends live, across segment rollovers.
        List<String> live = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread follower = new Thread(() -> {
            try {
                SegmentReader reader = store.reader();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (live.size() < 300 && System.nanoTime() < deadline) {
                    StoredRecord record = reader.next();
                    if (record == null) {
                        Thread.sleep(1);
                    } else {
                        assertEquals(live.size() + 1, record.sequence);
                        live.add(text(record));
                    }
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        follower.start();
        appendAll(store, expected);
        follower.join(30_000);
        assertNull(failure.get());
        assertEquals(expected, live);
        assertTrue(segmentFiles(dir()).size() > 10, "segments rolled over: " + segmentFiles(dir()).size());

        store.close();
        Store second = open(new StoreFiles(), 1024, UNLIMITED);
        List<String> more = StoreTesting.texts("after-first-restart-", 0, 99);
        appendAll(second, more);
        expected.addAll(more);
        second.close();

        Store third = open(new StoreFiles(), 1024, UNLIMITED);
        List<StoredRecord> all = readAll(third);
        assertEquals(expected, texts(all));
        assertEquals(range(1, 400), sequences(all));
        assertTrue(events.named("torn_tail_truncated").isEmpty(), events.toString());
    }

    @Test
    void restartResumesRightAfterTheLastCheckpointedRecord() throws Exception {
        ScriptedFiles files = new ScriptedFiles();
        Store store = open(files);
        appendAll(store, records(1, 20));
        SegmentReader reader = store.reader();
        deliver(store, reader, 10);
        store.checkpoint();
        for (int i = 11; i <= 15; i++) {
            assertEquals(record(i), text(reader.next())); // sent, never marked delivered
        }
        files.crash(); // kill -9: nothing more reaches the disk
        store.close();

        Store restarted = open(new StoreFiles());
        assertEquals(10, restarted.delivered());
        assertEquals(10, restarted.backlog());
        List<StoredRecord> again = readAll(restarted);
        assertEquals(records(11, 20), texts(again), "11..15 are sent again: at least once, never lost");
        assertEquals(range(11, 20), sequences(again));
    }

    @Test
    void closeCheckpointsWhatWasDelivered() throws Exception {
        Store store = open(new StoreFiles());
        appendAll(store, records(1, 20));
        deliver(store, store.reader(), 12);
        store.close();

        Store restarted = open(new StoreFiles());
        assertEquals(12, restarted.delivered());
        assertEquals(records(13, 20), texts(readAll(restarted)));
        appendOne(restarted, "next");
        assertEquals(21, restarted.lastDurableSequence(), "sequences carry on after a restart");
    }

    @Test
    void fullyDeliveredSegmentsAreDeletedButNeverTheActiveOne() throws Exception {
        Store store = open(new StoreFiles(), FOUR_RECORDS, UNLIMITED);
        appendAll(store, records(1, 18)); // segments 1-4, 5-8, 9-12, 13-16, 17-18
        List<Path> segments = segmentFiles(dir());
        assertEquals(Arrays.asList(1L, 5L, 9L, 13L, 17L),
                segments.stream().map(Segment::firstSequence).collect(Collectors.toList()));

        SegmentReader reader = store.reader();
        deliver(store, reader, 10);
        store.checkpoint();
        assertEquals(segments.subList(2, 5), segmentFiles(dir()), "1-4 and 5-8 are delivered; 9-12 is not yet");

        deliver(store, reader, 8);
        store.checkpoint();
        assertEquals(segments.subList(4, 5), segmentFiles(dir()), "the active segment stays though delivered");
        assertEquals(0, store.backlog());
        assertNull(reader.next());

        appendOne(store, record(19));
        assertEquals(record(19), text(reader.next()));
    }

    // ---- recovery ----

    @Test
    void aTornTailInTheNewestSegmentIsCutOffAndReported() throws Exception {
        Store store = open(new StoreFiles());
        appendAll(store, records(1, 10));
        store.close();
        Path newest = segmentFiles(dir()).get(0);
        long size = Files.size(newest);
        // The half-written frame of record 11, never acknowledged.
        ByteBuffer frame = ByteBuffer.allocate(FRAME);
        RecordCodec.encode(frame, 11, System.currentTimeMillis(), body(record(11)));
        Files.write(newest, Arrays.copyOf(frame.array(), FRAME / 2), StandardOpenOption.APPEND);

        Store reopened = open(new StoreFiles());
        List<RecordedEvents.Event> torn = events.named("torn_tail_truncated");
        assertEquals(1, torn.size(), events.toString());
        assertEquals(FRAME / 2, torn.get(0).number("bytes"));
        assertEquals(newest.getFileName().toString(), torn.get(0).fields.get("segment"));
        assertEquals(size, Files.size(newest), "cut at the end of the last whole frame");
        assertEquals(records(1, 10), texts(readAll(reopened)));

        appendOne(reopened, record(11));
        reopened.close();
        Store again = open(new StoreFiles());
        List<StoredRecord> all = readAll(again);
        assertEquals(records(1, 11), texts(all));
        assertEquals(range(1, 11), sequences(all));
        assertEquals(1, events.named("torn_tail_truncated").size(), "cut once, not again");
    }

    @Test
    void garbageAfterTheLastFrameIsCutOff() throws Exception {
        Store store = open(new StoreFiles());
        appendAll(store, records(1, 3));
        store.close();
        Path newest = segmentFiles(dir()).get(0);
        long size = Files.size(newest);
        byte[] garbage = new byte[37];
        new java.util.Random(1).nextBytes(garbage);
        Files.write(newest, garbage, StandardOpenOption.APPEND);

        Store reopened = open(new StoreFiles());
        assertEquals(37, events.named("torn_tail_truncated").get(0).number("bytes"));
        assertEquals(size, Files.size(newest));
        assertEquals(records(1, 3), texts(readAll(reopened)));
    }

    @Test
    void theNewestSegmentIsCutAtItsFirstBadFrame() throws Exception {
        Store store = open(new StoreFiles());
        appendAll(store, records(1, 10));
        store.close();
        Path newest = segmentFiles(dir()).get(0);
        flipByte(newest, framePosition(7) + RecordCodec.FRAME_HEADER + 9); // in record 8's body

        Store reopened = open(new StoreFiles());
        assertEquals(3L * FRAME, events.named("torn_tail_truncated").get(0).number("bytes"));
        assertEquals(framePosition(7), Files.size(newest));
        assertEquals(records(1, 7), texts(readAll(reopened)));
        appendOne(reopened, "after");
        assertEquals(8, reopened.lastDurableSequence());
    }

    @Test
    void aBadFrameInAnOlderSegmentQuarantinesItAndReplayCarriesOn() throws Exception {
        Store store = open(new StoreFiles(), FOUR_RECORDS, UNLIMITED);
        appendAll(store, records(1, 20)); // segments 1-4, 5-8, 9-12, 13-16, 17-20
        store.close();
        Path second = dir().resolve(Segment.fileName(5));
        flipByte(second, framePosition(1) + RecordCodec.FRAME_HEADER + 9); // record 6's body

        Store reopened = open(new StoreFiles(), FOUR_RECORDS, UNLIMITED);
        assertTrue(events.named("corrupt_segment").isEmpty(), "older segments are checked as replay reaches them");
        List<StoredRecord> read = readAll(reopened);
        List<String> expected = records(1, 5);
        expected.addAll(records(9, 20));
        assertEquals(expected, texts(read), "record 5 was read before the damage; 6 to 8 are lost");

        List<RecordedEvents.Event> corrupt = events.named("corrupt_segment");
        assertEquals(1, corrupt.size(), events.toString());
        assertEquals(3, corrupt.get(0).number("lost"));
        assertEquals(second.getFileName().toString(), corrupt.get(0).fields.get("segment"));
        Path quarantined = root.resolve("corrupt").resolve(Segment.fileName(5) + ".corrupt");
        assertEquals(quarantined.toString(), corrupt.get(0).fields.get("file"));
        assertTrue(Files.exists(quarantined));
        assertFalse(Files.exists(second));

        // Replay after a restart no longer meets it, and nothing else is lost.
        reopened.close();
        Store again = open(new StoreFiles(), FOUR_RECORDS, UNLIMITED);
        List<String> after = records(1, 4);
        after.addAll(records(9, 20));
        assertEquals(after, texts(readAll(again)));
        assertEquals(1, events.named("corrupt_segment").size());
    }

    @Test
    void anOlderSegmentWithADamagedHeaderIsQuarantinedWhole() throws Exception {
        Store store = open(new StoreFiles(), FOUR_RECORDS, UNLIMITED);
        appendAll(store, records(1, 12));
        store.close();
        flipByte(dir().resolve(Segment.fileName(1)), 0); // the magic

        Store reopened = open(new StoreFiles(), FOUR_RECORDS, UNLIMITED);
        assertEquals(records(5, 12), texts(readAll(reopened)));
        assertEquals(4, events.named("corrupt_segment").get(0).number("lost"));
        assertTrue(Files.exists(root.resolve("corrupt").resolve(Segment.fileName(1) + ".corrupt")));
    }

    @Test
    void aDamagedCheckpointReplaysFromTheOldestStoredRecord() throws Exception {
        Store store = open(new StoreFiles(), FOUR_RECORDS, UNLIMITED);
        appendAll(store, records(1, 20));
        deliver(store, store.reader(), 10);
        store.close(); // checkpoint 10; segments 1-4 and 5-8 deleted
        Path checkpoint = dir().resolve(Ledger.FILE_NAME);
        // Inside the delivered value of both slots: no checksum matches.
        flipByte(checkpoint, 11);
        flipByte(checkpoint, Ledger.SLOT_DISTANCE + 11);

        Store reopened = open(new StoreFiles(), FOUR_RECORDS, UNLIMITED);
        assertEquals(1, events.named("checkpoint_damaged").size(), events.toString());
        assertEquals(0, reopened.delivered());
        assertEquals(records(9, 20), texts(readAll(reopened)), "9 and 10 again, nothing lost");
        reopened.close();

        Files.write(checkpoint, new byte[] {1, 2, 3}); // a checkpoint of the wrong size
        Store again = open(new StoreFiles(), FOUR_RECORDS, UNLIMITED);
        assertEquals(2, events.named("checkpoint_damaged").size());
        assertEquals(records(9, 20), texts(readAll(again)));
    }

    // ---- write failures ----

    /** Makes the next force of a segment's records fail, and remembers which segment. */
    private static AtomicReference<Path> failNextDataForce(ScriptedFiles files, AtomicBoolean armed) {
        AtomicReference<Path> failed = new AtomicReference<>();
        files.beforeForce = (path, size) -> {
            if (Segment.firstSequence(path) >= 0 && size > Segment.HEADER_SIZE && armed.getAndSet(false)) {
                failed.set(path);
                throw new IOException("simulated EIO");
            }
        };
        return failed;
    }

    private static long endValue(Path segment) throws IOException {
        byte[] bytes = Files.readAllBytes(Segment.endFile(segment));
        assertEquals(8, bytes.length);
        return ByteBuffer.wrap(bytes).getLong();
    }

    @Test
    void aFailedForceRefusesItsBatchAndTheStoreCarriesOnInANewSegment() throws Exception {
        ScriptedFiles files = new ScriptedFiles();
        files.failTruncate = true; // the refused frames stay in the file, past its recorded end
        AtomicBoolean armed = new AtomicBoolean();
        AtomicReference<Path> failed = failNextDataForce(files, armed);
        Store store = open(files);
        appendAll(store, records(1, 5));

        armed.set(true);
        AppendResult refused = await(store.append(Arrays.asList(body("refused1"), body("refused2"), body("refused3"))));
        assertFalse(refused.stored);
        assertTrue(refused.message.contains("could not store") && refused.message.contains("simulated EIO"),
                refused.message);
        assertFalse(events.named("write_failed").isEmpty());
        Path failedSegment = failed.get();
        int forcesAtFailure = files.forces(failedSegment);
        long validEnd = Segment.HEADER_SIZE + 5L * FRAME;
        assertEquals(validEnd, endValue(failedSegment), "the .seg.end file records the acknowledged end");
        assertEquals(validEnd + 3L * FRAME, Files.size(failedSegment), "the refused frames are still in the file");

        appendAll(store, Arrays.asList("later-01", "later-02", "later-03"));
        assertTrue(Files.exists(dir().resolve(Segment.fileName(6))), names(dir()).toString());
        List<String> expected = records(1, 5);
        expected.addAll(Arrays.asList("later-01", "later-02", "later-03"));
        assertEquals(expected, texts(readAll(store)), "nothing refused is replayed");
        store.close();
        assertEquals(forcesAtFailure, files.forces(failedSegment), "the failed segment is never forced again");

        ScriptedFiles afterRestart = new ScriptedFiles();
        Store restarted = open(afterRestart);
        List<StoredRecord> all = readAll(restarted);
        assertEquals(expected, texts(all), "acknowledged records survive; refused ones stay unread");
        assertEquals(range(1, 8), sequences(all));
        restarted.close();
        assertEquals(0, afterRestart.forces(failedSegment));
    }

    @Test
    void aRestartRightAfterAFailedWriteKeepsWhatWasAcknowledged() throws Exception {
        ScriptedFiles files = new ScriptedFiles();
        files.failTruncate = true;
        AtomicBoolean armed = new AtomicBoolean();
        failNextDataForce(files, armed);
        Store store = open(files);
        appendAll(store, records(1, 5));
        armed.set(true);
        assertFalse(appendOne(store, "refused1").stored);
        store.close(); // the failed segment is still the newest one

        Store restarted = open(new StoreFiles());
        assertEquals(records(1, 5), texts(readAll(restarted)));
        assertEquals(5, restarted.lastDurableSequence());
        appendOne(restarted, "later-01");
        restarted.close();

        Store again = open(new StoreFiles());
        List<StoredRecord> all = readAll(again);
        List<String> expected = records(1, 5);
        expected.add("later-01");
        assertEquals(expected, texts(all));
        assertEquals(range(1, 6), sequences(all));
    }

    @Test
    void aFailedFirstWriteToANewSegmentLeavesNothingBehind() throws Exception {
        ScriptedFiles files = new ScriptedFiles();
        AtomicBoolean armed = new AtomicBoolean(true);
        failNextDataForce(files, armed);
        Store store = open(files);
        assertFalse(appendOne(store, "refused1").stored);
        appendAll(store, records(1, 3));
        assertEquals(records(1, 3), texts(readAll(store)));
        assertEquals(Collections.singletonList(Segment.fileName(1)), names(dir()).stream()
                .filter(n -> !n.equals(Ledger.FILE_NAME)).collect(Collectors.toList()));
        store.close();
        assertEquals(records(1, 3), texts(readAll(open(new StoreFiles()))));
    }

    @Test
    void recordsAcknowledgedAfterAFailedRolloverAreReplayed() throws Exception {
        ScriptedFiles files = new ScriptedFiles();
        AtomicBoolean failNewSegment = new AtomicBoolean();
        files.beforeForce = (path, size) -> {
            if (Segment.firstSequence(path) >= 0 && size == Segment.HEADER_SIZE && failNewSegment.getAndSet(false)) {
                throw new IOException("simulated EIO");
            }
        };
        Store store = open(files, FOUR_RECORDS, UNLIMITED);
        appendAll(store, records(1, 3)); // room for one more record in segment 1
        failNewSegment.set(true);
        AppendResult refused = await(store.append(Arrays.asList(body("refused1"), body("refused2"))));
        assertFalse(refused.stored, "two records need a new segment, which cannot be created");
        assertTrue(refused.message.contains("could not create a segment"), refused.message);

        assertTrue(appendOne(store, record(4)).stored);
        assertEquals(records(1, 4), texts(readAll(store)), "an acknowledged record is replayed");
        store.close();
        List<StoredRecord> all = readAll(open(new StoreFiles(), FOUR_RECORDS, UNLIMITED));
        assertEquals(records(1, 4), texts(all));
        assertEquals(range(1, 4), sequences(all));
    }

    @Test
    void aLeftoverEndFileDoesNotHideANewSegmentOfTheSameName() throws Exception {
        ScriptedFiles files = new ScriptedFiles();
        AtomicBoolean armed = new AtomicBoolean(true);
        failNextDataForce(files, armed);
        Store store = open(files);
        assertFalse(appendOne(store, "refused1").stored); // segment 1 given up, nothing acknowledged in it
        Path first = dir().resolve(Segment.fileName(1));
        assertEquals(Segment.HEADER_SIZE, endValue(first));

        // Starting segment 1 again, its old end file cannot be deleted this once.
        AtomicBoolean failOnce = new AtomicBoolean(true);
        files.failDelete = path -> path.equals(Segment.endFile(first)) && failOnce.getAndSet(false);
        List<String> expected = new ArrayList<>();
        for (String text : records(1, 3)) {
            if (appendOne(store, text).stored) {
                expected.add(text);
            }
        }
        assertFalse(expected.isEmpty());
        store.close();

        assertEquals(expected, texts(readAll(open(new StoreFiles()))), "acknowledged records are replayed");
    }

    @Test
    void refusedFramesLeftInAnOlderSegmentAreNotReplayedWhenItsEndFileIsMissing() throws Exception {
        ScriptedFiles files = new ScriptedFiles();
        files.failTruncate = true; // the refused frames stay in the file
        AtomicBoolean armed = new AtomicBoolean();
        AtomicReference<Path> failed = failNextDataForce(files, armed);
        AtomicBoolean failEndFile = new AtomicBoolean();
        files.failCreate = path -> path.getFileName().toString().endsWith(Segment.END_SUFFIX + ".tmp")
                && failEndFile.getAndSet(false);
        Store store = open(files);
        appendAll(store, records(1, 5));
        armed.set(true);
        failEndFile.set(true); // the disk fails again: where segment 1 ends cannot be recorded
        assertFalse(await(store.append(Arrays.asList(body("refused1"), body("refused2")))).stored);
        assertFalse(Files.exists(Segment.endFile(failed.get())));
        appendAll(store, Arrays.asList("later-01", "later-02", "later-03")); // segment 6, sequences 6 to 8
        List<String> expected = records(1, 5);
        expected.addAll(Arrays.asList("later-01", "later-02", "later-03"));
        assertEquals(expected, texts(readAll(store)));
        store.close();

        List<StoredRecord> all = readAll(open(new StoreFiles()));
        assertEquals(expected, texts(all), "refused frames are not replayed, and hide nothing acknowledged");
        assertEquals(range(1, 8), sequences(all));
    }

    @Test
    void theTornRemainsOfARefusedWriteAreNotTakenForDamage() throws Exception {
        ScriptedFiles files = new ScriptedFiles();
        files.failTruncate = true; // as after a power cut: the truncate was never forced
        AtomicBoolean tear = new AtomicBoolean();
        files.tearAppend = path -> Segment.firstSequence(path) >= 0 && tear.getAndSet(false);
        AtomicBoolean failEndFile = new AtomicBoolean();
        files.failCreate = path -> path.getFileName().toString().endsWith(Segment.END_SUFFIX + ".tmp")
                && failEndFile.getAndSet(false);
        Store store = open(files);
        appendAll(store, records(1, 5));
        tear.set(true);
        failEndFile.set(true);
        assertFalse(appendOne(store, "refused1").stored); // half a frame left after record 5, no end file
        appendAll(store, records(6, 8)); // segment 6
        store.close();

        Store restarted = open(new StoreFiles());
        assertEquals(records(1, 8), texts(readAll(restarted))); // read, not yet delivered
        assertTrue(events.named("corrupt_segment").isEmpty(), events.toString());
        restarted.close();
        assertEquals(records(1, 8), texts(readAll(open(new StoreFiles()))),
                "records read but not delivered are still in the store");
    }

    @Test
    void aReaderLookingWhileASegmentIsStartedAgainReturnsNoRefusedRecord() throws Exception {
        // First run: segment 1 keeps two refused frames (sequences 6 and 7) and gets no end file;
        // segment 6 is left with half a frame and nothing acknowledged.
        ScriptedFiles files = new ScriptedFiles();
        files.failTruncate = true;
        files.failCreate = path -> path.getFileName().toString().endsWith(Segment.END_SUFFIX + ".tmp");
        AtomicBoolean armed = new AtomicBoolean();
        failNextDataForce(files, armed);
        Path sixth = dir().resolve(Segment.fileName(6));
        AtomicBoolean tear = new AtomicBoolean();
        AtomicInteger appendsToSixth = new AtomicInteger();
        files.tearAppend = path -> path.equals(sixth) && tear.get() && appendsToSixth.incrementAndGet() == 2;
        Store store = open(files);
        appendAll(store, records(1, 5));
        armed.set(true);
        assertFalse(await(store.append(Arrays.asList(body("refused1"), body("refused2")))).stored);
        tear.set(true);
        assertFalse(appendOne(store, "refused3").stored);
        store.close();

        // Second run: the writer starts segment 6 again, and a reader looks in between.
        ScriptedFiles restartFiles = new ScriptedFiles();
        Store restarted = open(restartFiles);
        SegmentReader reader = restarted.reader();
        assertEquals(records(1, 5), texts(readAll(reader)));
        List<String> seenMeanwhile = new ArrayList<>();
        restartFiles.beforeCreate = path -> {
            if (path.equals(sixth)) { // the old segment 6 is gone, the new one not there yet
                StoredRecord record = reader.next();
                if (record != null) {
                    seenMeanwhile.add(text(record));
                }
            }
        };
        assertTrue(appendOne(restarted, "acked-06").stored);
        assertEquals(Collections.emptyList(), seenMeanwhile, "no refused record is replayed");
        assertEquals(Collections.singletonList("acked-06"), texts(readAll(reader)));
    }

    // ---- disk limits ----

    @Test
    void theDiskCapRefusesWithAMessageAndAnEvent() throws Exception {
        Store store = open(new StoreFiles(), FOUR_RECORDS, new DiskLimits(3 * FOUR_RECORDS, 0));
        int stored = 0;
        AppendResult result = null;
        for (int i = 1; i <= 100; i++) {
            result = appendOne(store, record(i));
            if (!result.stored) {
                break;
            }
            stored++;
        }
        assertEquals(12, stored, "three segments of four records fit under the cap");
        assertFalse(result.stored);
        assertTrue(result.message.contains("disk cap"), result.message);
        List<RecordedEvents.Event> refused = events.named("disk_refused");
        assertEquals(1, refused.size());
        assertEquals(1, refused.get(0).number("records"));
        assertTrue(store.sizeBytes() <= 3 * FOUR_RECORDS);

        deliver(store, store.reader(), 12);
        store.checkpoint();
        assertTrue(appendOne(store, record(13)).stored, "delivered segments are deleted, room again");
    }

    @Test
    void theFreeSpaceReserveRefusesWithAMessageAndAnEvent() throws Exception {
        long usable = Files.getFileStore(root).getUsableSpace();
        Store store = open(new StoreFiles(), Store.SEGMENT_BYTES, new DiskLimits(Long.MAX_VALUE, usable + (1L << 30)));
        AppendResult result = appendOne(store, "too much");
        assertFalse(result.stored);
        assertTrue(result.message.contains("nearly full"), result.message);
        assertEquals(1, events.named("disk_refused").size());
        assertTrue(segmentFiles(dir()).isEmpty());
        assertNull(store.reader().next());
    }

    // ---- removal ----

    @Test
    void deleteIfEmptyRemovesTheStoreOnceEverythingIsDelivered() throws Exception {
        Store store = open(new StoreFiles(), FOUR_RECORDS, UNLIMITED);
        appendAll(store, records(1, 10));
        deliver(store, store.reader(), 10);
        store.close();
        store.deleteIfEmpty();
        assertFalse(Files.exists(dir()), names(dir()).toString());
    }

    @Test
    void deleteIfEmptyKeepsAStoreWithABacklog() throws Exception {
        Store store = open(new StoreFiles(), FOUR_RECORDS, UNLIMITED);
        appendAll(store, records(1, 10));
        deliver(store, store.reader(), 7);
        store.close();
        store.deleteIfEmpty();
        assertTrue(Files.isDirectory(dir()));
        assertEquals(records(8, 10), texts(readAll(open(new StoreFiles(), FOUR_RECORDS, UNLIMITED))));
    }

    private static void awaitLatch(CountDownLatch latch) throws IOException {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IOException("test latch never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
