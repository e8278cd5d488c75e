package io.datanadhi.agent.capture.jul;

import io.datanadhi.agent.capture.FrameworkHook;
import io.datanadhi.agent.capture.HookPoint;
import io.datanadhi.agent.record.EventMapper;
import java.util.List;

/**
 * java.util.logging: {@code Logger.log(LogRecord)}, through which every JUL logging method goes.
 *
 * <p>The event is captured on the way out, and only when this is the outermost hook and no other
 * framework received the event: a handler such as jul-to-slf4j's forwards it to Logback, which
 * then makes the level decision and captures it itself, with its MDC.
 */
public final class JulHook implements FrameworkHook {

    public static final String FRAMEWORK = "jul";

    @Override
    public String framework() {
        return FRAMEWORK;
    }

    @Override
    public List<HookPoint> hookPoints() {
        return List.of(HookPoint.capture(HookPoint.Kind.CAPTURE_ON_EXIT, FRAMEWORK,
                "java.util.logging.Logger", "log", "(Ljava/util/logging/LogRecord;)V", 0));
    }

    @Override
    public EventMapper newMapper() {
        return new JulEvents();
    }
}
