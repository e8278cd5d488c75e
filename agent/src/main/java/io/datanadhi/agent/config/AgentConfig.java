package io.datanadhi.agent.config;

import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.record.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The agent's resolved configuration (DESIGN.md section 6): immutable, every value checked.
 * Built by {@link ConfigResolver#resolve}. {@link #toString()} never shows the API key.
 */
public final class AgentConfig {
    private final Map<ConfigKey, Object> values;
    private final Map<ConfigKey, ConfigValue> settings;

    AgentConfig(Map<ConfigKey, Object> values, Map<ConfigKey, ConfigValue> settings) {
        this.values = Collections.unmodifiableMap(new EnumMap<>(values));
        this.settings = Collections.unmodifiableMap(new EnumMap<>(settings));
    }

    /** The Data Nadhi directory: absolute and normalized. */
    public Path dir() {
        return (Path) values.get(ConfigKey.DIR);
    }

    /** Null when no usable key was given: nothing is shipped. */
    public String apiKey() {
        return (String) values.get(ConfigKey.API_KEY);
    }

    /** The file the key was read from, as given, or null. */
    public String apiKeyFile() {
        return (String) values.get(ConfigKey.API_KEY_FILE);
    }

    /** Base URL without a trailing slash, e.g. {@code http://data-nadhi-server:5000}. */
    public String serverHost() {
        return (String) values.get(ConfigKey.SERVER_HOST);
    }

    /** Base URL without a trailing slash. */
    public String fallbackHost() {
        return (String) values.get(ConfigKey.FALLBACK_HOST);
    }

    public String apiKeyHeader() {
        return (String) values.get(ConfigKey.API_KEY_HEADER);
    }

    /** The deadline of one request to a server, for the whole exchange. */
    public Duration serverTimeout() {
        return (Duration) values.get(ConfigKey.SERVER_TIMEOUT);
    }

    /** The primary's trust and key stores ({@code server.tls.*}). */
    public TlsStores tls() {
        return new TlsStores(
                (String) values.get(ConfigKey.TLS_TRUST_STORE), (String) values.get(ConfigKey.TLS_TRUST_STORE_PASSWORD),
                (String) values.get(ConfigKey.TLS_TRUST_STORE_TYPE), (String) values.get(ConfigKey.TLS_KEY_STORE),
                (String) values.get(ConfigKey.TLS_KEY_STORE_PASSWORD), (String) values.get(ConfigKey.TLS_KEY_STORE_TYPE),
                "server.tls");
    }

    /** The fallback's ({@code server.fallback_tls.*}); a store not set there is the primary's. */
    public TlsStores fallbackTls() {
        TlsStores primary = tls();
        String trustStore = (String) values.get(ConfigKey.FALLBACK_TLS_TRUST_STORE);
        String keyStore = (String) values.get(ConfigKey.FALLBACK_TLS_KEY_STORE);
        return new TlsStores(
                trustStore != null ? trustStore : primary.trustStore,
                trustStore != null ? (String) values.get(ConfigKey.FALLBACK_TLS_TRUST_STORE_PASSWORD) : primary.trustStorePassword,
                trustStore != null ? (String) values.get(ConfigKey.FALLBACK_TLS_TRUST_STORE_TYPE) : primary.trustStoreType,
                keyStore != null ? keyStore : primary.keyStore,
                keyStore != null ? (String) values.get(ConfigKey.FALLBACK_TLS_KEY_STORE_PASSWORD) : primary.keyStorePassword,
                keyStore != null ? (String) values.get(ConfigKey.FALLBACK_TLS_KEY_STORE_TYPE) : primary.keyStoreType,
                trustStore != null || keyStore != null ? "server.fallback_tls" : "server.tls");
    }

    /** Trust and key stores as configured: paths as given, null where the JVM's own are used. */
    public static final class TlsStores {
        public final String trustStore;
        public final String trustStorePassword;
        public final String trustStoreType;
        public final String keyStore;
        public final String keyStorePassword;
        public final String keyStoreType;
        /** The keys they come from, for messages: {@code server.tls} or {@code server.fallback_tls}. */
        public final String keys;

        TlsStores(String trustStore, String trustStorePassword, String trustStoreType, String keyStore,
                String keyStorePassword, String keyStoreType, String keys) {
            this.trustStore = trustStore;
            this.trustStorePassword = trustStorePassword;
            this.trustStoreType = trustStoreType;
            this.keyStore = keyStore;
            this.keyStorePassword = keyStorePassword;
            this.keyStoreType = keyStoreType;
            this.keys = keys;
        }
    }

    /** The service name: configured, else the main class or jar, else {@code java-app}. */
    public String moduleName() {
        return (String) values.get(ConfigKey.MODULE_NAME);
    }

    /** Records below this level are not captured. */
    public Level logLevel() {
        return (Level) values.get(ConfigKey.LOG_LEVEL);
    }

    /** The threshold of the agent's own diagnostics. */
    public Diagnostics.Level agentLogLevel() {
        return (Diagnostics.Level) values.get(ConfigKey.AGENT_LOG_LEVEL);
    }

    /** MDC / ThreadContext keys holding the trace id, in lookup order; never empty. */
    @SuppressWarnings("unchecked")
    public List<String> traceIdKeys() {
        return (List<String>) values.get(ConfigKey.TRACE_ID_KEYS);
    }

    /** Context keys holding a span id, in lookup order; never empty. */
    @SuppressWarnings("unchecked")
    public List<String> spanIdKeys() {
        return (List<String>) values.get(ConfigKey.SPAN_ID_KEYS);
    }

    /** The longest message (and context string) a record keeps, in UTF-8 bytes. */
    public int maxMessageBytes() {
        return (Integer) values.get(ConfigKey.MAX_MESSAGE_BYTES);
    }

    /** The longest {@code context.error.stacktrace} a record keeps, in UTF-8 bytes. */
    public int maxStackTraceBytes() {
        return (Integer) values.get(ConfigKey.MAX_STACKTRACE_BYTES);
    }

    /** Whether records carry the call site (filename, function_name, line_number, class_name). */
    public boolean caller() {
        return (Boolean) values.get(ConfigKey.CALLER);
    }

    /** Watch {@code <dir>/rules} and apply changes while the application runs. */
    public boolean rulesReload() {
        return (Boolean) values.get(ConfigKey.RULES_RELOAD);
    }

    public int queueSize() {
        return (Integer) values.get(ConfigKey.QUEUE_SIZE);
    }

    public int workers() {
        return (Integer) values.get(ConfigKey.WORKERS);
    }

    /** Requests to the primary in flight at once. */
    public int maxInFlight() {
        return (Integer) values.get(ConfigKey.MAX_IN_FLIGHT);
    }

    public Duration exitTimeout() {
        return (Duration) values.get(ConfigKey.EXIT_TIMEOUT);
    }

    public boolean echopostDisabled() {
        return (Boolean) values.get(ConfigKey.ECHOPOST_DISABLE);
    }

    /** An executable to run instead of the embedded EchoPost, as given; null for the embedded one. */
    public String echopostBinary() {
        return (String) values.get(ConfigKey.ECHOPOST_BINARY);
    }

    /** May contain {@code {os}} and {@code {arch}}; null when not downloading. */
    public String echopostDownloadUrl() {
        return (String) values.get(ConfigKey.ECHOPOST_DOWNLOAD_URL);
    }

    /** Lower-case hex, or null. */
    public String echopostSha256() {
        return (String) values.get(ConfigKey.ECHOPOST_SHA256);
    }

    public int echopostMaxDiskMb() {
        return (Integer) values.get(ConfigKey.ECHOPOST_MAX_DISK_MB);
    }

    /** How long to wait for a started EchoPost's socket. */
    public Duration echopostStartTimeout() {
        return (Duration) values.get(ConfigKey.ECHOPOST_START_TIMEOUT);
    }

    /** Every key's resolved value (API key masked) and source, in DESIGN.md section 6 order. */
    public List<ConfigValue> settings() {
        return Collections.unmodifiableList(new ArrayList<>(settings.values()));
    }

    /** The setting of one dotted key ({@code async.queue_size}), or null for an unknown key. */
    public ConfigValue setting(String key) {
        ConfigKey k = ConfigKey.byName(key);
        return k == null ? null : settings.get(k);
    }

    @Override
    public String toString() {
        return "AgentConfig" + settings.values();
    }
}
