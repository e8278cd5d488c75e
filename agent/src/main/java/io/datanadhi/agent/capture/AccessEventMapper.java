package io.datanadhi.agent.capture;

import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.agent.record.Level;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.Map;

/** An {@link EventMapper} for a framework read through an {@link EventAccess}. */
public abstract class AccessEventMapper implements EventMapper {

    /** The access for this event's class (looked up once per class). */
    protected abstract EventAccess access(Object event);

    /** The framework's numeric level, normalized. */
    protected abstract Level normalize(int levelValue);

    /**
     * The framework's numeric level, read for every captured event. A framework's mapper
     * overrides this and the other {@code read} methods with an {@link InlinedGetter}.
     */
    protected int readLevelValue(Object event) {
        return access(event).levelValue(event);
    }

    /** The logger's name, read for every event a rule on {@code log_record.module_name} sees. */
    protected String readLoggerName(Object event) {
        return access(event).loggerName(event);
    }

    @Override
    public Level level(Object event) {
        return normalize(readLevelValue(event));
    }

    @Override
    public String nativeLevel(CapturedEvent event) {
        return access(event.event).levelName(event.event);
    }

    @Override
    public String loggerName(Object event, Object logger) {
        return readLoggerName(event);
    }

    /** The formatted message, read for every event a rule on {@code message} sees. */
    protected String readMessage(Object event) {
        return access(event).message(event);
    }

    /** The MDC or thread context, read for every event a rule on {@code context.*} sees. */
    protected Map<String, ?> readContext(Object event) {
        return access(event).context(event);
    }

    /** Never throws: a message object whose toString throws or recurses becomes a note. */
    @Override
    public String message(CapturedEvent event) {
        return message(event.event);
    }

    /** As {@link #message(CapturedEvent)}, for the framework's event itself. */
    protected String message(Object event) {
        try {
            String message = readMessage(event);
            return message == null ? "" : message;
        } catch (Throwable e) {
            return "(the message could not be formatted: " + e.getClass().getName() + ")";
        }
    }

    @Override
    public Throwable thrown(CapturedEvent event) {
        return access(event.event).thrown(event.event);
    }

    @Override
    public String threadName(CapturedEvent event) {
        return access(event.event).threadName(event.event);
    }

    @Override
    public long timestampMillis(CapturedEvent event) {
        return access(event.event).timestamp(event.event);
    }

    @Override
    public Map<String, ?> context(CapturedEvent event) {
        return readContext(event.event);
    }
}
