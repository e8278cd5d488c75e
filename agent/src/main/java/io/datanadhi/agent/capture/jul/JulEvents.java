package io.datanadhi.agent.capture.jul;

import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.agent.record.Level;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Reads java.util.logging's LogRecords (JDK classes: the agent links against them directly).
 * JBoss LogManager's records are LogRecords too; its mapper adds what they carry beyond JUL's.
 */
public class JulEvents implements EventMapper {

    /**
     * formatMessage is stateless: localizes through the record's bundle, then applies
     * java.text.MessageFormat when the message has {0}-style parameters, exactly as JUL does.
     * A holder, so that no java.util.logging class loads before the application uses JUL.
     */
    private static final class Messages {
        static final Formatter FORMATTER = new Formatter() {
            @Override
            public String format(LogRecord record) {
                return formatMessage(record);
            }
        };
    }

    protected static LogRecord record(CapturedEvent event) {
        return (LogRecord) event.event;
    }

    /**
     * {@code Logger.log(LogRecord)} returns early below the logger's level, and so do we. Filters
     * are not consulted: calling an application's filter a second time could change its state.
     */
    @Override
    public boolean logged(Object event, Object logger) {
        java.util.logging.Level level = ((LogRecord) event).getLevel();
        return level != null && (!(logger instanceof Logger) || ((Logger) logger).isLoggable(level));
    }

    @Override
    public Level level(Object event) {
        return level(((LogRecord) event).getLevel().intValue());
    }

    /** SEVERE 1000, WARNING 900, INFO 800, CONFIG 700, FINE 500...; custom levels by range. */
    public static Level level(int value) {
        if (value > 1000) {
            return Level.CRITICAL;
        }
        if (value == 1000) {
            return Level.ERROR;
        }
        if (value >= 900) {
            return Level.WARNING;
        }
        if (value >= 700) {
            return Level.INFO;
        }
        return Level.DEBUG;
    }

    @Override
    public String nativeLevel(CapturedEvent event) {
        return record(event).getLevel().getName();
    }

    @Override
    public String loggerName(Object event, Object logger) {
        String name = ((LogRecord) event).getLoggerName();
        if (name == null && logger instanceof Logger) {
            name = ((Logger) logger).getName();
        }
        return name;
    }

    @Override
    public String message(CapturedEvent event) {
        return message(record(event));
    }

    @Override
    public CharSequence messageText(Object event, CapturedEvent thread) {
        return message((LogRecord) event);
    }

    /** What a rule on {@code context.<key>} reads: JUL's records carry no context. */
    @Override
    public Object contextValue(Object event, String key, CapturedEvent thread) {
        return contextValue((LogRecord) event, key);
    }

    /** The context value named {@code key}; none in JUL's records. */
    protected Object contextValue(LogRecord record, String key) {
        return null;
    }

    /** The formatted message, as JUL's formatters show it; never null, never throws. */
    protected String message(LogRecord record) {
        try {
            String text = Messages.FORMATTER.formatMessage(record);
            return text == null ? "" : text;
        } catch (Throwable e) {
            // A parameter whose toString throws or recurses: keep the raw text.
            String raw = record.getMessage();
            return raw == null ? "" : raw;
        }
    }

    @Override
    public Throwable thrown(CapturedEvent event) {
        return record(event).getThrown();
    }

    @Override
    public long timestampMillis(CapturedEvent event) {
        return record(event).getMillis();
    }
}
