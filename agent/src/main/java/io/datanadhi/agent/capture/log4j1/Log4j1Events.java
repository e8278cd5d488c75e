package io.datanadhi.agent.capture.log4j1;

import io.datanadhi.agent.capture.AccessEventMapper;
import io.datanadhi.agent.capture.EventAccess;
import io.datanadhi.agent.capture.FrameworkApi;
import io.datanadhi.agent.capture.InlinedGetter;
import io.datanadhi.agent.record.Level;
import java.lang.invoke.MethodHandle;

/** Reads Log4j 1.2's (and reload4j's) LoggingEvents, through {@link Log4j1Access}. */
final class Log4j1Events extends AccessEventMapper {

    private static final MethodHandle LEVEL_VALUE =
            new InlinedGetter(InlinedGetter.Kind.LEVEL_VALUE, Log4j1Access::forClass).invoker();
    private static final MethodHandle LOGGER_NAME =
            new InlinedGetter(InlinedGetter.Kind.LOGGER_NAME, Log4j1Access::forClass).invoker();

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
        return Log4j1Access.of(event);
    }

    @Override
    protected Level normalize(int levelValue) {
        return level(levelValue);
    }

    /** FATAL 50000 -> CRITICAL, ERROR, WARN -> WARNING, INFO, DEBUG and TRACE -> DEBUG. */
    static Level level(int value) {
        if (value >= 50000) {
            return Level.CRITICAL;
        }
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
}
