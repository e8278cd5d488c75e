package io.datanadhi.agent.record;

import io.datanadhi.agent.trace.TraceIds;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.Map;

/**
 * Reads {@link EarlyEvent}s, so that an event logged while the agent was starting goes through
 * the same rules and the same record as any other. The key-value pairs are in the context.
 */
public final class EarlyEventMapper implements EventMapper {

    private final boolean caller;

    /** Records carry the call site if {@code settings} say so ({@code log.caller}). */
    public EarlyEventMapper(RecordSettings settings) {
        this.caller = settings.caller;
    }

    /** The event the bridge would have passed for {@code early}, for a record view. */
    public static CapturedEvent captured(EarlyEvent early) {
        return new CapturedEvent().set(early.framework, early, null);
    }

    private static EarlyEvent early(Object event) {
        return (EarlyEvent) event;
    }

    /** As for a live event: the call site in the record if the framework recorded it or {@code log.caller} is on. */
    @Override
    public Caller caller(CapturedEvent event) {
        EarlyEvent early = early(event.event);
        return caller || early.callerRecorded ? early.caller() : null;
    }

    /** What rules read, whatever {@code log.caller} says, as for a live event. */
    @Override
    public Caller locatedCaller(CapturedEvent event) {
        return early(event.event).caller();
    }

    @Override
    public Level level(Object event) {
        return early(event).level;
    }

    @Override
    public String nativeLevel(CapturedEvent event) {
        return early(event.event).nativeLevel;
    }

    @Override
    public String loggerName(Object event, Object logger) {
        return early(event).loggerName;
    }

    @Override
    public String message(CapturedEvent event) {
        return early(event.event).message;
    }

    @Override
    public CharSequence messageText(Object event, CapturedEvent thread) {
        return early(event).message;
    }

    /** The key-value pairs are in the copy's context (they win there, as in the record). */
    @Override
    public Object contextValue(Object event, String key, CapturedEvent thread) {
        Map<String, ?> context = early(event).context;
        return context == null ? null : context.get(key);
    }

    @Override
    public Throwable thrown(CapturedEvent event) {
        return early(event.event).thrown;
    }

    @Override
    public String threadName(CapturedEvent event) {
        return early(event.event).threadName;
    }

    @Override
    public long timestampMillis(CapturedEvent event) {
        return early(event.event).timestampMillis;
    }

    /** What a tracer said on the thread that logged it, when it was copied. */
    @Override
    public boolean traceIds(CapturedEvent event, TraceIds out) {
        EarlyEvent early = early(event.event);
        out.set(early.traceId, early.spanId);
        return early.traceId != null;
    }

    @Override
    public Map<String, ?> context(CapturedEvent event) {
        return early(event.event).context;
    }
}
