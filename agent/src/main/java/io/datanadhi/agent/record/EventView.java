package io.datanadhi.agent.record;

import io.datanadhi.agent.trace.TraceIds;
import io.datanadhi.agent.trace.Tracers;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The record of a captured event as the rules see it, resolved lazily from the framework's own
 * event: looking up {@code log_record.level} or an MDC key allocates nothing; the message is
 * formatted, the caller located and a trace id made only when a rule asks for them or the event
 * is kept.
 *
 * <p>One instance per {@link ThreadScratch}, reused for every event of the thread using it: it
 * keeps nothing of one event for the next.
 */
public final class EventView implements RecordView {

    private static final Object UNSET = new Object();
    /** Context entries (MDC and key-value pairs) a record carries at most. */
    static final int MAX_CONTEXT_ENTRIES = 1000;
    private static final String[] LOG_RECORD_FIELDS = {"filename", "function_name", "line_number", "level",
        "module_name", "class_name", "thread_name", "native_level", "framework"};

    private final RecordSettings settings;

    private CapturedEvent event;
    private EventMapper mapper;
    private Level level;
    private String message;
    private String nativeLevel;
    private String loggerName;
    private Object thrown = UNSET;
    private Object context = UNSET;
    private String traceId;
    /** What a tracer said, once asked for this event; null before. */
    private TraceIds tracer;
    private final TraceIds tracerIds = new TraceIds();
    private Caller caller;
    private String threadName;
    private boolean contextTruncated;

    public EventView(RecordSettings settings) {
        this.settings = settings;
    }

    public EventView reset(CapturedEvent event, EventMapper mapper, Level level) {
        this.event = event;
        this.mapper = mapper;
        this.level = level;
        this.message = null;
        this.nativeLevel = null;
        this.loggerName = null;
        this.thrown = UNSET;
        this.context = UNSET;
        this.traceId = null;
        this.tracer = null;
        this.caller = null;
        this.threadName = null;
        this.contextTruncated = false;
        return this;
    }

    /** Drops references to the event, so that a reused view keeps nothing of the application alive. */
    public void release() {
        reset(null, null, null);
    }

    public RecordSettings settings() {
        return settings;
    }

    @Override
    public Object resolve(String[] path) {
        boolean leaf = path.length == 1;
        switch (path[0]) {
            case "message":
                return leaf ? message() : null;
            case "trace_id":
                return leaf ? traceId() : null;
            case "timestamp":
                return leaf ? RecordWriter.timestamp(mapper.timestampMillis(event)) : null;
            case "module_name":
                return leaf ? settings.serviceName : null;
            case "log_record":
                return leaf ? logRecord() : (path.length == 2 ? logRecordField(path[1]) : null);
            case "context":
                return leaf ? context() : contextPath(path);
            default:
                return null;
        }
    }

    /** The fields rules read most, without comparing strings; the rest as {@link #resolve(String[])}. */
    @Override
    public Object resolve(RecordPath path) {
        switch (path.field()) {
            case MESSAGE:
                return message();
            case TRACE_ID:
                return traceId();
            case LEVEL:
                return level.name();
            case NATIVE_LEVEL:
                return nativeLevel();
            case LOGGER_NAME:
                return loggerName();
            case FRAMEWORK:
                return event.framework;
            case THREAD_NAME:
                return threadName();
            case CLASS_NAME:
                return caller().className;
            case FUNCTION_NAME:
                return caller().methodName;
            case FILENAME:
                return caller().fileName;
            case LINE_NUMBER:
                return caller().lineNumber;
            case CONTEXT_VALUE:
                return contextPath(path.parts());
            default:
                return resolve(path.parts());
        }
    }

    private Object logRecordField(String field) {
        switch (field) {
            case "level":
                return level.name();
            case "native_level":
                return nativeLevel();
            case "module_name":
                return loggerName();
            case "framework":
                return event.framework;
            case "thread_name":
                return threadName();
            case "class_name":
                return caller().className;
            case "function_name":
                return caller().methodName;
            case "filename":
                return caller().fileName;
            case "line_number":
                return caller().lineNumber;
            default:
                return null;
        }
    }

    private Map<String, Object> logRecord() {
        Map<String, Object> record = new LinkedHashMap<>();
        for (String field : LOG_RECORD_FIELDS) {
            record.put(field, logRecordField(field));
        }
        return record;
    }

    private Object contextPath(String[] path) {
        Object value = contextValue(path[1]);
        for (int i = 2; i < path.length && value != null; i++) {
            value = value instanceof Map ? ((Map<?, ?>) value).get(path[i]) : null;
        }
        return value instanceof String || value == null ? value : ContextValues.copy(value, settings.maxMessageBytes);
    }

    private Object contextValue(String key) {
        Throwable error = thrown();
        if (error != null && "error".equals(key)) {
            return error(error);
        }
        Object value = mapper.keyValue(event, key);
        if (value == null) {
            Map<String, ?> mdc = mdc();
            if (mdc != null) {
                value = mdc.get(key);
            }
        }
        return value;
    }

    private Map<String, Object> context() {
        Map<String, Object> copy = contextCopy();
        Throwable error = thrown();
        if (error != null) {
            copy.put("error", error(error));
        }
        return copy;
    }

