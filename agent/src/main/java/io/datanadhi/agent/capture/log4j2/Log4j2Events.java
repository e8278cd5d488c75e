package io.datanadhi.agent.capture.log4j2;

import io.datanadhi.agent.record.Caller;
import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.agent.record.Level;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.Map;

/** Reads Log4j 2's LogEvents, through {@link Log4j2Access}. */
final class Log4j2Events implements EventMapper {

    @Override
    public Level level(CapturedEvent event) {
        return level(Log4j2Access.of(event.event).intLevel(event.event));
    }

    /** FATAL 100 -> CRITICAL, ERROR 200, WARN 300 -> WARNING, INFO 400, DEBUG 500 and TRACE 600 -> DEBUG. */
    static Level level(int value) {
        if (value <= 100) {
            return Level.CRITICAL;
        }
        if (value <= 200) {
            return Level.ERROR;
        }
        if (value <= 300) {
            return Level.WARNING;
        }
        if (value <= 400) {
            return Level.INFO;
        }
        return Level.DEBUG;
    }

    @Override
    public String nativeLevel(CapturedEvent event) {
        return Log4j2Access.of(event.event).levelName(event.event);
    }

    @Override
    public String loggerName(CapturedEvent event) {
        return Log4j2Access.of(event.event).loggerName(event.event);
    }

    @Override
    public String message(CapturedEvent event) {
        String message = Log4j2Access.of(event.event).formattedMessage(event.event);
        return message == null ? "" : message;
    }

    @Override
    public Throwable thrown(CapturedEvent event) {
        return Log4j2Access.of(event.event).thrown(event.event);
    }

    @Override
    public String threadName(CapturedEvent event) {
        return Log4j2Access.of(event.event).threadName(event.event);
    }

    @Override
    public long timestampMillis(CapturedEvent event) {
        return Log4j2Access.of(event.event).timestamp(event.event);
    }

    @Override
    public Map<String, ?> context(CapturedEvent event) {
        return Log4j2Access.of(event.event).context(event.event);
    }

    /**
     * An all-async logger ({@code AsyncLoggerContextSelector}) logs on Log4j's own thread, where a
     * stack walk finds nothing of the application: use the location Log4j took on the thread that
     * logged ({@code includeLocation="true"}), or none.
     */
    @Override
    @SuppressWarnings("deprecation") // Thread.getId(): threadId() is JDK 19+, and we run on 11
    public Caller caller(CapturedEvent event) {
        Log4j2Access access = Log4j2Access.of(event.event);
        if (access.threadId(event.event) == Thread.currentThread().getId()) {
            return null;
        }
        StackTraceElement source = access.source(event.event);
        return source == null ? Caller.UNKNOWN
                : new Caller(source.getClassName(), source.getMethodName(), source.getFileName(), source.getLineNumber());
    }

    @Override
    public Object retained(CapturedEvent event) {
        return Log4j2Access.of(event.event).immutable(event.event);
    }
}
