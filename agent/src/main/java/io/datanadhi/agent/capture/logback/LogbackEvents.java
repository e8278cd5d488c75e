package io.datanadhi.agent.capture.logback;

import io.datanadhi.agent.capture.AccessEventMapper;
import io.datanadhi.agent.capture.EventAccess;
import io.datanadhi.agent.capture.FrameworkApi;
import io.datanadhi.agent.capture.InlinedGetter;
import io.datanadhi.agent.capture.KeyValuePairs;
import io.datanadhi.agent.record.Level;
import io.datanadhi.bootstrap.CapturedEvent;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.function.BiConsumer;

/** Reads Logback's ILoggingEvents, through {@link LogbackAccess}. */
final class LogbackEvents extends AccessEventMapper {

    private static final MethodHandle LEVEL_VALUE =
            new InlinedGetter(InlinedGetter.Kind.LEVEL_VALUE, LogbackAccess::of).invoker();
    private static final MethodHandle LOGGER_NAME =
            new InlinedGetter(InlinedGetter.Kind.LOGGER_NAME, LogbackAccess::of).invoker();

    @Override
    protected int readLevelValue(Object event) {
        try {
            return (int) LEVEL_VALUE.invokeExact(event);
        } catch (Throwable t) {
            throw FrameworkApi.failure(t);
        }
    }

    @Override
    protected String readLoggerName(Object event) {
        try {
            return (String) (Object) LOGGER_NAME.invokeExact(event);
        } catch (Throwable t) {
            throw FrameworkApi.failure(t);
        }
    }

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
