package io.datanadhi.agent.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files replaced whole, owner-only, with no temp file left behind. */
class AtomicFilesTest {

    @TempDir
    Path dir;

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }

    @Test
    void writesTheContent() throws IOException {
        Path target = dir.resolve("resolved.json");
        AtomicFiles.write(target, bytes("{\"a\":1}\n"));
        assertEquals("{\"a\":1}\n", Files.readString(target));
    }

    @Test
    void replacesTheWholeFile() throws IOException {
        Path target = dir.resolve("resolved.json");
        AtomicFiles.write(target, bytes("a much longer first version of the file\n"));
        AtomicFiles.write(target, bytes("short\n"));
        assertEquals("short\n", Files.readString(target), "nothing of the longer version remains");
        AtomicFiles.write(target, new byte[0]);
        assertEquals(0, Files.size(target));
    }

    @Test
    void fileIsOwnerOnlyEvenWhenItReplacesAWorldReadableOne() throws IOException {
        assumeTrue(posix(), "POSIX permissions");
        Path target = dir.resolve("resolved.json");
        Files.writeString(target, "old");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
        AtomicFiles.write(target, bytes("new"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
        assertEquals("new", Files.readString(target));
    }

    @Test
    void leavesNoTempFileBehind() throws IOException {
        Path target = dir.resolve("resolved.json");
        for (int i = 0; i < 5; i++) {
            AtomicFiles.write(target, bytes("version " + i));
        }
        assertEquals(List.of("resolved.json"), names(dir));
    }

    @Test
    void failedReplaceThrowsAndLeavesNoTempFile() throws IOException {
        Path target = dir.resolve("occupied");
        Files.createDirectory(target);
        Files.writeString(target.resolve("inside"), "x");
        assertThrows(IOException.class, () -> AtomicFiles.write(target, bytes("content")));
        assertEquals(List.of("occupied"), names(dir));
        assertEquals(List.of("inside"), names(target));
    }

    @Test
    void createsMissingDirectoriesOwnerOnly() throws IOException {
        assumeTrue(posix(), "POSIX permissions");
        Path target = dir.resolve("a").resolve("b").resolve("resolved.json");
        AtomicFiles.write(target, bytes("x"));
        assertEquals("x", Files.readString(target));
        assertEquals("rwx------", mode(dir.resolve("a")));
        assertEquals("rwx------", mode(dir.resolve("a").resolve("b")));
        assertEquals("rw-------", mode(target));
    }

    @Test
    void leavesAnExistingDirectorysModeAlone() throws IOException {
        assumeTrue(posix(), "POSIX permissions");
        Path existing = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rwxr-xr-x"));
        AtomicFiles.write(existing.resolve("f"), bytes("x"));
        assertEquals("rwxr-xr-x", mode(existing));
    }

    @Test
    void concurrentWritersLeaveOneWholeVersion() throws Exception {
        Path target = dir.resolve("contended.json");
        int writers = 4;
        List<byte[]> versions = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            versions.add(bytes(String.valueOf((char) ('a' + i)).repeat(100_000 + i)));
        }
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (byte[] version : versions) {
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    for (int round = 0; round < 20; round++) {
                        AtomicFiles.write(target, version);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            threads.add(t);
            t.start();
        }
        start.countDown();
        for (Thread t : threads) {
            t.join(30_000);
            assertTrue(!t.isAlive(), "writer still running after 30 s");
        }
        assertNull(failure.get());
        byte[] content = Files.readAllBytes(target);
        assertTrue(versions.stream().anyMatch(v -> java.util.Arrays.equals(v, content)),
                "the file is one writer's whole version, " + content.length + " bytes");
        assertEquals(List.of("contended.json"), names(dir));
    }

    @Test
    void durableWriteStreamsTheContentOwnerOnly() throws IOException {
        Path target = dir.resolve("dropped.jsonl");
        Files.writeString(target, "the old, longer content\n");
        AtomicFiles.writeDurably(target, out -> {
            out.write(bytes("line 1\n"));
            out.write(bytes("line 2\n"));
        });
        assertEquals("line 1\nline 2\n", Files.readString(target));
        assertEquals(List.of("dropped.jsonl"), names(dir));
        if (posix()) {
            assertEquals("rw-------", mode(target));
        }
    }

    @Test
    void failedDurableWriteLeavesTheOldContent() throws IOException {
        Path target = dir.resolve("dropped.jsonl");
        Files.writeString(target, "old\n");
        assertThrows(IOException.class, () -> AtomicFiles.writeDurably(target, out -> {
            out.write(bytes("half of the n"));
            throw new IOException("reading the source failed");
        }));
        assertEquals("old\n", Files.readString(target));
        assertEquals(List.of("dropped.jsonl"), names(dir));
    }

    @Test
    void ownerOnlyAttributesCarryThePermissions() {
        assumeTrue(posix(), "POSIX permissions");
        assertEquals(1, AtomicFiles.ownerOnly("rwx------").length);
        assertEquals(PosixFilePermissions.fromString("rw-------"), AtomicFiles.ownerOnly("rw-------")[0].value());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static List<String> names(Path directory) throws IOException {
        try (Stream<Path> s = Files.list(directory)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
