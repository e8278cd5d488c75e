package io.datanadhi.agent.capture.log4j2;

import static io.datanadhi.agent.capture.FrameworkApi.GETTER;
import static io.datanadhi.agent.capture.FrameworkApi.call;
import static io.datanadhi.agent.capture.FrameworkApi.failure;
import static io.datanadhi.agent.capture.FrameworkApi.findInterface;
import static io.datanadhi.agent.capture.FrameworkApi.getter;
import static io.datanadhi.agent.capture.FrameworkApi.onClass;

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

    private static final MethodHandle VALUE_IN;
    private static final MethodHandle FORMATTED;
    /** {@code (Object, StringBuilder) boolean} that formats nothing: for a message {@link #FORMAT_TO} has no handle for. */
    static final MethodHandle NOT_FORMATTED = MethodHandles.dropArguments(
            MethodHandles.constant(boolean.class, false), 0, Object.class, StringBuilder.class);

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            VALUE_IN = lookup.findStatic(Log4j2Access.class, "valueIn",
                    MethodType.methodType(Object.class, MethodHandle.class, Object.class, String.class));
            FORMATTED = lookup.findStatic(Log4j2Access.class, "formatted",
                    MethodType.methodType(boolean.class, MethodHandle.class, Object.class, StringBuilder.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

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
    static final ClassValue<MethodHandle> FORMAT_TO = new ClassValue<>() {
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

    /** {@code (Object) Object}: {@code LogEvent.getMessage()}. */
    final MethodHandle message;
    private final MethodHandle formattedMessage;
    private final MethodHandle thrown;
    private final MethodHandle contextData;
    private final MethodHandle contextToMap;
    private final MethodHandle contextGet;
    /** {@code (Object event, String key) Object}: one thread-context value, read in place; null when absent. */
    final MethodHandle contextValue;
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
            level = onClass(lookup, eventClass, getLevel).asType(GETTER);
            levelValue = lookup.unreflect(levelClass.getMethod("intLevel")).asType(MethodType.methodType(int.class, Object.class));
            levelName = lookup.unreflect(levelClass.getMethod("name")).asType(GETTER);
            loggerName = getter(lookup, eventClass, api, "getLoggerName");
            Method getMessage = api.getMethod("getMessage");
            message = onClass(lookup, eventClass, getMessage).asType(GETTER);
            formattedMessage = lookup.unreflect(getMessage.getReturnType().getMethod("getFormattedMessage")).asType(GETTER);
            threadName = getter(lookup, api, "getThreadName");
            timestamp = lookup.unreflect(api.getMethod("getTimeMillis")).asType(MethodType.methodType(long.class, Object.class));
            thrown = getter(lookup, api, "getThrown");
            Method getContextData = api.getMethod("getContextData");
            contextData = onClass(lookup, eventClass, getContextData).asType(GETTER);
            contextToMap = lookup.unreflect(getContextData.getReturnType().getMethod("toMap")).asType(GETTER);
            contextGet = lookup.unreflect(getContextData.getReturnType().getMethod("getValue", String.class))
                    .asType(MethodType.methodType(Object.class, Object.class, String.class));
            contextValue = MethodHandles.filterArguments(MethodHandles.insertArguments(VALUE_IN, 0, contextGet), 0,
                    contextData);
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

    /**
     * {@code (Object message, StringBuilder into) boolean}: writes a Log4j message's text into
     * {@code into} and answers true, or answers false (writing nothing) for a message that is not
     * one of Log4j's own formattable ones.
     */
    static MethodHandle formatterFor(Object message) {
        MethodHandle formatTo = FORMAT_TO.get(message.getClass());
        return formatTo == null ? NOT_FORMATTED : MethodHandles.insertArguments(FORMATTED, 0, formatTo);
    }

    private static boolean formatted(MethodHandle formatTo, Object message, StringBuilder into) throws Throwable {
        formatTo.invokeExact(message, into);
        return true;
    }

    private static Object valueIn(MethodHandle get, Object data, String key) throws Throwable {
        return data == null ? null : (Object) get.invokeExact(data, key);
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
