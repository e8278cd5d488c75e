package io.datanadhi.agent;

import io.datanadhi.agent.capture.Mappers;
import io.datanadhi.agent.record.Caller;
import io.datanadhi.agent.record.CallerLocator;
import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.bootstrap.CaptureSink;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sink while the agent is starting (configuration and rules load on a background thread so
 * that premain returns at once). Events logged meanwhile are copied, with what can only be read
 * on their own thread (call site, thread name, formatted message), and replayed through the
 * rules once they are loaded. Bounded: past the limit events are counted and reported.
 */
final class PendingEvents implements CaptureSink {

    static final int CAPACITY = 10_000;

    private static final long HANDED_OFF = Long.MIN_VALUE;
    /** Marks an event whose copy failed. */
    private static final Pending FAILED = new Pending(null, null, null, null, null);

    private final List<Pending> events = new ArrayList<>();
    /**
     * Events skipped because the buffer was full, with the hand-off as the sign bit: once the
     * buffer is full, threads count without the lock, and the count is exact at the hand-off
     * (no thread can add to it after the bit is set; it forwards its event instead).
     */
    private final AtomicLong skipped = new AtomicLong();
    private CaptureSink next;
    private volatile boolean handedOff;
    /** Set once the buffer holds {@link #CAPACITY} events: no more copies are made. */
    private volatile boolean full;

    /**
     * The copy (a walk of the stack for the call site, the message, the context) is made before
     * taking the lock, and only while there is room; past that, events are counted without it:
     * threads logging at full speed while the agent starts are not serialized on one lock.
     */
    @Override
    public void accept(CapturedEvent scratch, String framework, Object event, Object logger) {
        if (!handedOff) {
            if (!full) {
                Pending copy;
                try {
                    copy = Pending.of(scratch.set(framework, event, logger));
                } catch (Throwable e) {
                    copy = FAILED; // a value that misbehaves, no stack left: counted, not lost silently
                } finally {
                    scratch.clear();
                }
                if (copy == null) {
                    return; // not logged by its framework
                }
                if (copy == FAILED ? countSkipped() : keep(copy)) {
                    return;
                }
                // handed off meanwhile: the sink takes it
            } else {
                EventMapper mapper = Mappers.forFramework(framework);
                if (mapper == null || !mapper.logged(event, logger)) {
                    return;
                }
                if (countSkipped()) {
                    return;
                }
                // handed off meanwhile: the sink takes it
            }
        }
        CaptureSink target = next; // written before the hand-off was published
        if (target != null) {
            target.accept(scratch, framework, event, logger);
        }
    }

    /** Keeps the copy, or counts it as skipped if the buffer is full; false once handed off. */
    private synchronized boolean keep(Pending copy) {
        if (handedOff) {
            return false;
        }
        if (events.size() < CAPACITY) {
            events.add(copy);
            full = events.size() >= CAPACITY;
        } else {
            skipped.incrementAndGet(); // the hand-off sets the sign bit under this lock only
        }
        return true;
    }

    /** Counts one more skipped event, unless the hand-off happened: then false, and the sink takes it. */
    private boolean countSkipped() {
        for (long count = skipped.get(); count >= 0; count = skipped.get()) {
            if (skipped.compareAndSet(count, count + 1)) {
                return true;
            }
        }
        return false;
    }

    /**
     * From now on events go to {@code sink} (null: nowhere). Returns what was collected; what did
     * not fit is {@link #overflowed()}. Only the first call hands off.
     */
    synchronized List<Pending> handOff(CaptureSink sink) {
        if (handedOff) {
            return List.of(); // once: a later call (a shutdown racing the start) changes nothing
        }
        next = sink;
        skipped.getAndUpdate(count -> count | HANDED_OFF);
        handedOff = true;
        List<Pending> collected = new ArrayList<>(events);
        events.clear();
        return collected;
    }

    /** Events skipped so far; final once handed off. */
    long overflowed() {
        return skipped.get() & Long.MAX_VALUE;
    }

    /** One early event, with what can only be read on the thread that logged it. */
    static final class Pending {
        final CapturedEvent event;
        final Caller caller;
        final String threadName;
        final String message;
        final Map<String, ?> context;

        private Pending(CapturedEvent event, Caller caller, String threadName, String message, Map<String, ?> context) {
            this.event = event;
            this.caller = caller;
            this.threadName = threadName;
            this.message = message;
            this.context = context;
        }

        static Pending of(CapturedEvent source) {
            EventMapper mapper = Mappers.forFramework(source.framework);
            if (mapper == null || !mapper.logged(source.event, source.logger)) {
                return null;
            }
            CapturedEvent copy = new CapturedEvent();
            copy.framework = source.framework;
            copy.event = mapper.retained(source);
            copy.logger = source.logger;
            String thread = mapper.threadName(source);
            Map<String, ?> context = mapper.context(source);
            Caller recorded = mapper.caller(source);
            return new Pending(copy, recorded != null ? recorded : CallerLocator.locate(), thread != null ? thread : Thread.currentThread().getName(),
                    mapper.message(source), context == null ? null : new HashMap<>(context));
        }
    }
}
