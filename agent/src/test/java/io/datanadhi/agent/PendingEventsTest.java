package io.datanadhi.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.bootstrap.CaptureSink;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/**
 * Events logged while the agent starts: each is either kept for the rules, handed to the sink
 * installed at the hand-off, or counted as skipped; never two of these, never none.
 */
class PendingEventsTest {

    @Test
    void everyEventLoggedAroundTheHandOffIsKeptForwardedOrCountedExactlyOnce() throws Exception {
        PendingEvents pending = new PendingEvents();
        Queue forwarded = new Queue();
        int threads = 4;
        int perThread = 6_000; // more than the buffer holds in all
        List<LogRecord> logged = new ArrayList<>();
        for (int i = 0; i < threads * perThread; i++) {
            logged.add(new LogRecord(Level.INFO, "event " + i));
        }
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch halfway = new CountDownLatch(threads);
        List<Thread> loggers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<LogRecord> mine = logged.subList(t * perThread, (t + 1) * perThread);
            Thread thread = new Thread(() -> {
                CapturedEvent scratch = new CapturedEvent();
                try {
                    go.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < mine.size(); i++) {
                    if (i == mine.size() / 2) {
                        halfway.countDown();
                    }
                    pending.accept(scratch, "jul", mine.get(i), null);
                }
            });
            thread.start();
            loggers.add(thread);
        }
        go.countDown();
        assertTrue(halfway.await(30, TimeUnit.SECONDS));
        List<PendingEvents.Pending> kept = pending.handOff(forwarded);
        for (Thread thread : loggers) {
            thread.join(30_000);
            assertFalse(thread.isAlive(), "a logging thread did not finish");
        }

        Map<Object, Integer> seen = new IdentityHashMap<>();
        for (PendingEvents.Pending event : kept) {
            seen.merge(event.event.event, 1, Integer::sum);
        }
        for (Object event : forwarded.events) {
            seen.merge(event, 1, Integer::sum);
        }
        assertTrue(kept.size() <= PendingEvents.CAPACITY, "kept " + kept.size());
        assertTrue(seen.values().stream().allMatch(n -> n == 1), "an event kept or forwarded twice");
        assertEquals(threads * perThread, seen.size() + pending.overflowed(),
                "kept " + kept.size() + ", forwarded " + forwarded.events.size() + ", skipped " + pending.overflowed());
        assertTrue(pending.overflowed() > 0, "the test logs more than the buffer holds before the hand-off");
    }

    @Test
    void anEventWhoseCopyFailsIsCountedAndOneLoggedAfterTheHandOffGoesToTheSink() {
        PendingEvents pending = new PendingEvents();
        CapturedEvent scratch = new CapturedEvent();
        pending.accept(scratch, "jul", new BrokenRecord(), null); // its message throws when copied
        assertEquals(1, pending.overflowed());
        Queue sink = new Queue();
        assertEquals(0, pending.handOff(sink).size());
        LogRecord after = new LogRecord(Level.INFO, "after the hand-off");
        pending.accept(scratch, "jul", after, null);
        assertEquals(List.of(after), new ArrayList<>(sink.events));
        assertEquals(List.of(), pending.handOff(null), "a second hand-off changes nothing");
        pending.accept(scratch, "jul", after, null);
        assertEquals(2, sink.events.size(), "still the first sink");
        assertEquals(1, pending.overflowed());
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

    @Test
    void eventsTheFrameworkDoesNotLogAreNeitherKeptNorCounted() {
        PendingEvents pending = new PendingEvents();
        CapturedEvent scratch = new CapturedEvent();
        for (int i = 0; i < PendingEvents.CAPACITY + 10; i++) {
            pending.accept(scratch, "jul", new LogRecord(Level.INFO, "kept " + i), null);
        }
        // Past the buffer, an event its logger does not log is not counted as skipped.
        java.util.logging.Logger quiet = java.util.logging.Logger.getLogger("pending.quiet");
        quiet.setLevel(Level.WARNING);
        pending.accept(scratch, "jul", new LogRecord(Level.INFO, "below the logger's level"), quiet);
        assertEquals(10, pending.overflowed());
        assertEquals(PendingEvents.CAPACITY, pending.handOff(null).size());
    }

    private static final class Queue implements CaptureSink {
        final ConcurrentLinkedQueue<Object> events = new ConcurrentLinkedQueue<>();

        @Override
        public void accept(CapturedEvent scratch, String framework, Object event, Object logger) {
            events.add(event);
        }
    }
}
