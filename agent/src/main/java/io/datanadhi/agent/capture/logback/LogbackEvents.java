package io.datanadhi.agent.capture.logback;

import io.datanadhi.agent.capture.AccessEventMapper;
import io.datanadhi.agent.capture.EventAccess;
import io.datanadhi.agent.capture.KeyValuePairs;
import io.datanadhi.agent.record.Level;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.List;
import java.util.function.BiConsumer;

/** Reads Logback's ILoggingEvents, through {@link LogbackAccess}. */
final class LogbackEvents extends AccessEventMapper {

    @Override
    protected EventAccess access(Object event) {
        return LogbackAccess.of(event);
    }

    @Override
    protected Level normalize(int levelValue) {
        return level(levelValue);
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
