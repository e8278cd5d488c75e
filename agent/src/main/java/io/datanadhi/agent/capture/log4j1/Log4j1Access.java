package io.datanadhi.agent.capture.log4j1;

import static io.datanadhi.agent.capture.FrameworkApi.GETTER;
import static io.datanadhi.agent.capture.FrameworkApi.call;
import static io.datanadhi.agent.capture.FrameworkApi.findClass;

import io.datanadhi.agent.capture.HandleAccess;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.Map;

/**
 * Calls Log4j 1.2's (or reload4j's) API on the application's copy: method handles looked up once
 * per event class, on the public {@code org.apache.log4j.spi.LoggingEvent} class.
 */
final class Log4j1Access extends HandleAccess {

    private static final String EVENT_CLASS = "org.apache.log4j.spi.LoggingEvent";

    private static final ClassValue<Log4j1Access> BY_EVENT_CLASS = new ClassValue<>() {
        @Override
        protected Log4j1Access computeValue(Class<?> type) {
            return new Log4j1Access(type);
        }
    };

    private final MethodHandle renderedMessage;
    private final MethodHandle throwableInformation;
    private final MethodHandle throwableOfInformation;
    private final MethodHandle properties;

    private Log4j1Access(Class<?> eventClass) {
        Class<?> api = findClass(eventClass, EVENT_CLASS);
        if (api == null) {
            throw new IllegalArgumentException(eventClass + " is not a " + EVENT_CLASS);
        }
        try {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            Method getLevel = api.getMethod("getLevel");
            Class<?> levelClass = getLevel.getReturnType();
            level = lookup.unreflect(getLevel).asType(GETTER);
            levelValue = lookup.unreflect(levelClass.getMethod("toInt")).asType(MethodType.methodType(int.class, Object.class));
            levelName = lookup.unreflect(levelClass.getMethod("toString")).asType(GETTER);
            loggerName = lookup.unreflect(api.getMethod("getLoggerName")).asType(GETTER);
            renderedMessage = lookup.unreflect(api.getMethod("getRenderedMessage")).asType(GETTER);
            threadName = lookup.unreflect(api.getMethod("getThreadName")).asType(GETTER);
            timestamp = lookup.unreflectGetter(api.getField("timeStamp")).asType(MethodType.methodType(long.class, Object.class));
            Method getThrowableInformation = api.getMethod("getThrowableInformation");
            throwableInformation = lookup.unreflect(getThrowableInformation).asType(GETTER);
            throwableOfInformation = lookup.unreflect(getThrowableInformation.getReturnType().getMethod("getThrowable"))
                    .asType(GETTER);
            properties = lookup.unreflect(api.getMethod("getProperties")).asType(GETTER);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("unsupported Log4j 1.2 version: " + e, e);
        }
    }

    static Log4j1Access of(Object event) {
        return BY_EVENT_CLASS.get(event.getClass());
    }

    static Log4j1Access forClass(Class<?> eventClass) {
        return BY_EVENT_CLASS.get(eventClass);
    }

    @Override
    public String message(Object event) {
        return (String) call(renderedMessage, event);
    }

    @Override
    public Throwable thrown(Object event) {
        Object information = call(throwableInformation, event);
        return information == null ? null : (Throwable) call(throwableOfInformation, information);
    }

    /** The MDC as Log4j copied it into the event (a new map), or null when empty. */
    @SuppressWarnings("unchecked")
    @Override
    public Map<String, ?> context(Object event) {
        Map<String, ?> map = (Map<String, ?>) call(properties, event);
        return map == null || map.isEmpty() ? null : map;
    }
}
