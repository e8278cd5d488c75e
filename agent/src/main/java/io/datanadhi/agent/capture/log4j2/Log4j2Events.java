package io.datanadhi.agent.capture.log4j2;

import io.datanadhi.agent.capture.AccessEventMapper;
import io.datanadhi.agent.capture.EventAccess;
import io.datanadhi.agent.capture.FrameworkApi;
import io.datanadhi.agent.capture.InlinedGetter;
import io.datanadhi.agent.record.Caller;
import io.datanadhi.agent.record.Level;
import io.datanadhi.agent.record.ThreadScratch;
import io.datanadhi.bootstrap.CapturedEvent;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.util.function.BiConsumer;

/**
 * Reads Log4j 2's LogEvents, through {@link Log4j2Access}. The fields of a {@code MapMessage} or
 * {@code StructuredDataMessage} are the event's key-value pairs: they go into {@code context}
 * next to the thread context, as SLF4J 2's key-value pairs do for Logback.
 */
final class Log4j2Events extends AccessEventMapper {

    private static final MethodHandle LEVEL_VALUE =
            new InlinedGetter(InlinedGetter.Kind.LEVEL_VALUE, Log4j2Access::forClass).invoker();
    private static final MethodHandle LOGGER_NAME =
            new InlinedGetter(InlinedGetter.Kind.LOGGER_NAME, Log4j2Access::forClass).invoker();
    private static final MethodHandle MESSAGE =
            new InlinedGetter(FrameworkApi.GETTER, type -> Log4j2Access.forClass(type).message, null).invoker();
    /**
     * {@code (Object message, CapturedEvent thread) CharSequence}, keyed by the message's class (the
     * garbage-free event is its own message): its text, read in place where the event holds it,
     * else written into the thread's buffer; null for a message Log4j does not format that way (not
     * bound into the site).
     */
    private static final MethodHandle FORMAT = new InlinedGetter(Log4j2Access.FORMAT_TYPE, Log4j2Access::formatterFor,
            Log4j2Access.NOT_FORMATTED).invoker();
    private static final MethodHandle CONTEXT_VALUE = new InlinedGetter(
            MethodType.methodType(Object.class, Object.class, String.class),
            type -> Log4j2Access.forClass(type).contextValue, null).invoker();

    @Override
    protected int readLevelValue(Object event) {
        try {
            return (int) LEVEL_VALUE.invokeExact(event);
        } catch (Throwable t) {
            throw FrameworkApi.failure(t);
        }
    }

    @Override
    protected String readLoggerName(Object event) {
        try {
            return (String) (Object) LOGGER_NAME.invokeExact(event);
        } catch (Throwable t) {
            throw FrameworkApi.failure(t);
        }
    }

    @Override
    protected EventAccess access(Object event) {
        return Log4j2Access.of(event);
    }

    @Override
    protected Level normalize(int levelValue) {
        return level(levelValue);
    }

    /** FATAL 100 -> CRITICAL, ERROR 200, WARN 300 -> WARNING, INFO 400, DEBUG 500 and TRACE 600 -> DEBUG. */
    static Level level(int value) {
        if (value <= 100) {
            return Level.CRITICAL;
        }
        if (value <= 200) {
            return Level.ERROR;
        }
        if (value <= 300) {
            return Level.WARNING;
        }
        if (value <= 400) {
            return Level.INFO;
        }
        return Level.DEBUG;
    }

    /**
     * An all-async logger ({@code AsyncLoggerContextSelector}) logs on Log4j's own thread, where a
     * stack walk finds nothing of the application: use the location Log4j took on the thread that
     * logged ({@code includeLocation="true"}), or none.
     */
    @Override
    @SuppressWarnings("deprecation") // Thread.getId(): threadId() is JDK 19+, and we run on 11
    public Caller caller(CapturedEvent event) {
        Log4j2Access access = Log4j2Access.of(event.event);
        if (access.threadId(event.event) == Thread.currentThread().getId()) {
            return null;
        }
        StackTraceElement source = access.source(event.event);
        return source == null ? Caller.UNKNOWN
                : new Caller(source.getClassName(), source.getMethodName(), source.getFileName(), source.getLineNumber());
    }

    /** The hook passes the LoggerConfigPredicate: see {@link Log4j2Hook}. */
    @Override
    public boolean logged(Object event, Object logger) {
        return !(logger instanceof Enum) || !"ASYNCHRONOUS_ONLY".equals(((Enum<?>) logger).name());
    }

    /** Log4j's own messages are formatted into the thread's buffer, as its layouts do; others as {@link #message}. */
    @Override
    public CharSequence messageText(Object event, CapturedEvent thread) {
        try {
            Object message = (Object) MESSAGE.invokeExact(event);
            if (message != null) {
                CharSequence text = (CharSequence) FORMAT.invokeExact(message, thread);
                if (text != null) {
                    return text;
                }
            }
        } catch (Throwable e) {
            // as message() says it: the same note
        }
        return message(event);
    }

    /**
     * The key-value pair, else the thread context's value read in place, without the copy of
     * the whole context that {@link #context} makes. A thread context that holds objects (not
     * the usual strings) gives their {@code String.valueOf}, as that copy does.
     */
    @Override
    public Object contextValue(Object event, String key, CapturedEvent thread) {
        Object message = messageObject(event);
        Object value = MapMessageAccess.of(message).value(message, key);
        if (value != null) {
            return value;
        }
        Object context;
        try {
            context = (Object) CONTEXT_VALUE.invokeExact(event, key);
        } catch (Throwable t) {
            throw FrameworkApi.failure(t);
        }
        return context == null || context instanceof String ? context : String.valueOf(context);
    }

    @Override
    public Object keyValue(CapturedEvent event, String key) {
        Object message = messageObject(event.event);
        return MapMessageAccess.of(message).value(message, key);
    }

    private static Object messageObject(Object event) {
        try {
            return (Object) MESSAGE.invokeExact(event);
        } catch (Throwable t) {
            throw FrameworkApi.failure(t);
        }
    }

    @Override
    public void forEachKeyValue(CapturedEvent event, BiConsumer<String, Object> action) {
        Object message = Log4j2Access.of(event.event).messageObject(event.event);
        MapMessageAccess.of(message).forEach(message, action);
    }
}
