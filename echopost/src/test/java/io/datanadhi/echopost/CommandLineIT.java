package io.datanadhi.echopost;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The original's command line: {@code -flag value}, {@code -flag=value}, {@code --flag} alike;
 * the key from DATANADHI_API_KEY before -api-key, and -api-key before the key clients send.
 */
class CommandLineIT {

    @TempDir
    Path dir;

    @Test
    void flagsWorkAsDashFlagEqualsValueAndAsDoubleDashFlag() throws Exception {
        try (ReplayServer server = ReplayServer.down();
                EchoPostProcess echo = EchoPostProcess.in(dir).bare()
                        .arg("--datanadhi=" + dir, "-health-url=" + server.url(), "--api-key", "flag-key-1234",
                                "-api-key-header=X-Custom-Key", "--max-disk-mb=5", "-min-free-mb", "1")
                        .startReady()) {
            Map<String, String> started = echo.eventFields("started").get(0);
            assertEquals(dir.toString(), started.get("dir"));
            assertEquals(server.url(), started.get("health_url"));
            assertEquals("5", started.get("max_disk_mb"));
            StatusClassesIT.store(echo, List.of("one", "two"));
            server.start();
            assertEquals(0, echo.awaitExit(30_000), echo.output());

            List<ReplayServer.Received> accepted = server.accepted();
            assertEquals(List.of("one", "two"), StatusClassesIT.idsOf(accepted));
            for (ReplayServer.Received received : accepted) {
                assertEquals("flag-key-1234", received.headers.get("x-custom-key"), "the -api-key, in -api-key-header");
                assertEquals(null, received.apiKey, "not in the default header as well");
            }
        }
    }

    @Test
    void datanadhiApiKeyInTheEnvironmentWinsOverTheApiKeyFlagAndTheClientsKey() throws Exception {
        assertEquals(List.of("env-key-5678"), keysReplayedWith("env-key-5678", "flag-key-1234"));
    }

    @Test
    void theApiKeyFlagWinsOverTheClientsKeyAndABlankEnvironmentIsIgnored() throws Exception {
        assertEquals(List.of("flag-key-1234"), keysReplayedWith("  ", "flag-key-1234"));
    }

    /** The keys replay sent, for records whose clients sent {@link StatusClassesIT#KEY}. */
    private List<String> keysReplayedWith(String environment, String flag) throws Exception {
        try (ReplayServer server = ReplayServer.down();
                EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url())
                        .env("DATANADHI_API_KEY", environment).arg("-api-key", flag).startReady()) {
            StatusClassesIT.store(echo, List.of("a", "b", "c"));
            server.start();
            assertEquals(0, echo.awaitExit(30_000), echo.output());
            assertEquals(3, server.accepted().size());
            return server.accepted().stream().map(r -> r.apiKey).distinct().collect(java.util.stream.Collectors.toList());
        }
    }
}
