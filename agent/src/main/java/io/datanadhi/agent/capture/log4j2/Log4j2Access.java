package io.datanadhi.agent.capture.log4j2;

import static io.datanadhi.agent.capture.FrameworkApi.GETTER;
import static io.datanadhi.agent.capture.FrameworkApi.call;
import static io.datanadhi.agent.capture.FrameworkApi.failure;
import static io.datanadhi.agent.capture.FrameworkApi.findInterface;
import static io.datanadhi.agent.capture.FrameworkApi.getter;
import static io.datanadhi.agent.capture.FrameworkApi.onClass;

import io.datanadhi.agent.capture.HandleAccess;
import io.datanadhi.agent.record.ThreadScratch;
import io.datanadhi.bootstrap.CapturedEvent;
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

    /** {@code (Object message, CapturedEvent thread) CharSequence}: see {@link #formatterFor}. */
    static final MethodType FORMAT_TYPE = MethodType.methodType(CharSequence.class, Object.class, CapturedEvent.class);
    /** Of {@link #FORMAT_TYPE}, null: the message is not formatted in place. */
    static final MethodHandle NOT_FORMATTED = MethodHandles.dropArguments(
            MethodHandles.constant(CharSequence.class, null), 0, Object.class, CapturedEvent.class);
    private static final MethodHandle VALUE_IN;
    private static final MethodHandle FORMATTED;
    private static final MethodHandle HELD_OR_FORMATTED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            VALUE_IN = lookup.findStatic(Log4j2Access.class, "valueIn",
                    MethodType.methodType(Object.class, MethodHandle.class, Object.class, String.class));
            FORMATTED = lookup.findStatic(Log4j2Access.class, "formatted",
                    MethodType.methodType(CharSequence.class, MethodHandle.class, Object.class, CapturedEvent.class));
            HELD_OR_FORMATTED = lookup.findStatic(Log4j2Access.class, "heldOrFormatted", MethodType.methodType(
                    CharSequence.class, MethodHandle.class, MethodHandle.class, Object.class, CapturedEvent.class));
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
     * The classes whose {@code formatTo(StringBuilder)} writes exactly what their
     * {@code getFormattedMessage()} returns, and for which the latter makes a new String per call:
     * the garbage-free event (its own message, holding the text in a buffer), the reusable
     * messages and the map messages. Not {@code ParameterizedMessage} (its formatted text is
     * cached for the appenders), not {@code ObjectMessage} nor the flow messages (their
     * {@code formatTo} asks a formattable parameter to write itself, where
     * {@code getFormattedMessage} takes its {@code toString()}), not an application's class.
     */
    private static final java.util.Set<String> FORMATTED_IN_PLACE = java.util.Set.of(
            "org.apache.logging.log4j.core.impl.MutableLogEvent",
            "org.apache.logging.log4j.core.async.RingBufferLogEvent",
            "org.apache.logging.log4j.message.ReusableParameterizedMessage",
            "org.apache.logging.log4j.message.ReusableSimpleMessage",
            "org.apache.logging.log4j.message.MapMessage",
            "org.apache.logging.log4j.message.StringMapMessage",
            "org.apache.logging.log4j.message.StructuredDataMessage");

    /** {@code Message.formatTo(StringBuilder)} for a class of {@link #FORMATTED_IN_PLACE}, as {@code (Object, StringBuilder) void}; null for any other. */
    private static MethodHandle formatTo(Class<?> type) {
        if (!FORMATTED_IN_PLACE.contains(type.getName())) {
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

    static Log4j2Access forClass(Class<?> eventClass) {
        return BY_EVENT_CLASS.get(eventClass);
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
     * Of {@link #FORMAT_TYPE}, for one message class: writes the message's text into the thread's
     * {@link ThreadScratch#text()} and returns it, as Log4j's layouts write it; or
     * {@link #NOT_FORMATTED} for a class not {@linkplain #FORMATTED_IN_PLACE formatted in place}.
     */
    static MethodHandle formatterFor(Class<?> messageClass) {
        MethodHandle formatTo = formatTo(messageClass);
        if (formatTo == null) {
            return NOT_FORMATTED;
        }
        MethodHandle held = heldText(messageClass);
        return held == null ? MethodHandles.insertArguments(FORMATTED, 0, formatTo)
                : MethodHandles.insertArguments(HELD_OR_FORMATTED, 0, held, formatTo);
    }

    /**
     * The garbage-free events ({@code MutableLogEvent}, {@code RingBufferLogEvent}) are their own
     * message when it was reusable: its text already formatted, in their {@code messageText}, which
     * their {@code formatTo} appends. Read in place, the rule reads it without a copy. Null where
     * the field cannot be read (an older or newer Log4j without it, Log4j on the module path).
     */
    private static MethodHandle heldText(Class<?> messageClass) {
        String name = messageClass.getName();
        if (!name.equals("org.apache.logging.log4j.core.impl.MutableLogEvent")
                && !name.equals("org.apache.logging.log4j.core.async.RingBufferLogEvent")) {
            return null;
        }
        try {
            return MethodHandles.privateLookupIn(messageClass, MethodHandles.lookup())
                    .findGetter(messageClass, "messageText", StringBuilder.class)
                    .asType(MethodType.methodType(StringBuilder.class, Object.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static CharSequence heldOrFormatted(MethodHandle held, MethodHandle formatTo, Object message,
            CapturedEvent thread) throws Throwable {
        StringBuilder text = (StringBuilder) held.invokeExact(message);
        return text != null ? text : formatted(formatTo, message, thread);
    }

    private static CharSequence formatted(MethodHandle formatTo, Object message, CapturedEvent thread) throws Throwable {
        StringBuilder into = ThreadScratch.of(thread).text();
        formatTo.invokeExact(message, into);
        return into;
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
