package io.datanadhi.agent.capture.jboss;

import io.datanadhi.agent.capture.FrameworkHook;
import io.datanadhi.agent.capture.HookPoint;
import io.datanadhi.agent.record.EventMapper;
import java.util.List;

/**
 * JBoss LogManager, used directly, through jboss-logging, or installed as the JUL manager
 * ({@code -Djava.util.logging.manager=org.jboss.logmanager.LogManager}), whose loggers override
 * every {@code java.util.logging.Logger} method so that JUL's own hook never runs for them.
 *
 * <p>The hook is {@code LoggerNode.publish(ExtLogRecord)} rather than {@code Logger.logRaw}:
 * {@code logRaw} is entered before the level and filter check, {@code publish} only for records
 * that passed it. The same call for each parent node (use-parent-handlers) is nested inside the
 * first, and so not captured again.
 */
public final class JbossHook implements FrameworkHook {

    public static final String FRAMEWORK = "jboss";
    private static final String LOGGER_NODE = "org.jboss.logmanager.LoggerNode";

    @Override
    public String framework() {
        return FRAMEWORK;
    }

    @Override
    public List<HookPoint> hookPoints() {
        return List.of(HookPoint.capture(HookPoint.Kind.CAPTURE_ON_ENTRY, FRAMEWORK, LOGGER_NODE, "publish",
                "(Lorg/jboss/logmanager/ExtLogRecord;)V", 0));
    }

    @Override
    public EventMapper newMapper() {
        return new JbossEvents();
    }
}
