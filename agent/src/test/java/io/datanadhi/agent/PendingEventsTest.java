package io.datanadhi.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.record.EarlyEvent;
import io.datanadhi.agent.record.EarlyEventMapper;
import io.datanadhi.agent.record.RecordSettings;
import io.datanadhi.bootstrap.CaptureSink;
import io.datanadhi.bootstrap.CapturedEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events logged while the agent starts: each is either kept for the rules (in memory or in the
 * spill file), handed to the sink installed at the hand-off, or counted as skipped with a
 * reason; never two of these, never none; a thread's events in the order it logged them.
 */
class PendingEventsTest {

    private static final EarlyEventMapper READ = new EarlyEventMapper(new RecordSettings("test", List.of()));

    @TempDir
    Path dir;

    @Test
    void everyEventLoggedAroundTheHandOffIsKeptOrForwardedOnceAndInOrderThroughTheFile() throws Exception {
        PendingEvents pending = new PendingEvents(64 * 1024, Long.MAX_VALUE);
        pending.configure(dir, null, 32768, 4096);
        Queue forwarded = new Queue();
        int threads = 4;
        int perThread = 20_000;
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch halfway = new CountDownLatch(threads);
        List<Thread> loggers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread logger = new Thread(() -> {
                CapturedEvent scratch = new CapturedEvent();
                try {
                    go.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    if (i == perThread / 2) {
                        halfway.countDown();
                    }
                    pending.accept(scratch, "jul", new LogRecord(Level.INFO, thread + " " + i), null);
                }
            });
            logger.start();
            loggers.add(logger);
        }
        go.countDown();
        assertTrue(halfway.await(30, TimeUnit.SECONDS));
        PendingEvents.Early early = pending.handOff(forwarded);
        for (Thread logger : loggers) {
            logger.join(30_000);
            assertFalse(logger.isAlive(), "a logging thread did not finish");
        }
        assertTrue(spillFileSize() > 100_000, "the events went through the file: " + spillFileSize() + " bytes");

