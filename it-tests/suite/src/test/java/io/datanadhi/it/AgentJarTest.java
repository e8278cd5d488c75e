package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** The jar's layout is what keeps the agent invisible to the application. */
class AgentJarTest {

    @Test
    void onlyTheLauncherAndBootstrapClassesAreVisibleAtTheRoot() throws Exception {
        List<String> visible = new ArrayList<>();
        List<String> hidden = new ArrayList<>();
        try (JarFile jar = new JarFile(Env.agentJar().toFile())) {
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                String name = entries.nextElement().getName();
                if (name.endsWith(".class")) {
                    visible.add(name);
                } else if (name.startsWith("inst/") && name.endsWith(".classdata")) {
                    hidden.add(name);
                }
            }
        }
        for (String name : visible) {
            assertTrue(name.startsWith("io/datanadhi/launcher/") || name.startsWith("io/datanadhi/bootstrap/"),
                    "class visible to the application: " + name);
        }
        assertTrue(visible.contains("io/datanadhi/launcher/AgentLauncher.class"));
        assertTrue(visible.contains("io/datanadhi/bootstrap/CaptureBridge.class"));
        assertTrue(hidden.contains("inst/io/datanadhi/agent/Agent.classdata"));
        assertTrue(hidden.contains("inst/net/bytebuddy/jar/asm/ClassReader.classdata"), "ByteBuddy's ASM");
        assertTrue(hidden.contains("inst/com/fasterxml/jackson/databind/ObjectMapper.classdata"));
        assertTrue(hidden.contains("inst/com/google/protobuf/Message.classdata"));
        assertTrue(hidden.stream().anyMatch(n -> n.startsWith("inst/io/grpc/netty/shaded/")));
    }

    @Test
    void manifestDeclaresTheAgentAndTheTools() throws Exception {
        try (JarFile jar = new JarFile(Env.agentJar().toFile())) {
            Attributes main = jar.getManifest().getMainAttributes();
            assertEquals("io.datanadhi.launcher.AgentLauncher", main.getValue("Premain-Class"));
            assertEquals("io.datanadhi.launcher.AgentLauncher", main.getValue("Agent-Class"));
            assertEquals("io.datanadhi.launcher.AgentLauncher", main.getValue("Main-Class"));
            assertEquals("true", main.getValue("Can-Retransform-Classes"));
            assertTrue(main.getValue("Implementation-Version").matches("\\d+\\.\\d+\\.\\d+.*"));
        }
    }

    @Test
    void launcherIsJava8BytecodeSoOldJvmsReachTheVersionCheck() throws Exception {
        try (JarFile jar = new JarFile(Env.agentJar().toFile());
                InputStream in = jar.getInputStream(jar.getJarEntry("io/datanadhi/launcher/AgentLauncher.class"))) {
            DataInputStream data = new DataInputStream(in);
            assertEquals(0xCAFEBABE, data.readInt());
            data.readUnsignedShort();
            assertEquals(52, data.readUnsignedShort(), "class file major version");
        }
    }

    @Test
    void jarStaysUnderTwentyMegabytes() throws Exception {
        long size = Files.size(Env.agentJar());
        assertTrue(size < 20L * 1024 * 1024, "datanadhi-agent.jar is " + size + " bytes");
    }

    @Test
    void versionCommandPrintsTheVersion() throws Exception {
        Process process = new ProcessBuilder(Env.java(), "-jar", Env.agentJar().toString(), "version")
                .redirectErrorStream(true).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        String out = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.exitValue(), out);
        assertTrue(out.startsWith("datanadhi-agent "), out);
    }
}
