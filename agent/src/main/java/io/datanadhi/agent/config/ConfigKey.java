package io.datanadhi.agent.config;

import java.util.HashMap;
import java.util.Map;

/**
 * Every configuration key (DESIGN.md section 6): its dotted name (used in config.yml, agent
 * arguments and, prefixed with {@code datanadhi.}, system properties), its environment variable,
 * its type and its default.
 */
enum ConfigKey {
    // In the order of DESIGN.md section 6, which is also the order of .config.resolved.json.
    DIR("dir", "DATANADHI_DIR", ValueTypes.directory(), "./.datanadhi"),
    API_KEY("api_key", "DATANADHI_API_KEY", ValueTypes.apiKey(), null),
    API_KEY_FILE("api_key_file", "DATANADHI_API_KEY_FILE", ValueTypes.filePath(), null),
    SERVER_HOST("server.host", "DATANADHI_SERVER_HOST", ValueTypes.httpUrl(), "http://data-nadhi-server:5000"),
    FALLBACK_HOST("server.fallback_host", "DATANADHI_FALLBACK_SERVER_HOST", ValueTypes.httpUrl(),
            "http://datanadhi-fallback-server:5001"),
    API_KEY_HEADER("server.api_key_header", "DATANADHI_API_KEY_HEADER", ValueTypes.headerName(), "x-datanadhi-api-key"),
    // The deadline of one request to a server, from connecting to the last byte of the response.
    SERVER_TIMEOUT("server.timeout", "DATANADHI_SERVER_TIMEOUT", ValueTypes.seconds(1, 300), "5"),
    // The agent's own trust and key stores (null: the JVM's); the fallback's default to these.
    TLS_TRUST_STORE("server.tls.trust_store", "DATANADHI_TLS_TRUST_STORE", ValueTypes.filePath(), null),
    TLS_TRUST_STORE_PASSWORD("server.tls.trust_store_password", "DATANADHI_TLS_TRUST_STORE_PASSWORD",
            ValueTypes.password(), null),
    TLS_TRUST_STORE_TYPE("server.tls.trust_store_type", "DATANADHI_TLS_TRUST_STORE_TYPE", ValueTypes.storeType(), null),
    TLS_KEY_STORE("server.tls.key_store", "DATANADHI_TLS_KEY_STORE", ValueTypes.filePath(), null),
    TLS_KEY_STORE_PASSWORD("server.tls.key_store_password", "DATANADHI_TLS_KEY_STORE_PASSWORD", ValueTypes.password(), null),
    TLS_KEY_STORE_TYPE("server.tls.key_store_type", "DATANADHI_TLS_KEY_STORE_TYPE", ValueTypes.storeType(), null),
    FALLBACK_TLS_TRUST_STORE("server.fallback_tls.trust_store", "DATANADHI_FALLBACK_TLS_TRUST_STORE",
            ValueTypes.filePath(), null),
    FALLBACK_TLS_TRUST_STORE_PASSWORD("server.fallback_tls.trust_store_password",
            "DATANADHI_FALLBACK_TLS_TRUST_STORE_PASSWORD", ValueTypes.password(), null),
    FALLBACK_TLS_TRUST_STORE_TYPE("server.fallback_tls.trust_store_type", "DATANADHI_FALLBACK_TLS_TRUST_STORE_TYPE",
            ValueTypes.storeType(), null),
    FALLBACK_TLS_KEY_STORE("server.fallback_tls.key_store", "DATANADHI_FALLBACK_TLS_KEY_STORE", ValueTypes.filePath(), null),
    FALLBACK_TLS_KEY_STORE_PASSWORD("server.fallback_tls.key_store_password", "DATANADHI_FALLBACK_TLS_KEY_STORE_PASSWORD",
            ValueTypes.password(), null),
    FALLBACK_TLS_KEY_STORE_TYPE("server.fallback_tls.key_store_type", "DATANADHI_FALLBACK_TLS_KEY_STORE_TYPE",
            ValueTypes.storeType(), null),
    // Default derived from the java command line, see ModuleName.
    MODULE_NAME("module_name", "DATANADHI_MODULE_NAME", ValueTypes.text(), null),
    LOG_LEVEL("log.level", "DATANADHI_LOG_LEVEL", ValueTypes.recordLevel(), "INFO"),
    AGENT_LOG_LEVEL("log.datanadhi_log_level", "DATANADHI_AGENT_LOG_LEVEL", ValueTypes.agentLevel(), "INFO"),
    // Context keys read for the trace id, first found wins: OpenTelemetry, Elastic APM, Datadog,
    // Micrometer/Brave; then the current span of a tracer in the JVM; then a random id.
    TRACE_ID_KEYS("log.trace_id_keys", null, ValueTypes.stringList(), "trace_id,trace.id,dd.trace_id,traceId"),
    // Context keys that carry a span id; when none is there, a tracer's span id goes under the first.
    SPAN_ID_KEYS("log.span_id_keys", null, ValueTypes.stringList(), "span_id,span.id,dd.span_id,spanId"),
    // UTF-8 bytes; the lower bound leaves room for the stack trace's "... (truncated)" marker.
    MAX_MESSAGE_BYTES("log.max_message_bytes", "DATANADHI_MAX_MESSAGE_BYTES", ValueTypes.integer(64, 64 << 20), "32768"),
    MAX_STACKTRACE_BYTES("log.max_stacktrace_bytes", "DATANADHI_MAX_STACKTRACE_BYTES",
            ValueTypes.integer(64, 64 << 20), "65536"),
    // The call site costs a stack walk on the logging thread for every shipped or printed event.
    CALLER("log.caller", "DATANADHI_LOG_CALLER", ValueTypes.bool(), "true"),
    // Rule files added, changed or removed while the application runs take effect within 2 s.
    RULES_RELOAD("rules.reload", "DATANADHI_RULES_RELOAD", ValueTypes.bool(), "true"),
    QUEUE_SIZE("async.queue_size", "DATANADHI_QUEUE_SIZE", ValueTypes.integer(1, 10_000_000), "10000"),
    WORKERS("async.workers", "DATANADHI_WORKERS", ValueTypes.integer(1, 64), "2"),
    // Requests to the primary in flight at once, each on its own keep-alive connection: 256 carry
    // 5 000 records/s to a server 30 ms away, or 2 000/s at 100 ms, with room to spare.
    MAX_IN_FLIGHT("async.max_in_flight", "DATANADHI_MAX_IN_FLIGHT", ValueTypes.integer(1, 4096), "256"),
    EXIT_TIMEOUT("async.exit_timeout", "DATANADHI_EXIT_TIMEOUT", ValueTypes.seconds(0, 3600), "5"),
    ECHOPOST_DISABLE("echopost.disable", "DATANADHI_ECHOPOST_DISABLE", ValueTypes.bool(), "false"),
    ECHOPOST_BINARY("echopost.binary", "DATANADHI_ECHOPOST_BINARY", ValueTypes.filePath(), null),
    ECHOPOST_DOWNLOAD_URL("echopost.download_url", "DATANADHI_ECHOPOST_URL", ValueTypes.urlTemplate(), null),
    ECHOPOST_SHA256("echopost.sha256", "DATANADHI_ECHOPOST_SHA256", ValueTypes.sha256(), null),
    ECHOPOST_MAX_DISK_MB("echopost.max_disk_mb", "DATANADHI_ECHOPOST_MAX_DISK_MB",
            ValueTypes.integer(1, Integer.MAX_VALUE), "1024"),
    ECHOPOST_START_TIMEOUT("echopost.start_timeout", "DATANADHI_ECHOPOST_START_TIMEOUT",
            ValueTypes.seconds(0, 60), "2");

