package io.datanadhi.agent.capture.log4j2;

import static io.datanadhi.agent.capture.FrameworkApi.GETTER;
import static io.datanadhi.agent.capture.FrameworkApi.call;
import static io.datanadhi.agent.capture.FrameworkApi.failure;
import static io.datanadhi.agent.capture.FrameworkApi.findInterface;
import static io.datanadhi.agent.capture.FrameworkApi.getter;

import io.datanadhi.agent.capture.HandleAccess;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.Map;

/**
 * Calls Log4j 2's API on the application's own Log4j, which the agent's class loader cannot link
 * against: method handles looked up once per event class, through the public {@code LogEvent}
 * interface (and {@code Level}, {@code Message}, {@code ReadOnlyStringMap} from the API jar).
 */
final class Log4j2Access extends HandleAccess {

    private static final String EVENT_INTERFACE = "org.apache.logging.log4j.core.LogEvent";

    private static final ClassValue<Log4j2Access> BY_EVENT_CLASS = new ClassValue<>() {
        @Override
        protected Log4j2Access computeValue(Class<?> type) {
            return new Log4j2Access(type);
        }
    };

    /**
     * {@code Message.formatTo(StringBuilder)}, per message class, for Log4j's own messages that
     * implement {@code StringBuilderFormattable}: the text its layouts write, without the new
     * String that {@code getFormattedMessage()} makes for a reusable message (or caches for a
     * parameterized one). Null for a message class of the application's, which may format
     * otherwise, and for {@code SimpleMessage}, whose text is already a String.
     */
    private static final ClassValue<MethodHandle> FORMAT_TO = new ClassValue<>() {
        @Override
        protected MethodHandle computeValue(Class<?> type) {
            if (!type.getName().startsWith("org.apache.logging.log4j.")
                    || type.getName().equals("org.apache.logging.log4j.message.SimpleMessage")) {
                return null;
            }
            Class<?> formattable = findInterface(type, "org.apache.logging.log4j.util.StringBuilderFormattable");
            if (formattable == null) {
                return null;
            }
            try {
                return MethodHandles.publicLookup()
                        .unreflect(formattable.getMethod("formatTo", StringBuilder.class))
                        .asType(MethodType.methodType(void.class, Object.class, StringBuilder.class));
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }
    };

    private final MethodHandle message;
    private final MethodHandle formattedMessage;
    private final MethodHandle thrown;
    private final MethodHandle contextData;
    private final MethodHandle contextToMap;
    private final MethodHandle contextGet;
    private final MethodHandle threadId;
    private final MethodHandle source;

    private Log4j2Access(Class<?> eventClass) {
        Class<?> api = findInterface(eventClass, EVENT_INTERFACE);
        if (api == null) {
            throw new IllegalArgumentException(eventClass + " is not a " + EVENT_INTERFACE);
        }
        try {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            Method getLevel = api.getMethod("getLevel");
            Class<?> levelClass = getLevel.getReturnType();
            level = lookup.unreflect(getLevel).asType(GETTER);
            levelValue = lookup.unreflect(levelClass.getMethod("intLevel")).asType(MethodType.methodType(int.class, Object.class));
            levelName = lookup.unreflect(levelClass.getMethod("name")).asType(GETTER);
            loggerName = getter(lookup, api, "getLoggerName");
            Method getMessage = api.getMethod("getMessage");
            message = lookup.unreflect(getMessage).asType(GETTER);
            formattedMessage = lookup.unreflect(getMessage.getReturnType().getMethod("getFormattedMessage")).asType(GETTER);
            threadName = getter(lookup, api, "getThreadName");
            timestamp = lookup.unreflect(api.getMethod("getTimeMillis")).asType(MethodType.methodType(long.class, Object.class));
            thrown = getter(lookup, api, "getThrown");
            Method getContextData = api.getMethod("getContextData");
            contextData = lookup.unreflect(getContextData).asType(GETTER);
            contextToMap = lookup.unreflect(getContextData.getReturnType().getMethod("toMap")).asType(GETTER);
            contextGet = lookup.unreflect(getContextData.getReturnType().getMethod("getValue", String.class))
                    .asType(MethodType.methodType(Object.class, Object.class, String.class));
            threadId = lookup.unreflect(api.getMethod("getThreadId")).asType(MethodType.methodType(long.class, Object.class));
            source = getter(lookup, api, "getSource");
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("unsupported Log4j 2 version: " + e, e);
        }
    }

    static Log4j2Access of(Object event) {
        return BY_EVENT_CLASS.get(event.getClass());
    }

    @Override
    public String message(Object event) {
        Object value = call(message, event);
        return value == null ? null : (String) call(formattedMessage, value);
    }

    /**
     * The formatted message of a Log4j message written into {@code into} and true; false (and
     * nothing written) when the message is not one of Log4j's own formattable ones.
     */
    boolean formatMessage(Object event, StringBuilder into) {
        Object value = call(message, event);
        MethodHandle formatTo = value == null ? null : FORMAT_TO.get(value.getClass());
        if (formatTo == null) {
            return false;
        }
        try {
            formatTo.invokeExact(value, into);
        } catch (Throwable t) {
            throw failure(t);
        }
        return true;
    }

    /**
     * One thread-context value, read in place (no copy of the map); null when absent. Not a
     * String when the context holds objects ({@link #context} gives their {@code String.valueOf}).
     */
    Object contextValue(Object event, String key) {
        Object data = call(contextData, event);
        if (data == null) {
            return null;
        }
        try {
            return (Object) contextGet.invokeExact(data, key);
        } catch (Throwable t) {
            throw failure(t);
        }
    }

    /** The event's {@code Message} object. */
    Object messageObject(Object event) {
        return call(message, event);
    }

    @Override
    public Throwable thrown(Object event) {
        return (Throwable) call(thrown, event);
    }

    /** The thread context (MDC) as a new map, or null when empty. */
    @SuppressWarnings("unchecked")
    @Override
    public Map<String, ?> context(Object event) {
        Object data = call(contextData, event);
        if (data == null) {
            return null;
        }
        Map<String, ?> map = (Map<String, ?>) call(contextToMap, data);
        return map == null || map.isEmpty() ? null : map;
    }

    long threadId(Object event) {
        try {
            return (long) threadId.invokeExact(event);
        } catch (Throwable t) {
            throw failure(t);
        }
    }

    /** The location Log4j recorded (when {@code includeLocation} is on), or null. */
    StackTraceElement source(Object event) {
        return (StackTraceElement) call(source, event);
    }
}
