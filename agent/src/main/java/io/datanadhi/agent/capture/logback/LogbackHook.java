package io.datanadhi.agent.capture.logback;

import io.datanadhi.agent.capture.FrameworkHook;
import io.datanadhi.agent.capture.HookPoint;
import io.datanadhi.agent.record.EventMapper;
import java.util.List;

/**
 * Logback, and so every SLF4J application on it: {@code Logger.callAppenders(ILoggingEvent)},
 * which Logback calls once per event after its level check and turbo filters. The event is taken
 * just before the method hands it to the first logger's appenders, not on entry: tracing agents
 * put their ids in the MDC on entry to the same method (Elastic APM), or note the current trace
 * there (OpenTelemetry), and the record must see what the appenders see, whichever agent was
 * attached first. Reading the event's MDC before their entry code would also fix Logback's copy
 * of it without their ids, for the application's own appenders too.
 *
 * <p>{@code Logger.log(Marker, String, int, String, Object[], Throwable)}, the entry that bridges
 * use (jul-to-slf4j, log4j-to-slf4j, jcl-over-slf4j), only notes that an event was handed to
 * Logback, so the framework it came from does not capture it when Logback decides not to log it.
 */
public final class LogbackHook implements FrameworkHook {

    public static final String FRAMEWORK = "logback";
    private static final String LOGGER = "ch.qos.logback.classic.Logger";

    @Override
    public String framework() {
        return FRAMEWORK;
    }

    @Override
    public List<HookPoint> hookPoints() {
        return List.of(
                HookPoint.captureBeforeCall(FRAMEWORK, LOGGER, "callAppenders",
                        "(Lch/qos/logback/classic/spi/ILoggingEvent;)V", 0,
                        "ch/qos/logback/classic/Logger", "appendLoopOnAppenders",
                        "(Lch/qos/logback/classic/spi/ILoggingEvent;)I"),
                HookPoint.forwarded(FRAMEWORK, LOGGER, "log",
                        "(Lorg/slf4j/Marker;Ljava/lang/String;ILjava/lang/String;[Ljava/lang/Object;Ljava/lang/Throwable;)V"));
    }

    @Override
    public EventMapper newMapper() {
        return new LogbackEvents();
    }
}
