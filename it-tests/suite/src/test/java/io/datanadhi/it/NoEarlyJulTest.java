package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent never touches java.util.logging on its own: an application server that installs its
 * own LogManager after the agent started must still get it. An application that does not use JUL
 * sees no JUL class initialized, while the agent captures and ships its Logback events.
 *
 * <p>Initialized, not loaded: on JDK 24 and later, Netty (under the agent's HTTP client) runs
 * without {@code sun.misc.Unsafe} and reads the JVM's arguments through {@code ManagementFactory}
 * for the direct-memory limit, and the JDK's management code looks up (loads without
 * initializing) {@code java.util.logging.LogManager} to see whether logging is there. What an
 * application server depends on, the LogManager's static initializer reading
 * {@code java.util.logging.manager}, does not run.
 */
class NoEarlyJulTest {

    @TempDir
    Path dir;

    @Test
    void theAgentLoadsNoJulClassForAnApplicationThatDoesNotUseJul() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        Path classLog = dir.resolve("classes.log");
        try (IngestServer server = new IngestServer()) {
            AppRun.Result run = AppRun.logback("basic").shippingTo(server, dir)
                    .jvm("-Xlog:class+init=info:file=" + classLog)
                    .run();
            assertEquals(0, run.exitCode, run.toString());
            assertTrue(server.records().size() >= 4, "events shipped: " + server.records());
        }
        List<String> lines = Files.readAllLines(classLog);
        assertTrue(lines.stream().anyMatch(line -> line.contains("Initializing 'ch/qos/logback/")),
                "the log shows initializations: " + lines.size() + " lines");
        List<String> jul = lines.stream()
                .filter(line -> line.contains("Initializing 'java/util/logging/"))
                .collect(Collectors.toList());
        assertEquals(List.of(), jul, "java.util.logging classes initialized");
    }
}
