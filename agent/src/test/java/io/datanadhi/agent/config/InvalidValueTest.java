package io.datanadhi.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class InvalidValueTest {
    @TempDir
    Path dir;

    private DiagnosticsCapture diagnostics;

    @BeforeEach
    void capture() {
        diagnostics = new DiagnosticsCapture();
    }

    @AfterEach
    void restore() {
        diagnostics.close();
    }

    /** where: env | property | argument | file; name: variable, property or dotted key; file: a YAML document. */
    static Stream<Arguments> badValues() {
        return Stream.of(
                bad("env", "DATANADHI_QUEUE_SIZE", "abc", "async.queue_size", "10000"),
                bad("env", "DATANADHI_MAX_IN_FLIGHT", "0", "async.max_in_flight", "256"),
                bad("property", "datanadhi.async.max_in_flight", "4097", "async.max_in_flight", "256"),
                bad("env", "DATANADHI_SERVER_TIMEOUT", "0", "server.timeout", "5"),
                bad("argument", "server.timeout", "5s", "server.timeout", "5"),
                bad("env", "DATANADHI_TLS_TRUST_STORE_TYPE", "P12", "server.tls.trust_store_type", null),
                bad("property", "datanadhi.async.queue_size", "0", "async.queue_size", "10000"),
                bad("argument", "async.queue_size", "10000001", "async.queue_size", "10000"),
                bad("file", "async:\n  workers: 65\n", "65", "async.workers", "2"),
                bad("env", "DATANADHI_WORKERS", "1.5", "async.workers", "2"),
                bad("env", "DATANADHI_EXIT_TIMEOUT", "-1", "async.exit_timeout", "5"),
                bad("property", "datanadhi.async.exit_timeout", "3601", "async.exit_timeout", "5"),
                bad("env", "DATANADHI_ECHOPOST_START_TIMEOUT", "61", "echopost.start_timeout", "2"),
                bad("env", "DATANADHI_ECHOPOST_MAX_DISK_MB", "0", "echopost.max_disk_mb", "1024"),
                bad("env", "DATANADHI_MAX_MESSAGE_BYTES", "32k", "log.max_message_bytes", "32768"),
                bad("argument", "log.max_message_bytes", "63", "log.max_message_bytes", "32768"),
                bad("property", "datanadhi.log.max_stacktrace_bytes", "-1", "log.max_stacktrace_bytes", "65536"),
                bad("file", "log:\n  max_stacktrace_bytes: 67108865\n", "67108865", "log.max_stacktrace_bytes", "65536"),
                bad("env", "DATANADHI_ECHOPOST_DISABLE", "maybe", "echopost.disable", "false"),
                bad("env", "DATANADHI_LOG_CALLER", "sometimes", "log.caller", "true"),
                bad("env", "DATANADHI_LOG_LEVEL", "LOUD", "log.level", "INFO"),
                bad("argument", "log.datanadhi_log_level", "chatty", "log.datanadhi_log_level", "INFO"),
                bad("env", "DATANADHI_AGENT_LOG_LEVEL", "verbose", "log.datanadhi_log_level", "INFO"),
                bad("env", "DATANADHI_SERVER_HOST", "ftp://h.example.com", "server.host", "http://data-nadhi-server:5000"),
                bad("env", "DATANADHI_SERVER_HOST", "data-nadhi-server:5000", "server.host", "http://data-nadhi-server:5000"),
                bad("env", "DATANADHI_SERVER_HOST", "http://h/log?x=1", "server.host", "http://data-nadhi-server:5000"),
                bad("env", "DATANADHI_SERVER_HOST", "http://127.0.0.1:", "server.host", "http://data-nadhi-server:5000"),
                bad("property", "datanadhi.server.fallback_host", "http://", "server.fallback_host",
                        "http://datanadhi-fallback-server:5001"),
                bad("file", "server:\n  host: 12\n", "12", "server.host", "http://data-nadhi-server:5000"),
                bad("env", "DATANADHI_API_KEY_HEADER", "x api key", "server.api_key_header", "x-datanadhi-api-key"),
                bad("env", "DATANADHI_ECHOPOST_SHA256", "xyz", "echopost.sha256", null),
                bad("env", "DATANADHI_ECHOPOST_SHA256", "a".repeat(63), "echopost.sha256", null),
                bad("env", "DATANADHI_ECHOPOST_SHA256", "a".repeat(63) + "g", "echopost.sha256", null),
                bad("env", "DATANADHI_API_KEY_HEADER", "x-key:", "server.api_key_header", "x-datanadhi-api-key"),
                bad("env", "DATANADHI_API_KEY_HEADER", "x-kéy", "server.api_key_header", "x-datanadhi-api-key"),
                bad("env", "DATANADHI_WORKERS", "+", "async.workers", "2"),
                bad("env", "DATANADHI_WORKERS", "++2", "async.workers", "2"),
                bad("env", "DATANADHI_WORKERS", "2+", "async.workers", "2"),
                bad("env", "DATANADHI_WORKERS", "٣", "async.workers", "2"),
                bad("env", "DATANADHI_ECHOPOST_URL", "file:///tmp/echopost", "echopost.download_url", null),
                bad("argument", "log.trace_id_keys", ",", "log.trace_id_keys", "trace_id, trace.id, dd.trace_id, traceId"),
                bad("file", "log:\n  trace_id_keys: [[a], b]\n", "[[\"a\"],\"b\"]", "log.trace_id_keys",
                        "trace_id, trace.id, dd.trace_id, traceId"),
                bad("argument", "log.span_id_keys", ",", "log.span_id_keys", "span_id, span.id, dd.span_id, spanId"),
                bad("file", "async:\n  queue_size: [1, 2]\n", "1, 2", "async.queue_size", "10000"),
                bad("env", "DATANADHI_MODULE_NAME", "two\nlines", "module_name", "com.acme.Main"),
                bad("env", "DATANADHI_ECHOPOST_BINARY", "bad\u0000path", "echopost.binary", null));
    }

    private static Arguments bad(String where, String name, String value, String key, String expectedDefault) {
        return Arguments.of(where, name, value, key, expectedDefault);
    }

    @ParameterizedTest(name = "{0} {1}={2}")
    @MethodSource("badValues")
    void badValueGivesExactlyOneWarningNamingSourceKeyAndValueAndTheDefaultIsUsed(
            String where, String name, String value, String key, String expectedDefault) {
        Sources sources = new Sources(dir);
        String source;
        switch (where) {
            case "env":
                sources.env(name, value);
                source = "env " + name;
                break;
            case "property":
                sources.property(name, value);
                source = "property " + name;
                break;
            case "argument":
                sources.args(name + "=" + value);
                source = "agent argument " + name;
                break;
            default:
                sources.configYml(name);
                source = "file " + dir.resolve("config.yml");
        }
        AgentConfig config = sources.resolve();

        List<JsonNode> configWarnings = diagnostics.events().stream()
                .filter(e -> e.path("event").asText().startsWith("config_"))
                .collect(Collectors.toList());
        assertEquals(1, configWarnings.size(), diagnostics.all());
        JsonNode warning = configWarnings.get(0);
        assertEquals(ConfigEvents.INVALID_VALUE, warning.path("event").asText());
        assertEquals("WARN", warning.path("level").asText());
        assertEquals(source, warning.path("source").asText());
        assertEquals(key, warning.path("key").asText());
        assertEquals(value, warning.path("value").asText());
        String message = warning.path("message").asText();
        assertTrue(message.contains("using the default " + (expectedDefault == null ? "(none)" : expectedDefault)),
                message);

        ConfigValue setting = config.setting(key);
        assertEquals(SourceKind.DEFAULT, setting.source());
        assertEquals(expectedDefault, setting.value());
        assertTrue(setting.sourceDetail().contains(source), setting.sourceDetail());
    }

    @Test
    void badWinningValueFallsBackToTheDefaultNotToALowerSource() {
        AgentConfig config = new Sources(dir)
                .env("DATANADHI_QUEUE_SIZE", "abc")
                .configYml("async:\n  queue_size: 50\n")
                .resolve();
        assertEquals(10000, config.queueSize());
        assertEquals(1, diagnostics.events(ConfigEvents.INVALID_VALUE).size(), diagnostics.all());
    }

    @Test
    void badValueInAnOverriddenSourceIsReportedAsIgnored() {
        AgentConfig config = new Sources(dir)
                .env("DATANADHI_QUEUE_SIZE", "50")
                .configYml("async:\n  queue_size: lots\n")
                .resolve();
        assertEquals(50, config.queueSize());
        List<JsonNode> warnings = diagnostics.events(ConfigEvents.INVALID_VALUE);
        assertEquals(1, warnings.size(), diagnostics.all());
        assertTrue(warnings.get(0).path("message").asText().contains("ignored; env DATANADHI_QUEUE_SIZE takes precedence"),
                warnings.get(0).toString());
    }

    @Test
    void veryLongBadValueIsShortenedInTheWarning() {
        new Sources(dir).env("DATANADHI_WORKERS", "9".repeat(5000)).resolve();
        JsonNode warning = diagnostics.events(ConfigEvents.INVALID_VALUE).get(0);
        assertTrue(warning.path("value").asText().length() < 300, warning.toString());
    }
}
