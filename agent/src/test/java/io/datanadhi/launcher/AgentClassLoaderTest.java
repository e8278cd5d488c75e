package io.datanadhi.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.bootstrap.CapturedEvent;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's own class loader over a small agent-like jar: classes and resources from
 * {@code inst/} (classes stored as {@code *.classdata}), the JDK from the platform loader, and
 * nothing from the application's class path.
 */
class AgentClassLoaderTest {

    /** Stored under inst/ as .classdata: only the agent's loader can load it. */
    public static final class Hidden implements Supplier<String> {
        @Override
        public String get() {
            return "hidden";
        }
    }

    /** Stored at the jar's root as a normal .class file, like the launcher itself. */
    public static final class Outside implements Supplier<String> {
        @Override
        public String get() {
            return "outside";
        }
    }

    private static final String HIDDEN = Hidden.class.getName();
    private static final String HIDDEN_PATH = HIDDEN.replace('.', '/');
    private static final String OUTSIDE = Outside.class.getName();
    private static final String BOOTSTRAP_CLASS = CapturedEvent.class.getName();
    private static final String RESOURCE = "config/defaults.yml";
    private static final byte[] RESOURCE_BYTES = "queue_size: 10000\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private File jar;

    @BeforeEach
    void buildJar() throws IOException {
        jar = dir.resolve("agent.jar").toFile();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar.toPath()))) {
            put(out, "inst/" + HIDDEN_PATH + ".classdata", classBytes(Hidden.class));
            put(out, "inst/" + RESOURCE, RESOURCE_BYTES);
            put(out, OUTSIDE.replace('.', '/') + ".class", classBytes(Outside.class));
            put(out, BOOTSTRAP_CLASS.replace('.', '/') + ".class", classBytes(CapturedEvent.class));
            put(out, "root.txt", "at the root".getBytes(StandardCharsets.UTF_8));
        }
    }

    private ClassLoader loader(boolean bootstrapFromJar) throws Exception {
        ClassLoader loader = Launcher.agentClassLoader(jar, ClassLoader.getPlatformClassLoader(), bootstrapFromJar);
        assertSame(ClassLoader.getPlatformClassLoader(), loader.getParent());
        return loader;
    }

    @Test
    void loadsClassesFromInstClassdata() throws Exception {
        ClassLoader loader = loader(false);
        Class<?> hidden = loader.loadClass(HIDDEN);

        assertSame(loader, hidden.getClassLoader());
        assertTrue(hidden != Hidden.class, "not the test's own copy");
        @SuppressWarnings("unchecked")
        Supplier<String> instance = (Supplier<String>) hidden.getDeclaredConstructor().newInstance();
        assertEquals("hidden", instance.get());
        assertSame(hidden, loader.loadClass(HIDDEN), "defined once");
        assertEquals("io.datanadhi.launcher", hidden.getPackage().getName());
        assertEquals(jar.toURI().toURL(), hidden.getProtectionDomain().getCodeSource().getLocation());
    }

    @Test
    void classesOutsideInstAreNotFound() throws Exception {
        assertThrows(ClassNotFoundException.class, () -> loader(false).loadClass(OUTSIDE));
        assertThrows(ClassNotFoundException.class, () -> loader(true).loadClass(OUTSIDE),
                "the bootstrap fallback covers the bootstrap package only");
        assertThrows(ClassNotFoundException.class, () -> loader(false).loadClass("io.datanadhi.launcher.Missing"));
    }

    @Test
    void theJdkComesFromTheParentAndTheApplicationIsInvisible() throws Exception {
        ClassLoader loader = loader(false);
        assertSame(String.class, loader.loadClass("java.lang.String"));
        assertSame(java.sql.Connection.class, loader.loadClass("java.sql.Connection"), "platform modules too");
        assertThrows(ClassNotFoundException.class, () -> loader.loadClass(Test.class.getName()),
                "a class on the application's class path");
    }

    @Test
    void bootstrapClassesLoadFromTheJarRootOnlyWhenEnabled() throws Exception {
        assertThrows(ClassNotFoundException.class, () -> loader(false).loadClass(BOOTSTRAP_CLASS));

        ClassLoader enabled = loader(true);
        Class<?> bootstrap = enabled.loadClass(BOOTSTRAP_CLASS);
        assertSame(enabled, bootstrap.getClassLoader());
        assertTrue(bootstrap != CapturedEvent.class);
        assertEquals(HIDDEN, enabled.loadClass(HIDDEN).getName(), "inst/ still works");
    }

    @Test
    void classResourceMapsToTheClassdataEntry() throws Exception {
        ClassLoader loader = loader(false);
        URL url = loader.getResource(HIDDEN_PATH + ".class");
        assertNotNull(url);
        assertEquals("jar:" + jar.toURI().toURL() + "!/inst/" + HIDDEN_PATH + ".classdata", url.toString());
        assertArrayEquals(classBytes(Hidden.class), read(url.openStream()));
        assertArrayEquals(classBytes(Hidden.class), read(loader.getResourceAsStream(HIDDEN_PATH + ".class")));
    }

    @Test
    void resourcesComeFromInst() throws Exception {
        ClassLoader loader = loader(false);
        URL url = loader.getResource(RESOURCE);
        assertNotNull(url);
        assertTrue(url.toString().endsWith("!/inst/" + RESOURCE), url.toString());
        assertArrayEquals(RESOURCE_BYTES, read(url.openStream()));
        assertArrayEquals(RESOURCE_BYTES, read(loader.getResourceAsStream(RESOURCE)));
        assertArrayEquals(RESOURCE_BYTES, read(loader.getResourceAsStream("/" + RESOURCE)));
    }

    @Test
    void findResourcesReturnsTheInstEntry() throws Exception {
        ClassLoader loader = loader(false);
        List<URL> urls = Collections.list(loader.getResources(RESOURCE));
        assertEquals(List.of(loader.getResource(RESOURCE)), urls);
        assertEquals(List.of(), Collections.list(loader.getResources("config/missing.yml")));
    }

    @Test
    void missingAndRootResourcesAreNotFound() throws Exception {
        ClassLoader loader = loader(false);
        assertNull(loader.getResource("config/missing.yml"));
        assertNull(loader.getResourceAsStream("config/missing.yml"));
        assertNull(loader.getResource("root.txt"), "only inst/ is the agent's");
        assertNull(loader.getResourceAsStream("root.txt"));
        assertNull(loader.getResource(OUTSIDE.replace('.', '/') + ".class"));
        assertNull(loader.getResource(""));
    }

    @Test
    void jdkResourcesComeFromTheParent() throws Exception {
        ClassLoader loader = loader(false);
        URL url = loader.getResource("java/lang/Object.class");
        assertNotNull(url);
        assertEquals("jrt", url.getProtocol());
        try (InputStream in = loader.getResourceAsStream("java/lang/Object.class")) {
            assertNotNull(in);
            assertEquals(0xCAFEBABE, java.nio.ByteBuffer.wrap(in.readNBytes(4)).getInt());
        }
    }

    // ---- Helpers.

    private static void put(JarOutputStream out, String name, byte[] bytes) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(bytes);
        out.closeEntry();
    }

    private static byte[] classBytes(Class<?> type) {
        String name = type.getName();
        try (InputStream in = type.getResourceAsStream(name.substring(name.lastIndexOf('.') + 1) + ".class")) {
            assertNotNull(in, name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(InputStream in) throws IOException {
        assertNotNull(in);
        try (InputStream stream = in) {
            return stream.readAllBytes();
        }
    }

}
