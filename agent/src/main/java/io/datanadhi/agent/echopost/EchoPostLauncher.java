package io.datanadhi.agent.echopost;

import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.files.AtomicFiles;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.channel.unix.Socket;
import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts EchoPost when a record needs it, once per directory across threads and JVMs (a file lock,
 * then a second look at the socket), detached from the application (its own session, no stdio),
 * so that it outlives the JVM. The API key goes in its environment, never on its command line.
 * It is ready when its socket accepts a connection.
 */
public final class EchoPostLauncher {

    public static final String SOCKET = "data-nadhi-agent.sock";
    /** sun_path holds 108 bytes on Linux, the terminating NUL included. */
    static final int MAX_SOCKET_PATH_BYTES = 107;
    private static final String START_LOCK = ".start.lock";

    /** What EchoPost is started with. */
    public static final class Settings {
        final Path dir;
        final String healthUrl;
        final String apiKeyHeader;
        final String apiKey;
        final int maxDiskMb;
        final Duration startTimeout;
        final Duration serverTimeout;
        final int maxInFlight;
        final ReplayTls tls;

        public Settings(Path dir, String healthUrl, String apiKeyHeader, String apiKey, int maxDiskMb,
                Duration startTimeout, Duration serverTimeout, int maxInFlight, ReplayTls tls) {
            this.dir = dir;
            this.healthUrl = healthUrl;
            this.apiKeyHeader = apiKeyHeader;
            this.apiKey = apiKey;
            this.maxDiskMb = maxDiskMb;
            this.startTimeout = startTimeout;
            this.serverTimeout = serverTimeout;
            this.maxInFlight = maxInFlight;
            this.tls = tls;
        }

        /** With defaults for the replay's deadline, window and TLS (tests). */
        public Settings(Path dir, String healthUrl, String apiKeyHeader, String apiKey, int maxDiskMb,
                Duration startTimeout) {
            this(dir, healthUrl, apiKeyHeader, apiKey, maxDiskMb, startTimeout, Duration.ofSeconds(5), 256,
                    ReplayTls.of(null));
        }
    }

    /**
     * The trust and key stores EchoPost replays with: the agent's {@code server.tls.*}, else the
     * application JVM's {@code javax.net.ssl.*}, so that EchoPost trusts what the agent trusts.
     * Paths and types go on its command line, passwords only in its environment.
     */
    public static final class ReplayTls {
        final String trustStore;
        final String trustStoreType;
        final String trustStorePassword;
        final String keyStore;
        final String keyStoreType;
        final String keyStorePassword;

        private ReplayTls(String trustStore, String trustStoreType, String trustStorePassword, String keyStore,
                String keyStoreType, String keyStorePassword) {
            this.trustStore = trustStore;
            this.trustStoreType = trustStoreType;
            this.trustStorePassword = trustStorePassword;
            this.keyStore = keyStore;
            this.keyStoreType = keyStoreType;
            this.keyStorePassword = keyStorePassword;
        }

        public static ReplayTls of(io.datanadhi.agent.config.AgentConfig.TlsStores stores) {
            String trustStore = stores == null ? null : stores.trustStore;
            String trustType = stores == null ? null : stores.trustStoreType;
            String trustPassword = stores == null ? null : stores.trustStorePassword;
            if (trustStore == null) {
                trustStore = jvmProperty("javax.net.ssl.trustStore");
                trustType = jvmProperty("javax.net.ssl.trustStoreType");
                trustPassword = jvmProperty("javax.net.ssl.trustStorePassword");
            }
            String keyStore = stores == null ? null : stores.keyStore;
            String keyType = stores == null ? null : stores.keyStoreType;
            String keyPassword = stores == null ? null : stores.keyStorePassword;
            if (keyStore == null) {
                keyStore = jvmProperty("javax.net.ssl.keyStore");
                keyType = jvmProperty("javax.net.ssl.keyStoreType");
                keyPassword = jvmProperty("javax.net.ssl.keyStorePassword");
            }
            return new ReplayTls(absolute(trustStore), trustType, trustPassword, absolute(keyStore), keyType, keyPassword);
        }

