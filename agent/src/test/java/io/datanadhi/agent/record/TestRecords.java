package io.datanadhi.agent.record;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds {@link CapturedRecord}s for tests outside this package (its constructor is package-private). */
public final class TestRecords {

    private TestRecords() {}

    /** A record shipped to {@code pipelines}, with the given message and an explicit trace id. */
    public static CapturedRecord shipped(String message, String... pipelines) {
        return builder().message(message).traceId("trace-" + message).pipelines(List.of(pipelines)).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private List<String> pipelines = List.of("default");
        private boolean stdout;
        private String message = "hello";
        private boolean truncated;
        private String traceId;
        private long timestampMillis = 1_795_342_542_458L;
        private String serviceName = "shop";
        private Level level = Level.ERROR;
        private String nativeLevel = "ERROR";
        private String framework = "logback";
        private String loggerName = "com.acme.OrderService";
        private Caller caller = new Caller("com.acme.OrderService", "placeOrder", "OrderService.java", 42);
        private String threadName = "http-nio-8080-exec-3";
        private Map<String, Object> context = new LinkedHashMap<>();
        private Throwable thrown;
        private int maxStackTraceBytes = RecordSettings.DEFAULT_MAX_STACK_TRACE_BYTES;

        public Builder pipelines(List<String> value) {
            pipelines = value;
            return this;
        }

        public Builder stdout(boolean value) {
            stdout = value;
            return this;
        }

        public Builder message(String value) {
            message = value;
            return this;
        }

        public Builder truncated(boolean value) {
            truncated = value;
            return this;
        }

        public Builder traceId(String value) {
            traceId = value;
            return this;
        }

        public Builder timestampMillis(long value) {
            timestampMillis = value;
            return this;
        }

        public Builder serviceName(String value) {
            serviceName = value;
            return this;
        }

        public Builder level(Level value, String nativeName) {
            level = value;
            nativeLevel = nativeName;
            return this;
        }

        public Builder framework(String value) {
            framework = value;
            return this;
        }

        public Builder loggerName(String value) {
            loggerName = value;
            return this;
        }

        public Builder caller(Caller value) {
            caller = value;
            return this;
        }

        public Builder threadName(String value) {
            threadName = value;
            return this;
        }

        public Builder context(Map<String, Object> value) {
            context = value;
            return this;
        }

        public Builder thrown(Throwable value) {
            thrown = value;
            return this;
        }

        public Builder maxStackTraceBytes(int value) {
            maxStackTraceBytes = value;
            return this;
        }

        public CapturedRecord build() {
            return new CapturedRecord(pipelines, stdout, message, truncated, traceId, timestampMillis, serviceName,
                    level, nativeLevel, framework, loggerName, caller, null, threadName, context, thrown,
                    maxStackTraceBytes);
        }
    }
}
