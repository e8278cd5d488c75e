package io.datanadhi.echopost;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small file system of its own, mounted for a test (root only): a tmpfs, or ext4 on a loop
 * device, whose block allocation is what most disks do. A test that cannot mount one is skipped,
 * saying why. Unmounted (and its image deleted) on close.
 */
final class SmallDisk implements AutoCloseable {

    final Path mount;
    final String kind;
    private final Path image;
    private boolean mounted;

    private SmallDisk(Path mount, String kind, Path image) {
        this.mount = mount;
        this.kind = kind;
        this.image = image;
    }

    /** Mounts a {@code kind} ("tmpfs" or "ext4") file system of {@code megabytes} at {@code mount}. */
    static SmallDisk mount(String kind, Path mount, int megabytes) throws Exception {
        Files.createDirectories(mount);
        Path image = kind.equals("ext4") ? mount.resolveSibling(mount.getFileName() + ".img") : null;
        SmallDisk disk = new SmallDisk(mount, kind, image);
        if (image != null) {
            String made = run("truncate", "-s", megabytes + "M", image.toString());
            Assumptions.assumeTrue(made == null, () -> "cannot make a disk image: " + made);
            // -m 0: no blocks reserved for root, who runs this test and could write into them
            String formatted = run("mkfs.ext4", "-q", "-F", "-m", "0", image.toString());
            Assumptions.assumeTrue(formatted == null, () -> "cannot make an ext4 file system: " + formatted);
        }
        String problem = image != null ? run("mount", "-o", "loop", image.toString(), mount.toString())
                : run("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m,mode=0700", "tmpfs", mount.toString());
        if (problem != null) {
            disk.close();
        }
        Assumptions.assumeTrue(problem == null, () -> "cannot mount a small " + kind + " here (root only): " + problem);
        disk.mounted = true;
        if (image != null) {
            Files.deleteIfExists(mount.resolve("lost+found"));
            Files.setPosixFilePermissions(mount, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
        return disk;
    }

    long usableSpace() throws IOException {
        return Files.getFileStore(mount).getUsableSpace();
    }

    /**
     * Fills what is left with one file, to the last byte: large writes, then smaller, then one byte
     * at a time, each until the disk says no. Returns the bytes written.
     */
    long fillToTheLastByte() throws IOException {
        Path filler = mount.resolve("filler");
        long written = 0;
        try (OutputStream out = Files.newOutputStream(filler)) {
            for (int chunk : new int[] {64 * 1024, 4096, 512, 1}) {
                byte[] bytes = new byte[chunk];
                while (true) {
                    try {
                        out.write(bytes);
                        out.flush();
                        written += chunk;
                    } catch (IOException full) {
                        break;
                    }
                }
            }
        }
        return written;
    }

    /** Null when the command succeeded, else what it said. */
    static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return String.join(" ", command) + " did not finish within 60 s";
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return process.exitValue() == 0 ? null : String.join(" ", command) + ": exit " + process.exitValue() + " " + output;
    }

    @Override
    public void close() throws Exception {
        List<String> problems = new ArrayList<>();
        if (mounted) {
            String problem = run("umount", mount.toString());
            if (problem != null) {
                // something still holds it (a process the test could not stop): detach it anyway
                String lazy = run("umount", "-l", mount.toString());
                problems.add(problem + (lazy == null ? "; detached lazily" : "; " + lazy));
            }
            mounted = false;
        }
        if (image != null) {
            Files.deleteIfExists(image);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("the small disk was not unmounted cleanly: " + problems);
        }
    }
}
