package io.datanadhi.agent.echopost;

import io.datanadhi.agent.files.ProcessId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipFile;

/**
 * Puts an EchoPost executable at {@code <dir>/echopost/echopost} (mode 0755, written to a temp file
 * and renamed): the one embedded in the agent jar, a launcher that runs a copy of the agent jar
 * beside it (so it also runs by hand), both replaced unless they are exactly what this agent
 * carries; or one downloaded from {@code echopost.download_url} and verified against
 * {@code echopost.sha256} before it is made executable. {@code echopost.binary} names an
 * executable to use as it is.
 */
public final class EchoPostInstaller {

    public static final String FILE_NAME = "echopost";
    static final String VERSION_MARKER = "# datanadhi-echopost-version: ";
    static final String JAR_MARKER = "# datanadhi-echopost-jar: ";
    /** The agent jar's command that runs the EchoPost it carries. */
    static final String EMBEDDED_COMMAND = "echopost";
    private static final long MAX_DOWNLOAD_BYTES = 256L * 1024 * 1024;
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    /** EchoPost cannot be used in this run; the message says why. */
    public static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        /** True when a later attempt may succeed (a slow start), false when it cannot. */
        public final boolean thisAttemptOnly;

        public Unavailable(String message) {
            this(message, false);
        }

