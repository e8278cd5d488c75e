package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.echopost.EmbeddedEchoPost;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent jar carries EchoPost without carrying its dependencies twice: what it rebuilds is
 * echopost.jar, entry for entry, and it runs.
 */
class EmbeddedEchoPostTest {

    @TempDir
    Path dir;

    @Test
    void theAgentJarRebuildsEchoPostEntryForEntryAndItRuns() throws Exception {
        Path rebuilt = dir.resolve("echopost.jar");
        try (ZipFile agent = new ZipFile(Env.agentJar().toFile()); OutputStream out = Files.newOutputStream(rebuilt)) {
            EmbeddedEchoPost.reassemble(agent, out);
            assertTrue(EmbeddedEchoPost.version(agent).matches("[0-9a-f]{24}"));
        }
        assertEquals(entries(Env.echopostJar()), entries(rebuilt));

        Path echoDir = dir.resolve("echo");
        Process echo = new ProcessBuilder(Env.java(), "-jar", rebuilt.toString(), "-datanadhi", echoDir.toString(),
                "-health-url", "http://127.0.0.1:9").redirectErrorStream(true)
                .redirectOutput(dir.resolve("echo.log").toFile()).start();
        try {
            long deadline = System.currentTimeMillis() + 30_000;
            while (!Files.exists(echoDir.resolve("data-nadhi-agent.sock")) && System.currentTimeMillis() < deadline) {
                assertTrue(echo.isAlive(), Files.readString(dir.resolve("echo.log")));
                Thread.sleep(20);
            }
            assertTrue(Files.exists(echoDir.resolve("data-nadhi-agent.sock")), Files.readString(dir.resolve("echo.log")));
            echo.toHandle().destroy();
            assertTrue(echo.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, echo.exitValue(), Files.readString(dir.resolve("echo.log")));
        } finally {
            echo.destroyForcibly();
        }
    }

    /** Name to CRC-32 of every file entry. */
    private static Map<String, Long> entries(Path jar) throws Exception {
        Map<String, Long> entries = new TreeMap<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            Enumeration<? extends ZipEntry> all = zip.entries();
            while (all.hasMoreElements()) {
                ZipEntry entry = all.nextElement();
                if (!entry.isDirectory()) {
                    entries.put(entry.getName(), entry.getCrc());
                }
            }
        }
        return entries;
    }
}