        private static String jvmProperty(String name) {
            String value = System.getProperty(name);
            return value == null || value.isEmpty() || value.equals("NONE") ? null : value;
        }

        /** EchoPost runs in its own directory: a relative path would name another file there. */
        private static String absolute(String path) {
            return path == null ? null : Path.of(path).toAbsolutePath().toString();
        }
    }

    /** The JVM's proxy properties, handed on to EchoPost's JVM (the environment is inherited). */
    private static final String[] PROXY_PROPERTIES = {"https.proxyHost", "https.proxyPort", "http.proxyHost",
        "http.proxyPort", "http.nonProxyHosts"};

    /** An attempt that has not listened after this long is stopped, and the next one comes later. */
    static final long HUNG_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final long MAX_PAUSE_SECONDS = 30;
    /** The archive takes about 14 MB; it is only made with room to spare. */
    private static final long MIN_FREE_FOR_ARCHIVE_BYTES = 256L * 1024 * 1024;

    private final Settings settings;
    private final EchoPostInstaller installer;
    private final Path socket;
    /** Held only to spawn and to close: close never waits for a start. */
    private final Object spawnLock = new Object();
    private EchoPostInstaller.Installed installed;
    /** This JVM's EchoPost that does not listen yet, or null. */
    private volatile Process starting;
    private long startedAt;
    private int attempts;
    private int failures;
    private long nextAttemptAt = System.nanoTime();
    private boolean closed;
    private FileChannel lockFile;
    private FileLock lock;

    public EchoPostLauncher(Settings settings, EchoPostInstaller installer) {
        this.settings = settings;
        this.installer = installer;
        this.socket = settings.dir.resolve(SOCKET);
    }

    public Path socket() {
        return socket;
    }

    /** {@code echopost.start_timeout}: how long a call waits for a starting EchoPost. */
    public long startTimeoutNanos() {
        return settings.startTimeout.toNanos();
    }

