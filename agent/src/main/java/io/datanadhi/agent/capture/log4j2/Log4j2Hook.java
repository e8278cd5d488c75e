package io.datanadhi.agent.capture.log4j2;

import io.datanadhi.agent.capture.FrameworkHook;
import io.datanadhi.agent.capture.HookPoint;
import io.datanadhi.agent.record.EventMapper;
import java.util.List;

/**
 * Log4j 2: {@code LoggerConfig.processLogEvent(LogEvent, LoggerConfigPredicate)}, which Log4j
 * calls once the logger's level and the logger config's filters let an event through, before the
 * appenders (an {@code AsyncAppender} included: the event is captured on the thread that logged
 * it). The same call for each additive parent config is nested inside the first, and so not
 * captured again.
 *
 * <p>A mixed asynchronous logger ({@code <AsyncLogger>}, {@code AsyncLoggerConfig}) calls it twice
 * for one event: on the application's thread for its synchronous appenders
 * ({@code SYNCHRONOUS_ONLY}), then on Log4j's thread for the rest ({@code ASYNCHRONOUS_ONLY}).
 * The hook passes that predicate, and the event is captured in the first call only.
 */
public final class Log4j2Hook implements FrameworkHook {

    public static final String FRAMEWORK = "log4j2";
    private static final String LOGGER_CONFIG = "org.apache.logging.log4j.core.config.LoggerConfig";

    @Override
    public String framework() {
        return FRAMEWORK;
    }

    @Override
    public List<HookPoint> hookPoints() {
        return List.of(HookPoint.capture(HookPoint.Kind.CAPTURE_ON_ENTRY, FRAMEWORK, LOGGER_CONFIG, "processLogEvent",
                "(Lorg/apache/logging/log4j/core/LogEvent;"
                        + "Lorg/apache/logging/log4j/core/config/LoggerConfig$LoggerConfigPredicate;)V", 0, 1));
    }

    @Override
    public EventMapper newMapper() {
        return new Log4j2Events();
    }
}
