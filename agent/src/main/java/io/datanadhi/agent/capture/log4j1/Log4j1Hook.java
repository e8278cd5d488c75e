package io.datanadhi.agent.capture.log4j1;

import io.datanadhi.agent.capture.FrameworkHook;
import io.datanadhi.agent.capture.HookPoint;
import io.datanadhi.agent.record.EventMapper;
import java.util.List;

/**
 * Log4j 1.2 and reload4j (the same {@code org.apache.log4j} API): {@code Category.callAppenders},
 * which Log4j calls once per event after the level check, and which walks the additive parents
 * itself. (log4j-over-slf4j's {@code Category} has no such method: what it forwards is captured
 * where SLF4J's backend logs it.)
 */
public final class Log4j1Hook implements FrameworkHook {

    public static final String FRAMEWORK = "log4j";
    private static final String CATEGORY = "org.apache.log4j.Category";

    @Override
    public String framework() {
        return FRAMEWORK;
    }

    @Override
    public List<HookPoint> hookPoints() {
        return List.of(HookPoint.capture(HookPoint.Kind.CAPTURE_ON_ENTRY, FRAMEWORK, CATEGORY, "callAppenders",
                "(Lorg/apache/log4j/spi/LoggingEvent;)V", 0));
    }

    @Override
    public EventMapper newMapper() {
        return new Log4j1Events();
    }
}