        public Unavailable(String message, boolean thisAttemptOnly) {
            super(message);
            this.thisAttemptOnly = thisAttemptOnly;
        }
    }

    /** An executable ready to start. */
    public static final class Installed {
        public final Path path;
        /** A jar (ours, with or without its launcher): started with the application's own java. */
        public final boolean jar;
        /** What follows {@code java <flags>} to run it, when {@link #jar}. */
        public final List<String> javaArgs;
        public final String description;

        Installed(Path path, boolean jar, String description) {
            this(path, jar, jar ? List.of("-jar", path.toString()) : List.of(), description);
        }

        Installed(Path path, boolean jar, List<String> javaArgs, String description) {
            this.path = path;
            this.jar = jar;
            this.javaArgs = javaArgs;
            this.description = description;
        }
    }

    private final Path dir;
    private final Path agentJar;
    private final String binary;
    private final String downloadUrl;
    private final String sha256;
    private final Platform platform;
    /**
     * The agent jar, opened when the agent starts: what EchoPost is copied from and checked
     * against, also after an upgrade replaced or deleted the file the application started with.
     */
    private final FileChannel agentJarContent;
    /** The agent jar's identity when it was opened: a hard link to it holds the same bytes. */
    private final Object agentJarKey;
    private String embeddedVersion;

    /**
     * @param dir {@code <datanadhi dir>/echopost}
     * @param agentJar the agent jar, which carries the embedded EchoPost (may be null: no embedded one)
     */
    public EchoPostInstaller(Path dir, Path agentJar, String binary, String downloadUrl, String sha256,
            Platform platform) {
        this.dir = dir;
        this.agentJar = agentJar;
        this.binary = binary;
        this.downloadUrl = downloadUrl;
        this.sha256 = sha256 == null ? null : sha256.toLowerCase(Locale.ROOT);
        this.platform = platform;
        this.agentJarContent = binary == null && downloadUrl == null ? openQuietly(agentJar) : null;
        this.agentJarKey = agentJarContent == null ? null : fileKey(agentJar);
    }

    /** The file's identity (device and inode), or null. */
    private static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static FileChannel openQuietly(Path file) {
        if (file == null) {
            return null;
        }
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException | RuntimeException e) {
            return null; // install() says why, if EchoPost is ever needed
        }
    }

    public Installed install() throws Unavailable {
        try {
            createDirectory(dir); // its socket, store and lock live there whichever EchoPost runs
        } catch (IOException e) {
            throw new Unavailable("cannot create " + dir + ": " + e, true);
        }
        if (binary != null) {
            Path path = Path.of(binary).toAbsolutePath();
            if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
                throw new Unavailable("echopost.binary " + path + " is not an executable file");
            }
            return existing(path, "the configured binary " + path);
        }
        if (platform == null) {
            throw new Unavailable("EchoPost has no build for " + System.getProperty("os.name") + "/"
                    + System.getProperty("os.arch") + " (supported: linux and darwin on amd64 and arm64)");
        }
        return downloadUrl != null ? download() : embedded();
    }

    /**
     * The embedded EchoPost: a copy of the agent jar, {@code echopost-<version>.jar}, beside the
     * launcher that runs it, {@code echopost}. Copying the file costs tens of milliseconds where
     * rebuilding EchoPost's jar cost seconds; the copy keeps EchoPost independent of the agent
     * jar's path (an upgrade may replace or delete it). Both files are compared, byte for byte,
     * with what this agent would write: anything else (another version, a damaged or tampered
     * file) is replaced, atomically, before anything is run.
     */
    private Installed embedded() throws Unavailable {
        if (agentJar == null) {
            throw new Unavailable("no agent jar to take the embedded EchoPost from");
        }
        if (agentJarContent == null || !agentJarContent.isOpen()) {
            throw new Unavailable("cannot read the agent jar " + agentJar + ", which carries EchoPost");
        }
        Path launcher = dir.resolve(FILE_NAME);
        try {
            String version = embeddedVersion();
            String jarName = "echopost-" + version + ".jar";
            Path jar = dir.resolve(jarName);
            boolean installedNow = false;
            if (!isAgentJar(jar)) {
                Path temp = tempFile();
                try {
                    if (!link(temp)) {
                        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE,
                                StandardOpenOption.TRUNCATE_EXISTING)) {
                            long size = agentJarContent.size();
                            for (long at = 0; at < size; ) {
                                at += agentJarContent.transferTo(at, size - at, out);
                            }
                        }
                    }
                    moveInto(temp, jar);
                } finally {
                    Files.deleteIfExists(temp);
                }
                installedNow = true;
            }
            byte[] script = launcher(version, jarName).getBytes(StandardCharsets.UTF_8);
            if (!sameContent(launcher, script)) {
                Path temp = tempFile();
                try {
                    Files.write(temp, script, StandardOpenOption.TRUNCATE_EXISTING);
                    makeExecutable(temp);
                    moveInto(temp, launcher);
                } finally {
                    Files.deleteIfExists(temp);
                }
                installedNow = true;
            }
            if (installedNow) {
                removeOtherVersions(jarName);
            }
            return new Installed(jar, true, List.of("-jar", jar.toString(), EMBEDDED_COMMAND),
                    "the embedded EchoPost " + version + (installedNow ? ", installed now" : ""));
        } catch (IOException e) {
            throw new Unavailable("cannot install the embedded EchoPost at " + launcher + ": " + e.getMessage(), true);
        }
    }

    /**
     * The copy holds exactly the agent jar's bytes: it is a hard link to the very file the agent
     * opened (nothing to read), or a copy that compares equal.
     */
    private boolean isAgentJar(Path copy) {
        Object key = fileKey(copy);
        return (key != null && key.equals(agentJarKey)) || sameContent(copy, agentJarContent);
    }

    /**
     * A hard link to the agent jar in place of a copy, where the agent jar is still the file it
     * opened and on the same file system: no byte is written. False when a copy is needed.
     */
    private boolean link(Path temp) {
        if (agentJarKey == null || !agentJarKey.equals(fileKey(agentJar))) {
            return false; // replaced or deleted since the agent started: copy what it opened
        }
        try {
            Files.delete(temp);
            Files.createLink(temp, agentJar);
            if (agentJarKey.equals(fileKey(temp))) {
                return true;
            }
            Files.delete(temp); // replaced between the two looks
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // another file system, or hard links to others' files not allowed (fs.protected_hardlinks)
        }
        try {
            Files.deleteIfExists(temp);
            Files.createFile(temp, io.datanadhi.agent.files.AtomicFiles.ownerOnly("rw-------"));
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private synchronized String embeddedVersion() throws IOException {
        if (embeddedVersion == null) {
            // Through the agent's class loader, which keeps the jar open: also after it was deleted.
            String version = EmbeddedEchoPost.version(EchoPostInstaller.class.getClassLoader());
            if (version == null) {
                try (ZipFile jar = new ZipFile(agentJar.toFile())) {
                    version = EmbeddedEchoPost.version(jar);
                }
            }
            embeddedVersion = version;
        }
        return embeddedVersion;
    }

    /** Copies another agent version installed; a running EchoPost keeps its open file. */
    private void removeOtherVersions(String keep) {
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(dir, "echopost-*.jar")) {
            for (Path jar : jars) {
                if (!jar.getFileName().toString().equals(keep)) {
                    Files.deleteIfExists(jar);
                }
            }
        } catch (IOException | RuntimeException e) {
            // an old copy left behind: disk space only
        }
    }

    /** The shell launcher: {@code ./echopost -datanadhi DIR -health-url URL} runs the jar beside it. */
    static String launcher(String version, String jarName) {
        return "#!/bin/sh\n"
                + "# Data Nadhi EchoPost, installed by the Data Nadhi Java agent: it runs from the copy of the agent jar beside it.\n"
                + VERSION_MARKER + version + "\n"
                + JAR_MARKER + jarName + "\n"
                + "exec java " + String.join(" ", EchoPostJvm.FLAGS) + " -jar \"$(dirname \"$0\")/" + jarName + "\" "
                + EMBEDDED_COMMAND + " \"$@\"\n";
    }

    /**
     * What follows {@code java <flags>} to run an installed EchoPost by hand (doctor): the jar our
     * launcher names, a jar, or an earlier launcher with its jar appended; null for an executable.
     */
    public static List<String> javaArgs(Path installed) {
        String jarName = marker(installed, JAR_MARKER);
        if (jarName != null && !jarName.contains("/")) {
            return List.of("-jar", installed.resolveSibling(jarName).toString(), EMBEDDED_COMMAND);
        }
        return isJar(installed) ? List.of("-jar", installed.toString()) : null;
    }

    /** True when {@code file} holds exactly the bytes of {@code content}. */
    static boolean sameContent(Path file, byte[] content) {
        try {
            return Files.isRegularFile(file) && Files.size(file) == content.length
                    && Arrays.equals(Files.readAllBytes(file), content);
        } catch (IOException e) {
            return false;
        }
    }

    /** True when {@code file} holds exactly the bytes of {@code content}, compared a megabyte at a time. */
    static boolean sameContent(Path file, FileChannel content) {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (FileChannel copy = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = content.size();
            if (copy.size() != size) {
                return false;
            }
            ByteBuffer expected = ByteBuffer.allocate(1 << 20);
            ByteBuffer actual = ByteBuffer.allocate(1 << 20);
            for (long at = 0; at < size; at += expected.limit()) {
                expected.clear();
                actual.clear();
                int length = (int) Math.min(expected.capacity(), size - at);
                expected.limit(length);
                actual.limit(length);
                readFully(content, expected, at);
                readFully(copy, actual, at);
                if (expected.flip().mismatch(actual.flip()) >= 0) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("the file ended early");
            }
        }
    }

    /** The version in an installed launcher, or null. */
    public static String installedVersion(Path installed) {
        return marker(installed, VERSION_MARKER);
    }

    private static String marker(Path installed, String marker) {
        if (!Files.isRegularFile(installed)) {
            return null;
        }
        try (InputStream in = Files.newInputStream(installed)) {
            String head = new String(in.readNBytes(1024), StandardCharsets.ISO_8859_1);
            int at = head.indexOf(marker);
            if (at < 0) {
                return null;
            }
            int end = head.indexOf('\n', at);
            return end < 0 ? null : head.substring(at + marker.length(), end).trim();
        } catch (IOException e) {
            return null;
        }
    }

    private Installed download() throws Unavailable {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new Unavailable("echopost.download_url is set but echopost.sha256 is not (a SHA-256 in hex):"
                    + " a downloaded EchoPost is never run unverified");
        }
        Path target = dir.resolve(FILE_NAME);
        String url = platform.expand(downloadUrl);
        if (Files.isRegularFile(target) && sha256.equals(digest(target))) {
            return existing(target, "EchoPost from " + url + " (already downloaded)");
        }
        Path temp;
        try {
            temp = tempFile();
        } catch (IOException e) {
            throw new Unavailable("cannot write to " + dir + ": " + e.getMessage(), true);
        }
        try {
            HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                    .connectTimeout(Duration.ofSeconds(10)).build();
            HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                response.body().close();
                throw new Unavailable("downloading EchoPost from " + url + " failed: HTTP " + response.statusCode(), true);
            }
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            long size = 0;
            try (InputStream in = new DigestInputStream(response.body(), digest);
                    OutputStream out = Files.newOutputStream(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buffer = new byte[64 * 1024];
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    size += n;
                    if (size > MAX_DOWNLOAD_BYTES) {
                        throw new Unavailable("the download from " + url + " is larger than "
                                + MAX_DOWNLOAD_BYTES / (1024 * 1024) + " MB; refused");
                    }
                    out.write(buffer, 0, n);
                }
            }
            String actual = hex(digest.digest());
            if (!actual.equals(sha256)) {
                throw new Unavailable("the EchoPost downloaded from " + url + " has SHA-256 " + actual
                        + ", not the configured " + sha256 + "; it is refused and not run");
            }
            makeExecutable(temp);
            moveInto(temp, target);
            return existing(target, "EchoPost downloaded from " + url);
        } catch (IOException | IllegalArgumentException e) {
            throw new Unavailable("downloading EchoPost from " + url + " failed: " + e, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted while downloading EchoPost", true);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // a stray temp file
            }
        }
    }

    private static Installed existing(Path path, String description) {
        List<String> javaArgs = javaArgs(path);
        return javaArgs == null ? new Installed(path, false, List.of(), description)
                : new Installed(path, true, javaArgs, description);
    }

    /**
     * A jar, or an earlier version's launcher with its jar appended: run with {@code java -jar}.
     * Today's launcher names its jar instead ({@link #javaArgs}). Anything else is run directly.
     */
    public static boolean isJar(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] head = in.readNBytes(1024);
            if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
                return true;
            }
            String text = new String(head, StandardCharsets.ISO_8859_1);
            return text.contains(VERSION_MARKER) && !text.contains(JAR_MARKER);
        } catch (IOException e) {
            return false;
        }
    }

    static String digest(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
            return hex(digest.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            return "";
        }
    }

    private static String hex(byte[] bytes) {
        StringBuilder hex = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            hex.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
        }
        return hex.toString();
    }

    private Path tempFile() throws IOException {
        Path temp = dir.resolve("." + FILE_NAME + "." + ProcessId.current() + "." + System.nanoTime() + ".tmp");
        Files.createFile(temp, io.datanadhi.agent.files.AtomicFiles.ownerOnly("rw-------"));
        return temp;
    }

    private static void makeExecutable(Path file) throws IOException {
        if (POSIX) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static void moveInto(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void createDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, io.datanadhi.agent.files.AtomicFiles.ownerOnly("rwx------"));
        }
    }
}
