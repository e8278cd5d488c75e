package io.datanadhi.agent.record;

import java.util.List;

/** What every record of this process shares: the service name, how context is read, the size caps. */
public final class RecordSettings {
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024;
    public static final int DEFAULT_MAX_STACK_TRACE_BYTES = 64 * 1024;

    /** {@code log.span_id_keys}' default: OpenTelemetry, Elastic, Datadog, Micrometer/Brave. */
    public static final List<String> DEFAULT_SPAN_ID_KEYS = List.of("span_id", "span.id", "dd.span_id", "spanId");

    final String serviceName;
    final String[] traceIdKeys;
    /** Context keys that already carry a span id; the first is where a tracer's goes when none does. */
    final String[] spanIdKeys;
    /** UTF-8 bytes of the message, and of each context string. */
    final int maxMessageBytes;
    /** UTF-8 bytes of {@code context.error.stacktrace}. */
    final int maxStackTraceBytes;
    /**
     * Whether a shipped or printed record carries its call site, which costs taking the stack on
     * the logging thread; without, only what the framework recorded itself (or a rule needed).
     */
    final boolean caller;

    public RecordSettings(String serviceName, List<String> traceIdKeys, List<String> spanIdKeys, int maxMessageBytes,
            int maxStackTraceBytes, boolean caller) {
        this.serviceName = serviceName;
        this.traceIdKeys = traceIdKeys.toArray(new String[0]);
        this.spanIdKeys = spanIdKeys.toArray(new String[0]);
        this.maxMessageBytes = maxMessageBytes;
        this.maxStackTraceBytes = maxStackTraceBytes;
        this.caller = caller;
    }

    public RecordSettings(String serviceName, List<String> traceIdKeys, int maxMessageBytes, int maxStackTraceBytes,
            boolean caller) {
        this(serviceName, traceIdKeys, DEFAULT_SPAN_ID_KEYS, maxMessageBytes, maxStackTraceBytes, caller);
    }

    public RecordSettings(String serviceName, List<String> traceIdKeys, int maxMessageBytes, int maxStackTraceBytes) {
        this(serviceName, traceIdKeys, maxMessageBytes, maxStackTraceBytes, true);
    }

    public RecordSettings(String serviceName, List<String> traceIdKeys) {
        this(serviceName, traceIdKeys, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_STACK_TRACE_BYTES);
    }

    public String serviceName() {
        return serviceName;
    }
}