    static final String PROPERTY_PREFIX = "datanadhi.";

    private static final Map<String, ConfigKey> BY_NAME = new HashMap<>();

    static {
        for (ConfigKey key : values()) {
            BY_NAME.put(key.dotted, key);
        }
    }

    final String dotted;
    /** Null when the key has no environment variable (log.trace_id_keys). */
    final String env;
    final ValueType type;
    /** The default as text, parsed by {@link #type}; null for "none" or a derived default. */
    final String defaultText;

    ConfigKey(String dotted, String env, ValueType type, String defaultText) {
        this.dotted = dotted;
        this.env = env;
        this.type = type;
        this.defaultText = defaultText;
    }

    String property() {
        return PROPERTY_PREFIX + dotted;
    }

    /** Never shown: the API key (masked to its last 4 characters) and the store passwords (not at all). */
    boolean isSecret() {
        return this == API_KEY || isPassword();
    }

    boolean isPassword() {
        return this == TLS_TRUST_STORE_PASSWORD || this == TLS_KEY_STORE_PASSWORD
                || this == FALLBACK_TLS_TRUST_STORE_PASSWORD || this == FALLBACK_TLS_KEY_STORE_PASSWORD;
    }

    /** The key with this dotted name, or null. */
    static ConfigKey byName(String dotted) {
        return BY_NAME.get(dotted);
    }

    /** The known key a typo most likely meant (at most 2 edits away), or null. */
    static ConfigKey closest(String typo) {
        ConfigKey best = null;
        int bestDistance = 3;
        for (ConfigKey key : values()) {
            int d = distance(typo.toLowerCase(java.util.Locale.ROOT), key.dotted);
            if (d < bestDistance) {
                best = key;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
