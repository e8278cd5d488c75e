package io.datanadhi.agent.record;

import io.datanadhi.agent.trace.TraceIds;
import io.datanadhi.agent.trace.Tracers;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Reads one framework's events. Everything is read on demand from the framework's own event
 * object, so that an event no rule wants costs only what the rules look at.
 */
public interface EventMapper {

    /**
     * False when the framework would not really log the event (JUL below the logger's level).
     * Read for every captured event, like {@link #level} and {@link #loggerName}, which take the
     * framework's own objects so that nothing is stored to read them.
     *
     * @param logger the hook's logger argument, or null
     */
    default boolean logged(Object event, Object logger) {
        return true;
    }

    /**
     * The call site when the event was logged on another thread than this one (an asynchronous
     * logger hands events to its own thread): what the framework recorded, or
     * {@link Caller#UNKNOWN}. Null, the default: find it with a stack walk on this thread.
     */
    default Caller caller(CapturedEvent event) {
        return null;
    }

    /**
     * The call site found when the event was logged, for an event evaluated later on another
     * thread (logged while the agent started); read by rules even when records leave it out.
     * Null, the default: walk this thread's stack.
     */
    default Caller locatedCaller(CapturedEvent event) {
        return null;
    }

    /** The normalized level of the framework's event. */
    Level level(Object event);

    /** The framework's own level name, e.g. "WARN" or "FINE". */
    String nativeLevel(CapturedEvent event);

    /** The logger's name, from the framework's event (or the hook's logger argument, or null). */
    String loggerName(Object event, Object logger);

    /** The formatted message, as the framework's own layouts would show it. */
    String message(CapturedEvent event);

    /**
     * The same text as {@link #message}, for a rule that reads it on every event, from the
     * framework's event itself: {@code thread} is the logging thread's own (empty) event, whose
     * {@link ThreadScratch} may hold the text (Log4j 2 copies its reusable messages into
     * {@link ThreadScratch#text()} instead of making a new String); valid until the thread's
     * next event. A mapper that does not override this fills {@code thread} with the event,
     * and the caller empties it. Never throws.
     */
    default CharSequence messageText(Object event, CapturedEvent thread) {
        return message(filled(thread, event));
    }

    /** The exception logged with the event, or null. */
    Throwable thrown(CapturedEvent event);

    /** The thread that logged, when the framework recorded it; null means the current thread. */
    default String threadName(CapturedEvent event) {
        return null;
    }

    long timestampMillis(CapturedEvent event);

    /**
     * The trace the event was logged in, as a tracer in the JVM sees it (see {@link Tracers}):
     * read now, on the thread that logs. False outside any trace, and where no tracer is there.
     */
    default boolean traceIds(CapturedEvent event, TraceIds out) {
        return Tracers.read(out);
    }

    /** MDC or thread context; null when none. Never modified. */
    default Map<String, ?> context(CapturedEvent event) {
        return null;
    }

    /**
     * What a rule on {@code context.<key>} reads, straight from the framework's event: the
     * key-value pair named {@code key}, else the MDC entry; null when neither. A value that is
     * not a String, number or boolean is only meaningful to the record view, which copies it.
     * {@code thread} as for {@link #messageText}.
     */
    default Object contextValue(Object event, String key, CapturedEvent thread) {
        CapturedEvent filled = filled(thread, event);
        Object value = keyValue(filled, key);
        if (value == null) {
            Map<String, ?> mdc = context(filled);
            value = mdc == null ? null : mdc.get(key);
        }
        return value;
    }

    /** {@code thread} holding {@code event}, for the methods that read a filled one. */
    private static CapturedEvent filled(CapturedEvent thread, Object event) {
        return thread.event == event ? thread : thread.set(thread.framework, event, thread.logger);
    }

    /** The value of one structured key-value pair (SLF4J 2 {@code addKeyValue}), or null. */
    default Object keyValue(CapturedEvent event, String key) {
        return null;
    }

    /** Every structured key-value pair, in order. */
    default void forEachKeyValue(CapturedEvent event, BiConsumer<String, Object> action) {}
}
