package io.datanadhi.bootstrap;

import java.util.List;
import java.util.Map;

/**
 * One application log event, as plain JDK values, handed from inlined advice to the agent.
 *
 * <p>There is one instance per thread, reused for every event, so that capturing an event that
 * matches no rule allocates nothing. The agent must copy what it keeps before {@link
 * CaptureBridge#publish} returns; the fields are cleared afterwards.
 */
public final class CapturedEvent {
    /** Short name of the framework that produced the event: "jul", "logback", ... */
    public String framework;
    /** The framework's own level name, e.g. "WARN" or "FINE". */
    public String nativeLevel;
    /** The framework's own numeric level (Logback 30000, JUL 900, ...). */
    public int nativeLevelValue;
    public String loggerName;
    /** The message when the framework has already formatted it, else null. */
    public String message;
    public Throwable thrown;
    /** Thread name, when the framework records it; null means the current thread. */
    public String threadName;
    public long timestampMillis;
    /** MDC or thread context; may be null. Never modified by the agent. */
    public Map<String, ?> context;
    /** SLF4J 2 key-value pairs ({@code org.slf4j.event.KeyValuePair}); may be null. */
    public List<?> keyValues;
    /** The framework's event object (LogRecord, ILoggingEvent, ...), for framework mappers. */
    public Object source;

    /** Per-thread scratch space owned by the agent; survives {@link #clear()}. */
    public Object attachment;

    void clear() {
        framework = null;
        nativeLevel = null;
        nativeLevelValue = 0;
        loggerName = null;
        message = null;
        thrown = null;
        threadName = null;
        timestampMillis = 0L;
        context = null;
        keyValues = null;
        source = null;
    }
}
