package io.datanadhi.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.record.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigPrecedenceTest {
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

    private Sources allFiveSourcesForHostQueueAndLevel() {
        return new Sources(dir)
                .args("server.host=http://arg:1;async.queue_size=11;log.level=debug")
                .property("datanadhi.server.host", "http://prop:2")
                .property("datanadhi.async.queue_size", "22")
                .property("datanadhi.log.level", "warning")
                .env("DATANADHI_SERVER_HOST", "http://env:3")
                .env("DATANADHI_QUEUE_SIZE", "33")
                .env("DATANADHI_LOG_LEVEL", "error")
                .configYml("server:\n  host: http://file:4\nasync:\n  queue_size: 44\nlog:\n  level: critical\n");
    }

    @Test
    void agentArgumentsBeatEverySource() {
        AgentConfig config = allFiveSourcesForHostQueueAndLevel().resolve();
        assertEquals("http://arg:1", config.serverHost());
        assertEquals(11, config.queueSize());
        assertEquals(Level.DEBUG, config.logLevel());
        assertEquals(SourceKind.ARGUMENT, config.setting("server.host").source());
        assertEquals("agent argument server.host", config.setting("server.host").sourceDetail());
    }

    @Test
    void systemPropertiesBeatEnvironmentFileAndDefaults() {
        AgentConfig config = allFiveSourcesForHostQueueAndLevel().args(null).resolve();
        assertEquals("http://prop:2", config.serverHost());
        assertEquals(22, config.queueSize());
        assertEquals(Level.WARNING, config.logLevel());
        assertEquals("property datanadhi.async.queue_size", config.setting("async.queue_size").sourceDetail());
    }

    @Test
    void environmentBeatsFileAndDefaults() {
        Sources sources = allFiveSourcesForHostQueueAndLevel().args(null);
        sources.properties.clear();
        AgentConfig config = sources.resolve();
        assertEquals("http://env:3", config.serverHost());
        assertEquals(33, config.queueSize());
        assertEquals(Level.ERROR, config.logLevel());
        assertEquals(SourceKind.ENV, config.setting("log.level").source());
        assertEquals("env DATANADHI_LOG_LEVEL", config.setting("log.level").sourceDetail());
    }

    @Test
    void fileBeatsDefaults() {
        Sources sources = allFiveSourcesForHostQueueAndLevel().args(null);
        sources.properties.clear();
        sources.env.keySet().removeIf(name -> !name.equals("DATANADHI_DIR"));
        AgentConfig config = sources.resolve();
        assertEquals("http://file:4", config.serverHost());
        assertEquals(44, config.queueSize());
        assertEquals(Level.CRITICAL, config.logLevel());
        assertEquals(SourceKind.FILE, config.setting("server.host").source());
        assertEquals("file " + dir.resolve("config.yml"), config.setting("server.host").sourceDetail());
    }

    @Test
    void everyKeyHasItsDocumentedDefault() {
        AgentConfig config = new Sources(dir).resolve();
        assertNull(config.apiKey());
        assertEquals("http://data-nadhi-server:5000", config.serverHost());
        assertEquals("http://datanadhi-fallback-server:5001", config.fallbackHost());
        assertEquals("x-datanadhi-api-key", config.apiKeyHeader());
        assertEquals("com.acme.Main", config.moduleName());
        assertEquals(Level.INFO, config.logLevel());
        assertEquals(Diagnostics.Level.INFO, config.agentLogLevel());
        assertEquals(List.of("trace_id", "trace.id", "dd.trace_id", "traceId"), config.traceIdKeys());
        assertEquals(List.of("span_id", "span.id", "dd.span_id", "spanId"), config.spanIdKeys());
        assertEquals(10000, config.queueSize());
        assertEquals(2, config.workers());
        assertEquals(Duration.ofSeconds(5), config.exitTimeout());
        assertFalse(config.echopostDisabled());
        assertNull(config.echopostBinary());
        assertNull(config.echopostDownloadUrl());
        assertNull(config.echopostSha256());
        assertEquals(1024, config.echopostMaxDiskMb());
        assertEquals(Duration.ofSeconds(2), config.echopostStartTimeout());
        for (ConfigValue setting : config.settings()) {
            if (!setting.key().equals("dir")) {
                assertEquals(SourceKind.DEFAULT, setting.source(), setting.key());
            }
        }
    }

    @Test
    void dirDefaultsToDotDatanadhiInTheWorkingDirectory() {
        Sources sources = new Sources(dir);
        sources.env.remove("DATANADHI_DIR");
        AgentConfig config = sources.resolve();
        assertEquals(Path.of(".datanadhi").toAbsolutePath().normalize(), config.dir());
        assertEquals(SourceKind.DEFAULT, config.setting("dir").source());
    }

    @Test
    void dirIsMadeAbsoluteAndNormalized() {
        Path relative = Path.of("").toAbsolutePath().relativize(dir.resolve("a/../b"));
        AgentConfig config = new Sources(dir).args("dir=" + relative).resolve();
        assertEquals(dir.resolve("b").toAbsolutePath().normalize(), config.dir());
        assertTrue(config.dir().isAbsolute());
    }

    @Test
    void dirFromAPropertyLocatesTheConfigFile(@TempDir Path other) {
        new Sources(other).configYml("async:\n  workers: 7\n");
        AgentConfig config = new Sources(dir).property("datanadhi.dir", other.toString()).resolve();
        assertEquals(other.toAbsolutePath().normalize(), config.dir());
        assertEquals(7, config.workers());
    }

    @Test
    void everyKeyHasAFileSpelling() {
        AgentConfig config = new Sources(dir).configYml(String.join("\n",
                "server:",
                "  host: https://ingest.example.com/",
                "  fallback_host: https://fallback.example.com",
                "  api_key_header: X-Api-Key",
                "module_name: orders",
                "log:",
                "  level: warn",
                "  datanadhi_log_level: debug",
                "  trace_id_keys: [traceparent, x-request-id]",
                "  max_message_bytes: 1000",
                "  max_stacktrace_bytes: 2000",
                "async:",
                "  queue_size: 100",
                "  workers: +4",
                "  exit_timeout: 0",
                "echopost:",
                "  disable: yes",
                "  binary: /usr/local/bin/echopost",
                "  download_url: https://downloads.example.com/echopost/{os}/{arch}/echopost",
                "  sha256: " + "AB".repeat(32),
                "  max_disk_mb: 50",
                "  start_timeout: 10",
                "")).resolve();
        assertEquals("https://ingest.example.com", config.serverHost());
        assertEquals("https://fallback.example.com", config.fallbackHost());
        assertEquals("X-Api-Key", config.apiKeyHeader());
        assertEquals("orders", config.moduleName());
        assertEquals(Level.WARNING, config.logLevel());
        assertEquals(Diagnostics.Level.DEBUG, config.agentLogLevel());
        assertEquals(List.of("traceparent", "x-request-id"), config.traceIdKeys());
        assertEquals(1000, config.maxMessageBytes());
        assertEquals(2000, config.maxStackTraceBytes());
        assertEquals(100, config.queueSize());
        assertEquals(4, config.workers());
        assertEquals(Duration.ZERO, config.exitTimeout());
        assertTrue(config.echopostDisabled());
        assertEquals("/usr/local/bin/echopost", config.echopostBinary());
        assertEquals("https://downloads.example.com/echopost/{os}/{arch}/echopost", config.echopostDownloadUrl());
        assertEquals("ab".repeat(32), config.echopostSha256());
        assertEquals(50, config.echopostMaxDiskMb());
        assertEquals(Duration.ofSeconds(10), config.echopostStartTimeout());
        assertTrue(diagnostics.events().stream().noneMatch(e -> e.path("event").asText().startsWith("config_")),
                diagnostics.all());
    }

    @Test
    void everyKeyHasAnEnvironmentSpelling() {
        AgentConfig config = new Sources(dir)
                .env("DATANADHI_FALLBACK_SERVER_HOST", "http://fb:1")
                .env("DATANADHI_API_KEY_HEADER", "x-key")
                .env("DATANADHI_MODULE_NAME", "svc")
                .env("DATANADHI_AGENT_LOG_LEVEL", "error")
                .env("DATANADHI_MAX_MESSAGE_BYTES", "4096")
                .env("DATANADHI_MAX_STACKTRACE_BYTES", "8192")
                .env("DATANADHI_WORKERS", "3")
                .env("DATANADHI_EXIT_TIMEOUT", "9")
                .env("DATANADHI_ECHOPOST_DISABLE", "TRUE")
                .env("DATANADHI_ECHOPOST_BINARY", "/bin/ep")
                .env("DATANADHI_ECHOPOST_URL", "http://dl/{os}")
                .env("DATANADHI_ECHOPOST_SHA256", "0".repeat(64))
                .env("DATANADHI_ECHOPOST_MAX_DISK_MB", "5")
                .env("DATANADHI_ECHOPOST_START_TIMEOUT", "0")
                .resolve();
        assertEquals("http://fb:1", config.fallbackHost());
        assertEquals("x-key", config.apiKeyHeader());
        assertEquals("svc", config.moduleName());
        assertEquals(Diagnostics.Level.ERROR, config.agentLogLevel());
        assertEquals(4096, config.maxMessageBytes());
        assertEquals(8192, config.maxStackTraceBytes());
        assertEquals(3, config.workers());
        assertEquals(Duration.ofSeconds(9), config.exitTimeout());
        assertTrue(config.echopostDisabled());
        assertEquals("/bin/ep", config.echopostBinary());
        assertEquals("http://dl/{os}", config.echopostDownloadUrl());
        assertEquals("0".repeat(64), config.echopostSha256());
        assertEquals(5, config.echopostMaxDiskMb());
        assertEquals(Duration.ZERO, config.echopostStartTimeout());
    }

    @Test
    void sizeCapsComeFromEverySourceInPrecedenceOrderAndDefaultTo32And64Kib() {
        AgentConfig defaults = new Sources(dir).resolve();
        assertEquals(32768, defaults.maxMessageBytes());
        assertEquals(65536, defaults.maxStackTraceBytes());
        assertEquals(SourceKind.DEFAULT, defaults.setting("log.max_message_bytes").source());

        Sources sources = new Sources(dir)
                .args("log.max_message_bytes=1001;log.max_stacktrace_bytes=2001")
                .property("datanadhi.log.max_message_bytes", "1002")
                .property("datanadhi.log.max_stacktrace_bytes", "2002")
                .env("DATANADHI_MAX_MESSAGE_BYTES", "1003")
                .env("DATANADHI_MAX_STACKTRACE_BYTES", "2003")
                .configYml("log:\n  max_message_bytes: 1004\n  max_stacktrace_bytes: 2004\n");
        assertEquals(List.of(1001, 2001), caps(sources.resolve()));
        assertEquals(List.of(1002, 2002), caps(sources.args(null).resolve()));
        sources.properties.clear();
        assertEquals(List.of(1003, 2003), caps(sources.resolve()));
        sources.env.remove("DATANADHI_MAX_MESSAGE_BYTES");
        sources.env.remove("DATANADHI_MAX_STACKTRACE_BYTES");
        assertEquals(List.of(1004, 2004), caps(sources.resolve()));
        assertEquals("env DATANADHI_MAX_STACKTRACE_BYTES", new Sources(dir)
                .env("DATANADHI_MAX_STACKTRACE_BYTES", "100").resolve().setting("log.max_stacktrace_bytes").sourceDetail());
    }

    private static List<Integer> caps(AgentConfig config) {
        return List.of(config.maxMessageBytes(), config.maxStackTraceBytes());
    }

    @Test
    void traceIdKeysAcceptACommaSeparatedStringInArgumentsAndProperties() {
        assertEquals(List.of("a", "b"), new Sources(dir).args("log.trace_id_keys= a , b ,").resolve().traceIdKeys());
        assertEquals(List.of("x", "y"),
                new Sources(dir).property("datanadhi.log.trace_id_keys", "x,y").resolve().traceIdKeys());
    }

    @Test
    void booleansAcceptTrueFalseYesNoOneZeroInAnyCase() {
        for (String yes : List.of("true", "TRUE", "Yes", "1")) {
            assertTrue(new Sources(dir).env("DATANADHI_ECHOPOST_DISABLE", yes).resolve().echopostDisabled(), yes);
        }
        for (String no : List.of("false", "False", "NO", "0")) {
            assertFalse(new Sources(dir).env("DATANADHI_ECHOPOST_DISABLE", no).resolve().echopostDisabled(), no);
        }
    }

    @Test
    void hostsLoseTheirTrailingSlash() {
        AgentConfig config = new Sources(dir).env("DATANADHI_SERVER_HOST", "https://h.example.com:8443/base//").resolve();
        assertEquals("https://h.example.com:8443/base", config.serverHost());
    }

    @Test
    void blankValuesCountAsNotGiven() {
        AgentConfig config = new Sources(dir)
                .args("async.workers=")
                .env("DATANADHI_WORKERS", "  ")
                .configYml("async:\n  workers: 5\n")
                .resolve();
        assertEquals(5, config.workers());
        assertTrue(diagnostics.events(ConfigEvents.INVALID_VALUE).isEmpty(), diagnostics.all());
    }

    @Test
    void agentLogLevelFromTheFileAppliesToEveryConfigurationWarning() {
        new Sources(dir).configYml("log:\n  datanadhi_log_level: error\n")
                .env("DATANADHI_QUEUE_SIZE", "lots")
                .resolve();
        assertEquals(Diagnostics.Level.ERROR, Diagnostics.threshold());
        assertEquals(1, diagnostics.events(ConfigEvents.INVALID_VALUE).size(), "the listener sees it");
        assertEquals("", diagnostics.printedText(), "but it is below the threshold, so not printed");
    }

    @Test
    void warningsArePrintedAtTheDefaultAgentLogLevel() {
        new Sources(dir).env("DATANADHI_QUEUE_SIZE", "lots").resolve();
        assertEquals(Diagnostics.Level.INFO, Diagnostics.threshold());
        assertTrue(diagnostics.printedText().contains(ConfigEvents.INVALID_VALUE), diagnostics.printedText());
    }

    @Test
    void unexpectedFailureFallsBackToDefaultsWithOneWarningInsteadOfThrowing() {
        Sources sources = new Sources(dir).env("DATANADHI_WORKERS", "7");
        sources.properties.put(null, "a property map no JVM would give"); // makes resolution fail
        AgentConfig config = sources.resolve();
        assertEquals(2, config.workers());
        assertEquals("default (resolution failed)", config.setting("async.workers").sourceDetail());
        assertEquals(1, diagnostics.events().size(), diagnostics.all());
        assertEquals(ConfigEvents.RESOLUTION_FAILED, diagnostics.events().get(0).path("event").asText());
    }

    @Test
    void resolvingForThisJvmReadsItsDatanadhiProperties() {
        System.setProperty("datanadhi.async.workers", "11");
        try {
            AgentConfig config = ConfigResolver.resolveForThisJvm("dir=" + dir);
            assertEquals(11, config.workers());
            assertEquals("property datanadhi.async.workers", config.setting("async.workers").sourceDetail());
        } finally {
            System.clearProperty("datanadhi.async.workers");
        }
    }

    @Test
    void settingsListEveryKeyInDesignOrder() {
        AgentConfig config = new Sources(dir).resolve();
        assertEquals(ConfigKey.values().length, config.settings().size());
        assertEquals("dir", config.settings().get(0).key());
        assertEquals("echopost.start_timeout", config.settings().get(config.settings().size() - 1).key());
        assertNull(config.setting("no.such.key"));
    }
}
