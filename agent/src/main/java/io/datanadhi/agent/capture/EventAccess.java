package io.datanadhi.agent.capture;

import java.util.Map;

/**
 * What the agent reads from one framework's event object, through method handles on the
 * application's copy of the framework.
 */
public interface EventAccess {

    /** The framework's own numeric level. */
    int levelValue(Object event);

    String levelName(Object event);

    String loggerName(Object event);

    /** The formatted message, or null. */
    String message(Object event);

    Throwable thrown(Object event);

    String threadName(Object event);

    long timestamp(Object event);

    /** The MDC or thread context, or null when there is none. */
    Map<String, ?> context(Object event);
}
