package io.datanadhi.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datanadhi.agent.AgentVersion;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResolvedConfigWriterTest {
    private static final String KEY = "dn-live-0123456789abcdef";

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

    private JsonNode read(Path file) throws Exception {
        return new ObjectMapper().readTree(file.toFile());
    }

    private static List<String> names(Path directory) throws Exception {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void writesVersionTimeAndEveryKeysValueAndSourceWithTheKeyMasked() throws Exception {
        AgentConfig config = new Sources(dir)
                .env("DATANADHI_API_KEY", KEY)
                .args("async.queue_size=77")
                .configYml("log:\n  trace_id_keys: [a, b]\n")
                .resolve();
        assertTrue(ResolvedConfigWriter.write(config));

        JsonNode json = read(dir.resolve(".config.resolved.json"));
        assertEquals(AgentVersion.get(), json.path("agent_version").asText());
        Instant.parse(json.path("resolved_at").asText());
        JsonNode settings = json.path("config");
        assertEquals(ConfigKey.values().length, settings.size());
        assertEquals("****cdef", settings.path("api_key").path("value").asText());
        assertEquals("env", settings.path("api_key").path("source").asText());
        assertEquals(77, settings.path("async.queue_size").path("value").asInt());
        assertEquals("argument", settings.path("async.queue_size").path("source").asText());
        assertEquals("agent argument async.queue_size", settings.path("async.queue_size").path("source_detail").asText());
        assertTrue(settings.path("log.trace_id_keys").path("value").isArray());
        assertEquals("file", settings.path("log.trace_id_keys").path("source").asText());
        assertEquals(5, settings.path("async.exit_timeout").path("value").asInt());
        assertTrue(settings.path("echopost.disable").path("value").isBoolean());
        assertTrue(settings.path("echopost.sha256").path("value").isNull());
        assertEquals("default", settings.path("server.host").path("source").asText());
        assertFalse(Files.readString(dir.resolve(".config.resolved.json")).contains(KEY));
    }

    @Test
    void resolvedFileIsOwnerOnly() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path target = dir.resolve(".config.resolved.json");
        Files.writeString(target, "old");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));

        assertTrue(ResolvedConfigWriter.write(new Sources(dir).resolve()));

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
        assertTrue(read(target).has("config"), "replaced, not appended");
    }

    @Test
    void leavesNoTemporaryFilesBehind() throws Exception {
        ResolvedConfigWriter.write(new Sources(dir).resolve());
        ResolvedConfigWriter.write(new Sources(dir).resolve());
        assertEquals(List.of(".config.resolved.json"), names(dir));
    }

    @Test
    void createsAMissingDirectory() throws Exception {
        Path missing = dir.resolve("app/.datanadhi");
        AgentConfig config = new Sources(missing).resolve();
        assertTrue(ResolvedConfigWriter.write(config));
        assertTrue(Files.isRegularFile(missing.resolve(".config.resolved.json")));
    }

    @Test
    void unwritableLocationIsOneWarningNoExceptionAndCreatesNothing() throws Exception {
        Files.writeString(dir.resolve("a-file"), "");
        AgentConfig config = new Sources(dir.resolve("a-file/sub")).resolve();

        assertFalse(ResolvedConfigWriter.write(config));

        List<JsonNode> warnings = diagnostics.events(ConfigEvents.RESOLVED_WRITE_FAILED);
        assertEquals(1, warnings.size(), diagnostics.all());
        assertTrue(warnings.get(0).path("file").asText().endsWith(".config.resolved.json"));
        assertEquals(List.of("a-file"), names(dir));
    }

    @Test
    void readOnlyDirectoryIsOneWarningAndCreatesNothing() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        assumeFalse("root".equals(System.getProperty("user.name")), "root can write to read-only directories");
        Path readOnly = Files.createDirectory(dir.resolve("ro"));
        AgentConfig config = new Sources(readOnly).resolve();
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-x------"));
        try {
            assertFalse(ResolvedConfigWriter.write(config));
            assertEquals(1, diagnostics.events(ConfigEvents.RESOLVED_WRITE_FAILED).size(), diagnostics.all());
            assertEquals(List.of(), names(readOnly));
        } finally {
            Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("rwx------"));
        }
    }
}