    private Map<String, Object> error(Throwable error) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("type", ThrowableFormatter.type(error));
        fields.put("message", ThrowableFormatter.message(error));
        fields.put("stacktrace", ThrowableFormatter.stackTrace(error, settings.maxStackTraceBytes));
        return fields;
    }

    /**
     * MDC then key-value pairs (which win on a shared key), as plain values; at most
     * {@link #MAX_CONTEXT_ENTRIES} of them, the rest left out and the record marked truncated.
     */
    private Map<String, Object> contextCopy() {
        Map<String, Object> copy = new LinkedHashMap<>();
        int max = settings.maxMessageBytes;
        Map<String, ?> mdc = mdc();
        if (mdc != null) {
            for (Map.Entry<String, ?> e : mdc.entrySet()) {
                if (copy.size() >= MAX_CONTEXT_ENTRIES) {
                    contextTruncated = true;
                    break;
                }
                copy.put(e.getKey(), ContextValues.copy(e.getValue(), max));
            }
        }
        KeyValueCopy pairs = new KeyValueCopy(copy, MAX_CONTEXT_ENTRIES, max);
        mapper.forEachKeyValue(event, pairs);
        contextTruncated |= pairs.truncated;
        return copy;
    }

    @SuppressWarnings("unchecked")
    private Map<String, ?> mdc() {
        if (context == UNSET) {
            context = mapper.context(event);
        }
        return (Map<String, ?>) context;
    }

    private Throwable thrown() {
        if (thrown == UNSET) {
            thrown = mapper.thrown(event);
        }
        return (Throwable) thrown;
    }

    private String message() {
        if (message == null) {
            message = mapper.message(event);
        }
        return message;
    }

    private String nativeLevel() {
        if (nativeLevel == null) {
            nativeLevel = mapper.nativeLevel(event);
        }
        return nativeLevel;
    }

    private String loggerName() {
        if (loggerName == null) {
            loggerName = mapper.loggerName(event.event, event.logger);
        }
        return loggerName;
    }

    /** The context's trace id (log.trace_id_keys), else a tracer's, else a random one. */
    private String traceId() {
        if (traceId == null) {
            traceId = traceIdFromContext();
            if (traceId == null) {
                String traced = tracerMayKnow() ? tracer().traceId : null;
                traceId = traced != null ? traced : RecordWriter.newTraceId();
            }
        }
        return traceId;
    }

    /** A tracer is in the JVM, or the event is an early one, which carries what a tracer said then. */
    private boolean tracerMayKnow() {
        return Tracers.active() || event.event instanceof EarlyEvent;
    }

    /** What a tracer says about this event, asked once; empty ids outside any trace. */
    private TraceIds tracer() {
        if (tracer == null) {
            if (!mapper.traceIds(event, tracerIds)) {
                tracerIds.clear();
            }
            tracer = tracerIds;
        }
        return tracer;
    }

    /**
     * A tracer's span id under the first of log.span_id_keys, when the record's trace is the
     * tracer's and the context carries no span id of its own (a tracing agent's MDC keys, or the
     * application's).
     */
    private void addSpanId(String trace, Map<String, Object> context) {
        if (settings.spanIdKeys.length == 0) {
            return;
        }
        for (String key : settings.spanIdKeys) {
            if (context.containsKey(key)) {
                return; // the tracer's own MDC keys, or the application's: the tracer is not asked
            }
        }
        TraceIds ids = tracer();
        if (ids.spanId != null && trace.equals(ids.traceId)) {
            context.put(settings.spanIdKeys[0], ids.spanId);
        }
    }

    private String traceIdFromContext() {
        for (String key : settings.traceIdKeys) {
            Object value = mapper.keyValue(event, key);
            if (value == null) {
                Map<String, ?> mdc = mdc();
                value = mdc == null ? null : mdc.get(key);
            }
            if (value != null) {
                return ContextValues.text(value, 256);
            }
        }
        return null;
    }

    private Caller caller() {
        if (caller == null) {
            Caller recorded = mapper.caller(event);
            if (recorded == null) {
                recorded = mapper.locatedCaller(event);
            }
            caller = recorded != null ? recorded : CallerLocator.locate();
        }
        return caller;
    }

    private String threadName() {
        if (threadName == null) {
            String recorded = mapper.threadName(event);
            threadName = recorded != null ? recorded : Thread.currentThread().getName();
        }
        return threadName;
    }

    /** Copies everything the record needs, on the logging thread. */
    public CapturedRecord snapshot(List<String> pipelines, boolean stdout) {
        String whole = message();
        String text = Utf8Cut.cut(whole, settings.maxMessageBytes);
        boolean truncated = text != whole;
        String trace = traceId != null ? traceId : traceIdFromContext();
        Map<String, Object> context = contextCopy();
        if (tracerMayKnow()) {
            if (trace == null) {
                trace = tracer().traceId; // still null outside any trace: the record gets a random id
            }
            if (trace != null) {
                addSpanId(trace, context);
            }
        }
        Caller site = caller != null ? caller : mapper.caller(event);
        CallerTrace stack = null;
        if (site == null) {
            if (settings.caller) {
                stack = new CallerTrace(); // read into a Caller on the agent's thread
            } else {
                site = Caller.UNKNOWN;
            }
        }
        return new CapturedRecord(pipelines, stdout, text, truncated || contextTruncated, trace,
                mapper.timestampMillis(event), settings.serviceName, level, nativeLevel(), event.framework,
                loggerName(), site, stack, threadName(), context, thrown(), settings.maxStackTraceBytes);
    }
}
