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
 * sees no JUL class loaded at all, while the agent captures and ships its Logback events.
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
                    .jvm("-Xlog:class+load=info:file=" + classLog)
                    .run();
            assertEquals(0, run.exitCode, run.toString());
            assertTrue(server.records().size() >= 4, "events shipped: " + server.records());
        }
        // The JDK's HTTP client asks for a lazy System.Logger, which loads sun.util.logging's
        // provider classes but initializes nothing of java.util.logging.
        List<String> jul = Files.readAllLines(classLog).stream()
                .filter(line -> line.contains(" java.util.logging."))
                .collect(Collectors.toList());
        assertEquals(List.of(), jul, "java.util.logging classes loaded");
    }
}