        List<String> kept = new ArrayList<>();
        early.forEach(event -> kept.add(READ.message(EarlyEventMapper.captured(event))));
        assertEquals(0, early.unread());
        assertEquals(0, pending.skipped(), pending.skipReason());
        assertEquals(List.of(), filesIn(dir.resolve(EarlyEventSpill.DIR)), "the file is deleted once read");
        Map<String, Integer> seen = new HashMap<>();
        int[] last = new int[threads];
        java.util.Arrays.fill(last, -1);
        for (String message : kept) {
            seen.merge(message, 1, Integer::sum);
            String[] parts = message.split(" ");
            int thread = Integer.parseInt(parts[0]);
            int i = Integer.parseInt(parts[1]);
            assertTrue(i > last[thread], "thread " + thread + ": " + i + " after " + last[thread]);
            last[thread] = i;
        }
        for (Object event : forwarded.events) {
            seen.merge(((LogRecord) event).getMessage(), 1, Integer::sum);
        }
        assertTrue(seen.values().stream().allMatch(n -> n == 1), "an event kept or forwarded twice");
        assertEquals(threads * perThread, seen.size(), "kept " + kept.size() + ", forwarded " + forwarded.events.size());
    }

    @Test
    void pastTheLimitEventsAreCountedWithTheReasonWhenNoFileCanBeMade() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        PendingEvents pending = new PendingEvents(1024, 16 * 1024);
        pending.configure(notADirectory, null, 32768, 4096);
        CapturedEvent scratch = new CapturedEvent();
        int logged = 1000;
        for (int i = 0; i < logged; i++) {
            pending.accept(scratch, "jul", new LogRecord(Level.INFO, "event " + i), null);
        }
        // The spill thread tries to make its file once it sees the buffer past its budget.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!pending.skipReason().contains("no spill file") && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        PendingEvents.Early early = pending.handOff(null);
        long kept = early.count();
        assertTrue(kept > 0 && kept < logged, "kept " + kept);
        assertEquals(logged, kept + pending.skipped());
        assertTrue(pending.skipReason().startsWith(pending.skipped() + " because the start-up buffer was full (no spill file"),
                pending.skipReason());
        early.discard();
        assertEquals(0, early.count());
    }

    @Test
    void anEventWhoseCopyFailsIsCountedAndOneLoggedAfterTheHandOffGoesToTheSink() {
        PendingEvents pending = new PendingEvents();
        CapturedEvent scratch = new CapturedEvent();
        pending.accept(scratch, "jul", new BrokenRecord(), null); // its message throws when copied
        assertEquals(1, pending.skipped());
        assertEquals("1 because copying them failed", pending.skipReason());
        Queue sink = new Queue();
        assertEquals(0, pending.handOff(sink).count());
        LogRecord after = new LogRecord(Level.INFO, "after the hand-off");
        pending.accept(scratch, "jul", after, null);
        assertEquals(List.of(after), new ArrayList<>(sink.events));
        assertEquals(0, pending.handOff(null).count(), "a second hand-off changes nothing");
        pending.accept(scratch, "jul", after, null);
        assertEquals(2, sink.events.size(), "still the first sink");
        assertEquals(1, pending.skipped());
    }

    /** A record whose message cannot be read. */
    private static final class BrokenRecord extends LogRecord {
        private static final long serialVersionUID = 1L;

        BrokenRecord() {
            super(Level.INFO, "broken");
        }

        @Override
        public String getMessage() {
            throw new IllegalStateException("broken message");
        }
    }

    /** Once the configuration is read, events below log.level are counted, not copied: no rule would see them. */
    @Test
    void eventsBelowTheAgentsLevelAreCountedNotCopiedOnceItIsKnown() {
        PendingEvents pending = new PendingEvents();
        CapturedEvent scratch = new CapturedEvent();
        pending.accept(scratch, "jul", new LogRecord(Level.CONFIG, "before the configuration"), null);
        pending.configure(dir, io.datanadhi.agent.record.Level.WARNING, 32768, 4096);
        pending.accept(scratch, "jul", new LogRecord(Level.INFO, "below"), null);
        pending.accept(scratch, "jul", new LogRecord(Level.WARNING, "at"), null);
        PendingEvents.Early early = pending.handOff(null);
        List<String> kept = new ArrayList<>();
        early.forEach(event -> kept.add(READ.message(EarlyEventMapper.captured(event))));
        assertEquals(List.of("before the configuration", "at"), kept);
        assertEquals(1, pending.belowThreshold());
    }

    /** An exit while the early events are evaluated stops the evaluation; what is left is known. */
    @Test
    void anAbandonedEvaluationStopsAndTellsHowManyItGave() {
        PendingEvents pending = new PendingEvents();
        CapturedEvent scratch = new CapturedEvent();
        for (int i = 0; i < 100; i++) {
            pending.accept(scratch, "jul", new LogRecord(Level.INFO, "event " + i), null);
        }
        PendingEvents.Early early = pending.handOff(null);
        assertEquals(100, early.count());
        long given = early.forEach(event -> {
            if (READ.message(EarlyEventMapper.captured(event)).equals("event 9")) {
                early.abandon();
            }
        });
        assertEquals(10, given);
        assertTrue(early.abandoned());
    }

    @Test
    void eventsTheFrameworkDoesNotLogAreNeitherKeptNorCounted() {
        PendingEvents pending = new PendingEvents(1024, 4096);
        CapturedEvent scratch = new CapturedEvent();
        java.util.logging.Logger quiet = java.util.logging.Logger.getLogger("pending.quiet");
        quiet.setLevel(Level.WARNING);
        pending.accept(scratch, "jul", new LogRecord(Level.INFO, "below the logger's level"), quiet);
        pending.accept(scratch, "jul", new LogRecord(Level.WARNING, "logged"), quiet);
        PendingEvents.Early early = pending.handOff(null);
        assertEquals(1, early.count());
        assertEquals(0, pending.skipped());
        List<EarlyEvent> kept = new ArrayList<>();
        early.forEach(kept::add);
        assertEquals("logged", READ.message(EarlyEventMapper.captured(kept.get(0))));
    }

    private long spillFileSize() throws Exception {
        long size = 0;
        for (Path file : filesIn(dir.resolve(EarlyEventSpill.DIR))) {
            size += Files.size(file);
        }
        return size;
    }

    private static List<Path> filesIn(Path directory) throws Exception {
        try (Stream<Path> files = Files.list(directory)) {
            return files.collect(java.util.stream.Collectors.toList());
        }
    }

    private static final class Queue implements CaptureSink {
        final ConcurrentLinkedQueue<Object> events = new ConcurrentLinkedQueue<>();

        @Override
        public void accept(CapturedEvent scratch, String framework, Object event, Object logger) {
            events.add(event);
        }
    }
}