    /** Why EchoPost's socket path cannot be used, or null when it can. */
    private String socketPathProblem() {
        int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_SOCKET_PATH_BYTES) {
            return "the EchoPost socket path " + socket + " is " + length + " bytes; UNIX sockets allow at most "
                    + MAX_SOCKET_PATH_BYTES + " (set a shorter dir)";
        }
        return null;
    }

    /** Why UNIX domain sockets cannot be used on this machine, or null when they can. */
    private static String transportProblem() {
        if (!Epoll.isAvailable()) {
            return "UNIX domain sockets need the epoll transport, unavailable here: " + Epoll.unavailabilityCause();
        }
        return null;
    }

    /** Where EchoPost stands after {@link #ensureRunning}. */
    public enum State {
        /** It accepts connections on the socket. */
        LISTENING,
        /** A start is under way (by this JVM or another): records wait for it. */
        STARTING,
        /** The last attempt failed; the next one comes after a pause (1 s, 2 s, 4 s ... 30 s). */
        RETRY_LATER
    }

    /**
     * Makes sure an EchoPost listens on the socket: it already does, or a start is under way, or
     * this starts one and waits up to {@code waitNanos} for it to listen. A start that takes long
     * is not a failure: it goes on, and the next call waits for it again. An attempt that fails
     * (EchoPost exits, cannot be installed for now, does not listen within {@link #HUNG_NANOS})
     * is reported on one line with its cause, and the next attempt comes after a pause. Throws
     * only when EchoPost cannot run here at all (platform, socket path, a refused download).
     */
    public synchronized State ensureRunning(long waitNanos) throws EchoPostInstaller.Unavailable, InterruptedException {
        Diagnostics.debug("echopost_check", "checking that EchoPost listens on " + socket);
        if (accepts(socket)) {
            return listening();
        }
        if (starting == null) {
            if (closing() || System.nanoTime() - nextAttemptAt < 0) {
                return State.RETRY_LATER; // the agent is stopping: no start, and nothing to report
            }
            String problem = socketPathProblem();
            if (problem != null) {
                throw new EchoPostInstaller.Unavailable(problem);
            }
            if (!startLock()) {
                return waitForAnotherStarter(waitNanos);
            }
            if (accepts(socket)) {
                return listening(); // another JVM started it while we looked
            }
            try {
                startProcess();
            } catch (EchoPostInstaller.Unavailable e) {
                if (!e.thisAttemptOnly) {
                    releaseStartLock();
                    throw e;
                }
                return failedAttempt(e.getMessage());
            }
            // Loading the epoll transport (a native library) takes a while: while EchoPost boots.
            String transport = transportProblem();
            if (transport != null) {
                starting.destroy();
                starting = null;
                releaseStartLock();
                throw new EchoPostInstaller.Unavailable(transport);
            }
        }
        long deadline = System.nanoTime() + waitNanos;
        while (true) {
            if (accepts(socket)) {
                return listening();
            }
            Process process = starting;
            if (!process.isAlive()) {
                return failedAttempt("EchoPost exited with code " + process.exitValue() + " before it listened (run "
                        + installed.path + " by hand to see why)");
            }
            if (System.nanoTime() - startedAt > HUNG_NANOS) {
                process.destroyForcibly();
                return failedAttempt("EchoPost (pid " + process.pid() + ") did not listen within "
                        + TimeUnit.NANOSECONDS.toSeconds(HUNG_NANOS) + " s; it was stopped");
            }
            if (System.nanoTime() - deadline >= 0) {
                return State.STARTING;
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }

    /** How long this JVM's attempt has been under way, in ms, or -1 when none is. */
    public synchronized long startingForMillis() {
        return starting == null ? -1 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt);
    }

    /** The attempt under way, for the messages: "attempt 2, pid 1234". */
    public synchronized String attemptDescription() {
        Process process = starting;
        return "attempt " + attempts + (process == null ? "" : ", pid " + process.pid());
    }

    /**
     * No EchoPost is started from now on. One this JVM started that does not listen yet is
     * stopped (SIGTERM): nothing was handed to it, and the records that waited for it are
     * written to {@code dropped/} by the caller. Never waits for a start under way.
     */
    public void close() {
        Process process;
        synchronized (spawnLock) {
            closed = true;
            process = starting;
        }
        if (process != null && process.isAlive() && !accepts(socket)) {
            process.destroy();
        }
    }

    private boolean closing() {
        synchronized (spawnLock) {
            return closed;
        }
    }

    private State listening() {
        Process process = starting;
        if (process != null) {
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt);
            Diagnostics.info("echopost_started", "EchoPost started (pid " + process.pid() + ", attempt " + attempts
                    + ") on " + socket + "; it listened " + millis + " ms after it was started", "pid", process.pid(),
                    "socket", socket.toString(), "millis", millis, "attempt", attempts);
            starting = null;
            releaseStartLock();
        }
        failures = 0;
        return State.LISTENING;
    }

    private State failedAttempt(String cause) {
        starting = null;
        releaseStartLock();
        long pause = Math.min(MAX_PAUSE_SECONDS, 1L << Math.min(failures, 5));
        failures++;
        nextAttemptAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(pause);
        Diagnostics.warn("echopost_start_failed", "EchoPost start attempt " + attempts + " failed: " + cause
                + "; the next attempt in " + pause + " s", "attempt", attempts, "retry_in_seconds", pause);
        return State.RETRY_LATER;
    }

    /** Another JVM (or agent) holds the start lock: its EchoPost is on the way. */
    private State waitForAnotherStarter(long waitNanos) throws InterruptedException {
        long deadline = System.nanoTime() + waitNanos;
        do {
            if (accepts(socket)) {
                return listening();
            }
            TimeUnit.MILLISECONDS.sleep(5);
        } while (System.nanoTime() - deadline < 0);
        return State.STARTING;
    }

    private void startProcess() throws EchoPostInstaller.Unavailable {
        attempts++;
        installed = installer.install(); // checked every time: only what this agent carries is run
        if (installed.description.endsWith("installed now")) {
            Diagnostics.info("echopost_installed", "EchoPost: " + installed.description, "path", installed.path.toString());
        }
        try {
            Files.deleteIfExists(socket); // stale: nobody answers on it, and we hold the start lock
            synchronized (spawnLock) {
                if (closed) {
                    throw new EchoPostInstaller.Unavailable("the agent is stopping; no EchoPost is started", true);
                }
                starting = start();
            }
            startedAt = System.nanoTime();
        } catch (IOException e) {
            throw new EchoPostInstaller.Unavailable("cannot start EchoPost: " + e, true);
        }
    }

    /** Takes the start lock unless another JVM (or agent) holds it; kept until the start ends. */
    private boolean startLock() throws EchoPostInstaller.Unavailable {
        try {
            if (lockFile == null) {
                if (!Files.isDirectory(settings.dir)) {
                    Files.createDirectories(settings.dir, AtomicFiles.ownerOnly("rwx------"));
                }
                lockFile = AtomicFiles.openLockFile(settings.dir.resolve(START_LOCK));
            }
            lock = lockFile.tryLock();
            return lock != null;
        } catch (OverlappingFileLockException heldInThisJvm) {
            return false; // another agent in this JVM (e.g. a second class loader)
        } catch (IOException e) {
            throw new EchoPostInstaller.Unavailable("cannot open " + settings.dir.resolve(START_LOCK) + ": " + e, true);
        }
    }

    private void releaseStartLock() {
        if (lock != null) {
            try {
                lock.release();
            } catch (IOException ignored) {
                // released when the channel closes at exit
            }
            lock = null;
        }
    }

    private Process start() throws IOException {
        List<String> command = new ArrayList<>();
        Path setsid = setsid();
        if (setsid != null) {
            command.add(setsid.toString()); // its own session: no signal from the application's terminal
        }
        if (installed.jar) {
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(EchoPostJvm.FLAGS);
            command.addAll(classDataSharing());
            for (String property : PROXY_PROPERTIES) {
                String value = System.getProperty(property);
                if (value != null && !value.isEmpty()) {
                    command.add("-D" + property + "=" + value);
                }
            }
            command.addAll(installed.javaArgs);
        } else {
            command.add(installed.path.toString());
        }
        command.add("-datanadhi");
        command.add(settings.dir.toString());
        command.add("-health-url");
        command.add(settings.healthUrl);
        if (installed.jar) {
            // Ours knows these; the original Go build would refuse them.
            command.add("-api-key-header");
            command.add(settings.apiKeyHeader);
            command.add("-max-disk-mb");
            command.add(Integer.toString(settings.maxDiskMb));
            command.add("-timeout");
            command.add(Long.toString(settings.serverTimeout.toSeconds()));
            command.add("-max-in-flight");
            command.add(Integer.toString(settings.maxInFlight));
            ReplayTls tls = settings.tls;
            addFlag(command, "-tls-trust-store", tls.trustStore);
            addFlag(command, "-tls-trust-store-type", tls.trustStoreType);
            addFlag(command, "-tls-key-store", tls.keyStore);
            addFlag(command, "-tls-key-store-type", tls.keyStoreType);
        }
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .directory(settings.dir.toFile());
        builder.environment().remove("JAVA_TOOL_OPTIONS"); // which may attach this very agent to it
        builder.environment().remove("JDK_JAVA_OPTIONS");
        if (settings.apiKey != null) {
            builder.environment().put("DATANADHI_API_KEY", settings.apiKey);
        }
        // Passwords only here, never on the command line; and never an inherited one that the
        // agent did not mean (the application's environment may hold the agent's own variables).
        builder.environment().remove("DATANADHI_TLS_TRUST_STORE_PASSWORD");
        builder.environment().remove("DATANADHI_TLS_KEY_STORE_PASSWORD");
        if (installed.jar && settings.tls.trustStorePassword != null) {
            builder.environment().put("DATANADHI_TLS_TRUST_STORE_PASSWORD", settings.tls.trustStorePassword);
        }
        if (installed.jar && settings.tls.keyStorePassword != null) {
            builder.environment().put("DATANADHI_TLS_KEY_STORE_PASSWORD", settings.tls.keyStorePassword);
        }
        return builder.start();
    }

    private static void addFlag(List<String> command, String flag, String value) {
        if (value != null) {
            command.add(flag);
            command.add(value);
        }
    }

    /**
     * A class data sharing archive of EchoPost's classes, written when its first run on this JVM
     * exits (never at its start) and used by the next ones: start-up to a listening socket drops
     * from about 280 ms to 160 ms. Named after the JVM and the jar's size and time, so that an
     * archive the JVM would reject (another jar) is never used, and a new one is made instead.
     */
    private List<String> classDataSharing() {
        if (Runtime.version().feature() < 13) {
            return List.of(); // dynamic archives came with JDK 13
        }
        String identity = System.getProperty("java.vm.version", "") + "|" + System.getProperty("java.home", "");
        try {
            identity += "|" + installed.path + "|" + Files.size(installed.path) + "|"
                    + Files.getLastModifiedTime(installed.path).toMillis();
        } catch (IOException e) {
            return List.of();
        }
        String name = "echopost-" + Integer.toHexString(identity.hashCode()) + ".jsa";
        Path archive = settings.dir.resolve(name);
        List<String> flags = new ArrayList<>();
        flags.add("-Xshare:auto");
        flags.add("-Xlog:cds=off");
        flags.add("-Xlog:cds+dynamic=off");
        if (Files.isRegularFile(archive)) {
            flags.add("-XX:SharedArchiveFile=" + archive);
        } else if (settings.dir.toFile().getUsableSpace() > MIN_FREE_FOR_ARCHIVE_BYTES) {
            // On a nearly full disk the JVM would fail to write it at exit, and exit 1 after a good drain.
            removeArchivesBut(name);
            flags.add("-XX:ArchiveClassesAtExit=" + archive);
        }
        return flags;
    }

    /** Archives of earlier jars (or JVMs): one per directory is enough. */
    private void removeArchivesBut(String keep) {
        try (java.nio.file.DirectoryStream<Path> archives = Files.newDirectoryStream(settings.dir, "echopost-*.jsa")) {
            for (Path archive : archives) {
                if (!archive.getFileName().toString().equals(keep)) {
                    Files.deleteIfExists(archive);
                }
            }
        } catch (IOException | RuntimeException e) {
            // disk space only
        }
    }

    private static Path setsid() {
        for (String candidate : new String[] {"/usr/bin/setsid", "/bin/setsid"}) {
            Path path = Path.of(candidate);
            if (Files.isExecutable(path)) {
                return path;
            }
        }
        return null;
    }

    /** True when something accepts a connection on the socket. */
    public static boolean accepts(Path socket) {
        if (!Files.exists(socket) || !Epoll.isAvailable()) {
            return false;
        }
        Socket probe = null;
        try {
            probe = Socket.newSocketDomain();
            return probe.connect(new DomainSocketAddress(socket.toString()));
        } catch (IOException | RuntimeException e) {
            return false;
        } finally {
            if (probe != null) {
                try {
                    probe.close();
                } catch (IOException ignored) {
                    // a probe
                }
            }
        }
    }
}
