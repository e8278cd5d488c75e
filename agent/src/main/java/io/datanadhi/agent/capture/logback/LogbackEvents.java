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
import java.util.Map;
import java.util.function.BiConsumer;

/** Reads Logback's ILoggingEvents, through {@link LogbackAccess}. */
final class LogbackEvents extends AccessEventMapper {

    private static final MethodHandle LEVEL_VALUE =
            new InlinedGetter(InlinedGetter.Kind.LEVEL_VALUE, LogbackAccess::forClass).invoker();
    private static final MethodHandle LOGGER_NAME =
            new InlinedGetter(InlinedGetter.Kind.LOGGER_NAME, LogbackAccess::forClass).invoker();
    private static final MethodHandle MESSAGE =
            new InlinedGetter(FrameworkApi.GETTER, type -> LogbackAccess.forClass(type).formattedMessage, null).invoker();
    private static final MethodHandle MDC =
            new InlinedGetter(FrameworkApi.GETTER, type -> LogbackAccess.forClass(type).mdc, null).invoker();
    private static final MethodHandle KEY_VALUES =
            new InlinedGetter(FrameworkApi.GETTER, type -> LogbackAccess.forClass(type).keyValuePairs, null).invoker();

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
    protected String readMessage(Object event) {
        try {
            return (String) (Object) MESSAGE.invokeExact(event);
        } catch (Throwable t) {
            throw FrameworkApi.failure(t);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    protected Map<String, ?> readContext(Object event) {
        try {
            return (Map<String, ?>) (Object) MDC.invokeExact(event);
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
    public CharSequence messageText(Object event, CapturedEvent thread) {
        return message(event);
    }

    /** The key-value pair, else the MDC entry, read from the event without filling {@code thread}. */
    @Override
    public Object contextValue(Object event, String key, CapturedEvent thread) {
        Object value = KeyValuePairs.get(keyValues(event), key);
        if (value == null) {
            Map<String, ?> mdc = readContext(event);
            value = mdc == null ? null : mdc.get(key);
        }
        return value;
    }

    @Override
    public Object keyValue(CapturedEvent event, String key) {
        return KeyValuePairs.get(keyValues(event.event), key);
    }

    @Override
    public void forEachKeyValue(CapturedEvent event, BiConsumer<String, Object> action) {
        KeyValuePairs.forEach(keyValues(event.event), action);
    }

    private static List<?> keyValues(Object event) {
        try {
            return (List<?>) (Object) KEY_VALUES.invokeExact(event);
        } catch (Throwable t) {
            throw FrameworkApi.failure(t);
        }
    }
}
