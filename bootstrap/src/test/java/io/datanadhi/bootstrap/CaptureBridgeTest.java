package io.datanadhi.bootstrap;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The exactly-once protocol shared by every hook: the first hook that decides an event is logged
 * claims it, an outer hook that can only decide at exit captures only when nothing below it took
 * or received the event, and the agent's own threads never capture.
 */
class CaptureBridgeTest {

    /** What the sink saw, copied during accept (the carrier is reused afterwards). */
    static final class Seen {
        final String framework;
        final Object event;
        final Object logger;
        final CapturedEvent carrier;

        Seen(CapturedEvent scratch, String framework, Object event, Object logger) {
            this.framework = framework;
            this.event = event;
            this.logger = logger;
            this.carrier = scratch;
        }
    }

    static final class RecordingSink implements CaptureSink {
        final List<Seen> seen = new CopyOnWriteArrayList<>();
        volatile Runnable during;

        @Override
        public void accept(CapturedEvent scratch, String framework, Object event, Object logger) {
            assertNull(scratch.event, "the scratch event arrives empty");
            seen.add(new Seen(scratch, framework, event, logger));
            Runnable r = during;
            if (r != null) {
                during = null;
                r.run();
            }
        }
    }

    private final RecordingSink sink = new RecordingSink();
    private final Object logger = new Object();

    @BeforeEach
    void installSink() {
        CaptureBridge.install(sink);
    }

    @AfterEach
    void uninstallSink() {
        CaptureBridge.install(null);
        // A failed test may leave this thread inside a hook; extra exits clamp at depth 0, so
        // this returns the thread to a clean state and one failure does not cascade.
        for (int i = 0; i < 16; i++) {
            CaptureBridge.exit(CaptureBridge.state());
        }
    }

    @Test
    void enterCapturesOnEntryWithFrameworkEventAndLogger() {
        Object event = new Object();
        CaptureBridge.enter("logback", event, logger);
        try {
            assertEquals(1, sink.seen.size(), "captured on entry, before exit");
        } finally {
            CaptureBridge.exit(CaptureBridge.state());
        }
        Seen seen = sink.seen.get(0);
        assertEquals("logback", seen.framework);
        assertSame(event, seen.event);
        assertSame(logger, seen.logger);
        assertEquals(1, sink.seen.size());
    }

    @Test
    void consecutiveEventsAreEachCapturedOnce() {
        for (int i = 0; i < 3; i++) {
            CaptureBridge.enter("logback", "event-" + i, logger);
            CaptureBridge.exit(CaptureBridge.state());
        }
        assertEquals(List.of("event-0", "event-1", "event-2"), events());
    }

    @Test
    void enterOuterCapturesOnlyAtExit() {
        Object event = new Object();
        CaptureBridge.enterOuter();
        assertTrue(sink.seen.isEmpty(), "nothing captured on entry");
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", event, logger);
        assertEquals(1, sink.seen.size());
        assertEquals("jul", sink.seen.get(0).framework);
        assertSame(event, sink.seen.get(0).event);
        assertSame(logger, sink.seen.get(0).logger);
    }

