package io.datanadhi.agent.record;

import java.util.List;

/** What every record of this process shares: the service name and how context is read. */
public final class RecordSettings {
    public static final int DEFAULT_MAX_MESSAGE_CHARS = 32 * 1024;
    public static final int DEFAULT_MAX_STACK_TRACE_CHARS = 64 * 1024;

    final String serviceName;
    final String[] traceIdKeys;
    final int maxMessageChars;
    final int maxStackTraceChars;

    public RecordSettings(String serviceName, List<String> traceIdKeys, int maxMessageChars, int maxStackTraceChars) {
        this.serviceName = serviceName;
        this.traceIdKeys = traceIdKeys.toArray(new String[0]);
        this.maxMessageChars = maxMessageChars;
        this.maxStackTraceChars = maxStackTraceChars;
    }

    public RecordSettings(String serviceName, List<String> traceIdKeys) {
        this(serviceName, traceIdKeys, DEFAULT_MAX_MESSAGE_CHARS, DEFAULT_MAX_STACK_TRACE_CHARS);
    }

    public String serviceName() {
        return serviceName;
    }
}
