package io.datanadhi.agent.capture.logback;

import io.datanadhi.agent.capture.KeyValuePairs;
import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.agent.record.Level;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/** Reads Logback's ILoggingEvents, through {@link LogbackAccess}. */
final class LogbackEvents implements EventMapper {

    @Override
    public Level level(CapturedEvent event) {
        return level(LogbackAccess.of(event.event).levelInt(event.event));
    }

    /** ERROR 40000, WARN 30000, INFO 20000, DEBUG 10000, TRACE 5000. */
    static Level level(int value) {
        if (value >= 40000) {
            return Level.ERROR;
        }
        if (value >= 30000) {
            return Level.WARNING;
        }
        if (value >= 20000) {
            return Level.INFO;
        }
        return Level.DEBUG;
    }

    @Override
    public String nativeLevel(CapturedEvent event) {
        return LogbackAccess.of(event.event).levelName(event.event);
    }

    @Override
    public String loggerName(CapturedEvent event) {
        return LogbackAccess.of(event.event).loggerName(event.event);
    }

    @Override
    public String message(CapturedEvent event) {
        String message = LogbackAccess.of(event.event).formattedMessage(event.event);
        return message == null ? "" : message;
    }

    @Override
    public Throwable thrown(CapturedEvent event) {
        return LogbackAccess.of(event.event).thrown(event.event);
    }

    @Override
    public String threadName(CapturedEvent event) {
        return LogbackAccess.of(event.event).threadName(event.event);
    }

    @Override
    public long timestampMillis(CapturedEvent event) {
        return LogbackAccess.of(event.event).timestamp(event.event);
    }

    @Override
    public Map<String, ?> context(CapturedEvent event) {
        return LogbackAccess.of(event.event).mdc(event.event);
    }

    @Override
    public Object keyValue(CapturedEvent event, String key) {
        return KeyValuePairs.get(keyValues(event), key);
    }

    @Override
    public void forEachKeyValue(CapturedEvent event, BiConsumer<String, Object> action) {
        KeyValuePairs.forEach(keyValues(event), action);
    }

    private static List<?> keyValues(CapturedEvent event) {
        return LogbackAccess.of(event.event).keyValues(event.event);
    }
}
