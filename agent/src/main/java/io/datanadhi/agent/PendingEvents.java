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

/**
 * The sink while the agent is starting (configuration and rules load on a background thread so
 * that premain returns at once). Events logged meanwhile are copied, with what can only be read
 * on their own thread (call site, thread name, formatted message), and replayed through the
 * rules once they are loaded. Bounded: past the limit events are counted and reported.
 */
final class PendingEvents implements CaptureSink {

    static final int CAPACITY = 10_000;

    private final List<Pending> events = new ArrayList<>();
    private int overflowed;
    private CaptureSink next;
    private boolean handedOff;

    @Override
    public void accept(CapturedEvent scratch, String framework, Object event, Object logger) {
        CaptureSink target;
        synchronized (this) {
            target = next;
            if (!handedOff) {
                if (events.size() < CAPACITY) {
                    try {
                        Pending copy = Pending.of(scratch.set(framework, event, logger));
                        if (copy != null) {
                            events.add(copy);
                        }
                    } finally {
                        scratch.clear();
                    }
                } else {
                    overflowed++;
                }
                return;
            }
        }
        if (target != null) {
            target.accept(scratch, framework, event, logger);
        }
    }

    /**
     * From now on events go to {@code sink} (null: nowhere). Returns what was collected, and how
     * many events did not fit.
     */
    synchronized List<Pending> handOff(CaptureSink sink) {
        next = sink;
        handedOff = true;
        List<Pending> collected = new ArrayList<>(events);
        events.clear();
        return collected;
    }

    synchronized int overflowed() {
        return overflowed;
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
