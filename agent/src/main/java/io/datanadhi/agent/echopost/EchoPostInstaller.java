package io.datanadhi.agent.echopost;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Locale;
import java.util.zip.ZipFile;

/**
 * Puts an EchoPost executable at {@code <dir>/echopost/echopost} (mode 0755, written to a temp file
 * and renamed): the one embedded in the agent jar, rebuilt as a jar with a shell launcher in front
 * (so it also runs by hand) and replaced when the agent's embedded version differs; or one
 * downloaded from {@code echopost.download_url} and verified against {@code echopost.sha256} before
 * it is made executable. {@code echopost.binary} names an executable to use as it is.
 */
public final class EchoPostInstaller {

    public static final String FILE_NAME = "echopost";
    static final String VERSION_MARKER = "# datanadhi-echopost-version: ";
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
        public final String description;

        Installed(Path path, boolean jar, String description) {
            this.path = path;
            this.jar = jar;
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
    }

    public Installed install() throws Unavailable {
        try {
            createDirectory(dir); // its socket, store and lock live there whichever EchoPost runs
        } catch (IOException e) {
            throw new Unavailable("cannot create " + dir + ": " + e);
        }
        if (binary != null) {
            Path path = Path.of(binary).toAbsolutePath();
            if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
                throw new Unavailable("echopost.binary " + path + " is not an executable file");
            }
            return new Installed(path, isJar(path), "the configured binary " + path);
        }
        if (platform == null) {
            throw new Unavailable("EchoPost has no build for " + System.getProperty("os.name") + "/"
                    + System.getProperty("os.arch") + " (supported: linux and darwin on amd64 and arm64)");
        }
        return downloadUrl != null ? download() : embedded();
    }

    /** The embedded EchoPost, installed unless the same version already is. */
    private Installed embedded() throws Unavailable {
        if (agentJar == null) {
            throw new Unavailable("no agent jar to take the embedded EchoPost from");
        }
        Path target = dir.resolve(FILE_NAME);
        try (ZipFile jar = new ZipFile(agentJar.toFile())) {
            String version = EmbeddedEchoPost.version(jar);
            if (version.equals(installedVersion(target))) {
                return new Installed(target, true, "the embedded EchoPost " + version);
            }
            Path temp = tempFile();
            try {
                try (OutputStream out = Files.newOutputStream(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    out.write(launcher(version).getBytes(StandardCharsets.UTF_8));
                    EmbeddedEchoPost.reassemble(jar, out);
                }
                makeExecutable(temp);
                moveInto(temp, target);
            } finally {
                Files.deleteIfExists(temp);
            }
            return new Installed(target, true, "the embedded EchoPost " + version + ", installed now");
        } catch (IOException e) {
            throw new Unavailable("cannot install the embedded EchoPost at " + target + ": " + e.getMessage());
        }
    }

    /** The shell launcher in front of the jar: {@code ./echopost -datanadhi DIR -health-url URL} works. */
    static String launcher(String version) {
        return "#!/bin/sh\n"
                + "# Data Nadhi EchoPost, installed by the Data Nadhi Java agent: a jar with this launcher in front.\n"
                + VERSION_MARKER + version + "\n"
                + "exec java " + String.join(" ", EchoPostJvm.FLAGS) + " -jar \"$0\" \"$@\"\n";
    }

    /** The version in an installed launcher, or null. */
    public static String installedVersion(Path installed) {
        if (!Files.isRegularFile(installed)) {
            return null;
        }
        try (InputStream in = Files.newInputStream(installed)) {
            String head = new String(in.readNBytes(1024), StandardCharsets.ISO_8859_1);
            int at = head.indexOf(VERSION_MARKER);
            if (at < 0) {
                return null;
            }
            int end = head.indexOf('\n', at);
            return end < 0 ? null : head.substring(at + VERSION_MARKER.length(), end).trim();
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
            return new Installed(target, isJar(target), "EchoPost from " + url + " (already downloaded)");
        }
        Path temp;
        try {
            temp = tempFile();
        } catch (IOException e) {
            throw new Unavailable("cannot write to " + dir + ": " + e.getMessage());
        }
        try {
            HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                    .connectTimeout(Duration.ofSeconds(10)).build();
            HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                response.body().close();
                throw new Unavailable("downloading EchoPost from " + url + " failed: HTTP " + response.statusCode());
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
            return new Installed(target, isJar(target), "EchoPost downloaded from " + url);
        } catch (IOException | IllegalArgumentException e) {
            throw new Unavailable("downloading EchoPost from " + url + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted while downloading EchoPost");
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

    /** A jar, or our launcher in front of one: run with java. Anything else is run directly. */
    public static boolean isJar(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] head = in.readNBytes(1024);
            if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
                return true;
            }
            return new String(head, StandardCharsets.ISO_8859_1).contains(VERSION_MARKER);
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
        Path temp = dir.resolve("." + FILE_NAME + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
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
