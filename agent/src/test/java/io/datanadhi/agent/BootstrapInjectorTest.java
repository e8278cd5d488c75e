package io.datanadhi.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.datanadhi.bootstrap.CaptureBridge;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bootstrap classes are found by name in the agent jar, and the names are all of them. */
class BootstrapInjectorTest {

    @Test
    void theListNamesEveryClassOfTheBootstrapModule() throws Exception {
        Path location = Path.of(CaptureBridge.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> compiled = new ArrayList<>();
        if (Files.isDirectory(location)) {
            try (Stream<Path> files = Files.list(location.resolve(BootstrapInjector.BOOTSTRAP_PREFIX))) {
                files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".class"))
                        .forEach(n -> compiled.add(n.substring(0, n.length() - ".class".length())));
            }
        } else {
            try (JarFile jar = new JarFile(location.toFile())) {
                jar.stream().map(JarEntry::getName)
                        .filter(n -> n.startsWith(BootstrapInjector.BOOTSTRAP_PREFIX) && n.endsWith(".class"))
                        .forEach(n -> compiled.add(n.substring(BootstrapInjector.BOOTSTRAP_PREFIX.length(),
                                n.length() - ".class".length())));
            }
        }
        List<String> listed = new ArrayList<>(BootstrapInjector.BOOTSTRAP_CLASSES);
        Collections.sort(compiled);
        Collections.sort(listed);
        assertEquals(compiled, listed, "BootstrapInjector.BOOTSTRAP_CLASSES must name every class of the bootstrap module");
    }

    @Test
    void aJarWithoutOneOfTheNamesIsScanned(@TempDir Path dir) throws Exception {
        File jarFile = dir.resolve("other.jar").toFile();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jarFile.toPath()))) {
            for (String name : List.of("CaptureBridge", "Extra")) {
                out.putNextEntry(new JarEntry(BootstrapInjector.BOOTSTRAP_PREFIX + name + ".class"));
                out.write(name.getBytes());
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry("inst/other.classdata"));
            out.closeEntry();
        }
        try (JarFile jar = new JarFile(jarFile)) {
            Map<String, byte[]> classes = BootstrapInjector.readBootstrapClasses(jar);
            assertEquals(List.of("io.datanadhi.bootstrap.CaptureBridge", "io.datanadhi.bootstrap.Extra"),
                    new ArrayList<>(classes.keySet()));
            assertEquals("Extra", new String(classes.get("io.datanadhi.bootstrap.Extra")));
        }
    }
}
