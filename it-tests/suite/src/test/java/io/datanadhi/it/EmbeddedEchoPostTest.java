package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.echopost.EmbeddedEchoPost;
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
 * The agent jar carries EchoPost without carrying its dependencies twice, and runs it as it is:
 * every entry of echopost.jar is either the agent's own (same bytes) or under
 * inst/echopost/classes, and {@code java -jar datanadhi-agent.jar echopost} serves the socket.
 */
class EmbeddedEchoPostTest {

    @TempDir
    Path dir;

    @Test
    void everyEntryOfEchoPostIsInTheAgentJarAndTheAgentJarRunsIt() throws Exception {
        Map<String, Long> agent = entries(Env.agentJar());
        for (Map.Entry<String, Long> entry : entries(Env.echopostJar()).entrySet()) {
            String name = entry.getKey();
            String hidden = name.endsWith(".class") ? name.substring(0, name.length() - 6) + ".classdata" : name;
            Long own = agent.get("inst/echopost/classes/" + hidden);
            Long shared = agent.get("inst/" + hidden);
            assertTrue(entry.getValue().equals(own) || (own == null && entry.getValue().equals(shared)),
                    name + " is not in the agent jar as EchoPost built it");
        }
        try (ZipFile zip = new ZipFile(Env.agentJar().toFile())) {
            assertTrue(EmbeddedEchoPost.version(zip).matches("[0-9a-f]{24}"));
        }

        Path echoDir = dir.resolve("echo");
        Process echo = new ProcessBuilder(Env.java(), "-jar", Env.agentJar().toString(), "echopost", "-datanadhi",
                echoDir.toString(), "-health-url", "http://127.0.0.1:9").redirectErrorStream(true)
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
            String output = Files.readString(dir.resolve("echo.log"));
            assertTrue(output.matches("(?s).*\"EchoPost [0-9]+\\.[0-9]+.*"), "says its version: " + output);
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