    @Test
    void onlyTheOutermostExitOuterCaptures() {
        CaptureBridge.enterOuter();
        CaptureBridge.enterOuter();
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "inner", logger);
        assertTrue(sink.seen.isEmpty(), "an inner outer-style hook does not capture");
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "outer", logger);
        assertEquals(List.of("outer"), events());
    }

    @Test
    void outerHookWithInnerEntryHookCapturesOnlyTheInnerOne() {
        // JUL Logger.log -> jul-to-slf4j handler -> Logback callAppenders.
        CaptureBridge.enterOuter();
        CaptureBridge.markForwarded();
        CaptureBridge.enter("logback", "logback-event", logger);
        CaptureBridge.exit(CaptureBridge.state());
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "jul-record", logger);

        assertEquals(1, sink.seen.size());
        assertEquals("logback", sink.seen.get(0).framework);
        assertEquals("logback-event", sink.seen.get(0).event);
    }

    @Test
    void outerHookWithInnerEntryHookButNoForwardMarkStillCapturesOnce() {
        CaptureBridge.enterOuter();
        CaptureBridge.enter("logback", "logback-event", logger);
        CaptureBridge.exit(CaptureBridge.state());
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "jul-record", logger);
        assertEquals(List.of("logback-event"), events());
    }

    @Test
    void eventForwardedToAFrameworkThatRefusesItIsNotCaptured() {
        // The bridge handed the event to Logback, whose level check dropped it: no callAppenders.
        CaptureBridge.enterOuter();
        CaptureBridge.markForwarded();
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "jul-record", logger);
        assertTrue(sink.seen.isEmpty(), "the receiving framework decided not to log it");
    }

    @Test
    void forwardMarkDoesNotOutliveItsEvent() {
        CaptureBridge.enterOuter();
        CaptureBridge.markForwarded();
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "first", logger);

        CaptureBridge.enterOuter();
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "second", logger);
        assertEquals(List.of("second"), events());
    }

    @Test
    void forwardMarkOutsideAnyHookIsIgnored() {
        CaptureBridge.markForwarded();
        CaptureBridge.enterOuter();
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "record", logger);
        assertEquals(List.of("record"), events());
    }

    @Test
    void hookInsideAnAppenderOfACapturedEventIsNotCaptured() {
        CaptureBridge.enter("logback", "application-event", logger);
        // An appender of that event logs on its own, through Logback and through JUL.
        CaptureBridge.enter("logback", "appender-event", logger);
        CaptureBridge.exit(CaptureBridge.state());
        CaptureBridge.enterOuter();
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "appender-jul-record", logger);
        CaptureBridge.exit(CaptureBridge.state());

        assertEquals(List.of("application-event"), events());
    }

    @Test
    void loggingFromInsideTheSinkIsNotCaptured() {
        sink.during = () -> {
            CaptureBridge.enter("logback", "from-sink", logger);
            CaptureBridge.exit(CaptureBridge.state());
            CaptureBridge.enterOuter();
            CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "from-sink-jul", logger);
        };
        CaptureBridge.enter("logback", "application-event", logger);
        CaptureBridge.exit(CaptureBridge.state());
        assertEquals(List.of("application-event"), events());
    }

    @Test
    void agentThreadsNeverCapture() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread agent = new Thread(() -> {
            try {
                CaptureBridge.markAgentThread();
                CaptureBridge.enter("logback", "agent-logback", logger);
                CaptureBridge.exit(CaptureBridge.state());
                CaptureBridge.enterOuter();
                CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "agent-jul", logger);
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "agent-thread");
        agent.start();
        agent.join(10_000);
        assertFalse(agent.isAlive());
        assertNull(failure.get());
        assertTrue(sink.seen.isEmpty(), "nothing from an agent thread");

        // The mark belongs to that thread only.
        CaptureBridge.enter("logback", "application", logger);
        CaptureBridge.exit(CaptureBridge.state());
        assertEquals(List.of("application"), events());
    }

    @Test
    void aSinkThatThrowsNeverReachesTheApplication() {
        CaptureBridge.install((scratch, framework, event, logger) -> {
            throw new IllegalStateException("agent bug");
        });
        assertDoesNotThrow(() -> {
            CaptureBridge.enter("logback", "e1", logger);
            CaptureBridge.exit(CaptureBridge.state());
            CaptureBridge.enterOuter();
            CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "e2", logger);
        });
        CaptureBridge.install((scratch, framework, event, logger) -> {
            throw new StackOverflowError();
        });
        assertDoesNotThrow(() -> {
            CaptureBridge.enter("logback", "e3", logger);
            CaptureBridge.exit(CaptureBridge.state());
        });

        // And the thread's state is still consistent afterwards.
        CaptureBridge.install(sink);
        CaptureBridge.enter("logback", "after", logger);
        CaptureBridge.exit(CaptureBridge.state());
        CaptureBridge.enterOuter();
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "after-jul", logger);
        assertEquals(List.of("after", "after-jul"), events());
    }

    @Test
    void carrierIsClearedAfterPublishAndReusedPerThread() {
        CaptureBridge.enter("logback", "e1", logger);
        CaptureBridge.exit(CaptureBridge.state());
        CaptureBridge.enterOuter();
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "e2", logger);

        assertEquals(2, sink.seen.size());
        CapturedEvent carrier = sink.seen.get(0).carrier;
        assertSame(carrier, sink.seen.get(1).carrier, "one carrier per thread");
        assertNull(carrier.framework);
        assertNull(carrier.event);
        assertNull(carrier.logger);
    }

    @Test
    void carrierKeepsTheAgentsAttachmentAcrossEvents() {
        Object scratch = new Object();
        sink.during = () -> sink.seen.get(0).carrier.attachment = scratch;
        CaptureBridge.enter("logback", "e1", logger);
        CaptureBridge.exit(CaptureBridge.state());
        CaptureBridge.enter("logback", "e2", logger);
        CaptureBridge.exit(CaptureBridge.state());
        assertSame(scratch, sink.seen.get(1).carrier.attachment);
    }

    @Test
    void depthIsRestoredAfterNestedExits() {
        CaptureBridge.enterOuter();
        CaptureBridge.enter("logback", "a", logger);
        CaptureBridge.enterOuter();
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "b", logger);
        CaptureBridge.exit(CaptureBridge.state());
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "c", logger);
        assertEquals(List.of("a"), events());

        // Back at depth 0: an outer hook is outermost again, and nothing is claimed.
        CaptureBridge.enterOuter();
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "d", logger);
        CaptureBridge.enter("logback", "e", logger);
        CaptureBridge.exit(CaptureBridge.state());
        assertEquals(List.of("a", "d", "e"), events());
    }

    @Test
    void unbalancedExitsNeverMakeTheDepthNegative() {
        CaptureBridge.exit(CaptureBridge.state());
        CaptureBridge.exit(CaptureBridge.state());
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "stray", logger);
        assertTrue(sink.seen.isEmpty(), "an exit without its entry captures nothing");

        // With a negative depth, this would no longer be the outermost hook (depth 1).
        CaptureBridge.enterOuter();
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "record", logger);
        assertEquals(List.of("record"), events());
    }

    @Test
    void nullSinkCapturesNothing() {
        CaptureBridge.install(null);
        CaptureBridge.enter("logback", "e1", logger);
        CaptureBridge.exit(CaptureBridge.state());
        CaptureBridge.enterOuter();
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "e2", logger);

        CaptureBridge.install(sink);
        assertTrue(sink.seen.isEmpty());
        // Nothing was left claimed by the events seen while capture was off.
        CaptureBridge.enter("logback", "e3", logger);
        CaptureBridge.exit(CaptureBridge.state());
        assertEquals(List.of("e3"), events());
    }

    @Test
    void enterReturnsTheThreadsStateForTheMatchingExit() {
        Object state = CaptureBridge.enter("logback", "e1", logger);
        assertSame(CaptureBridge.state(), state);
        CaptureBridge.exit(state);
        assertSame(state, CaptureBridge.enterOuter(), "one state per thread, whichever hook");
        CaptureBridge.exitOuter(state, "jul", "e2", logger);
        assertEquals(List.of("e1", "e2"), events());
    }

    @Test
    void exitsWithoutAStateDoNothing() {
        // What a hook passes when its entry call failed: no state, nothing to leave.
        Object state = CaptureBridge.enter("logback", "e1", logger);
        CaptureBridge.exit(null);
        CaptureBridge.exitOuter(null, "jul", "stray", logger);
        CaptureBridge.enter("logback", "nested", logger);
        CaptureBridge.exit(state);
        CaptureBridge.exit(state);
        assertEquals(List.of("e1"), events(), "still inside e1 after the null exits");
    }

    @Test
    void nullEventIsNotCaptured() {
        CaptureBridge.enter("logback", null, logger);
        CaptureBridge.exit(CaptureBridge.state());
        CaptureBridge.enterOuter();
        CaptureBridge.exitOuter(CaptureBridge.state(), "jul", null, logger);
        assertTrue(sink.seen.isEmpty());
    }

    @Test
    void depthIsPerThread() throws Exception {
        CaptureBridge.enter("logback", "main-thread", logger);
        try {
            Thread other = new Thread(() -> {
                CaptureBridge.enterOuter();
                CaptureBridge.exitOuter(CaptureBridge.state(), "jul", "other-thread", logger);
            });
            other.start();
            other.join(10_000);
            assertFalse(other.isAlive());
        } finally {
            CaptureBridge.exit(CaptureBridge.state());
        }
        assertEquals(List.of("main-thread", "other-thread"), events());
    }

    private List<Object> events() {
        List<Object> events = new java.util.ArrayList<>();
        for (Seen s : sink.seen) {
            events.add(s.event);
        }
        return events;
    }
}
