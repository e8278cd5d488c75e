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

    private final Settings settings;
    private final EchoPostInstaller installer;
    private final Path socket;
    private EchoPostInstaller.Installed installed;

    public EchoPostLauncher(Settings settings, EchoPostInstaller installer) {
        this.settings = settings;
        this.installer = installer;
        this.socket = settings.dir.resolve(SOCKET);
    }

    public Path socket() {
        return socket;
    }

    /** Why EchoPost's socket cannot be used on this machine, or null when it can. */
    public String socketProblem() {
        int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_SOCKET_PATH_BYTES) {
            return "the EchoPost socket path " + socket + " is " + length + " bytes; UNIX sockets allow at most "
                    + MAX_SOCKET_PATH_BYTES + " (set a shorter dir)";
        }
        if (!Epoll.isAvailable()) {
            return "UNIX domain sockets need the epoll transport, unavailable here: " + Epoll.unavailabilityCause();
        }
        return null;
    }

    /**
     * Makes sure an EchoPost listens on the socket: it already does, or this starts one. Throws
     * when it cannot be installed or did not listen within {@code echopost.start_timeout}.
     */
    public synchronized void ensureRunning() throws EchoPostInstaller.Unavailable {
        Diagnostics.debug("echopost_check", "checking that EchoPost listens on " + socket);
        if (accepts(socket)) {
            return;
        }
        String problem = socketProblem();
        if (problem != null) {
            throw new EchoPostInstaller.Unavailable(problem);
        }
        if (installed == null) {
            installed = installer.install();
            Diagnostics.info("echopost_installed", "EchoPost: " + installed.description, "path", installed.path.toString());
        }
        long deadline = System.nanoTime() + settings.startTimeout.toNanos();
        try (FileChannel lockFile = AtomicFiles.openLockFile(settings.dir.resolve(START_LOCK))) {
            FileLock lock = lock(lockFile, deadline);
            try {
                if (accepts(socket)) {
                    return; // another JVM started it while we waited
                }
                Files.deleteIfExists(socket); // stale: nobody answers on it
                Process process = start();
                while (System.nanoTime() < deadline) {
                    if (accepts(socket)) {
                        Diagnostics.info("echopost_started", "EchoPost started (pid " + process.pid() + ") on " + socket,
                                "pid", process.pid(), "socket", socket.toString());
                        return;
                    }
                    if (!process.isAlive()) {
                        throw new EchoPostInstaller.Unavailable("EchoPost exited at once with code " + process.exitValue()
                                + " (run " + installed.path + " by hand to see why)");
                    }
                    TimeUnit.MILLISECONDS.sleep(10);
                }
                process.destroy();
                throw new EchoPostInstaller.Unavailable("EchoPost did not listen on " + socket + " within "
                        + settings.startTimeout.toMillis() + " ms (echopost.start_timeout)", true);
            } finally {
                if (lock != null) {
                    lock.release();
                }
            }
        } catch (IOException e) {
            throw new EchoPostInstaller.Unavailable("cannot start EchoPost: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EchoPostInstaller.Unavailable("interrupted while starting EchoPost");
        }
    }

    private static FileLock lock(FileChannel file, long deadline) throws IOException, InterruptedException {
        while (true) {
            try {
                FileLock lock = file.tryLock();
                if (lock != null) {
                    return lock;
                }
            } catch (OverlappingFileLockException heldInThisJvm) {
                // another agent in this JVM (e.g. a second class loader): wait like for another JVM
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("another process has been starting EchoPost for too long");
            }
            TimeUnit.MILLISECONDS.sleep(10);
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
            command.add("-jar");
            command.add(installed.path.toString());
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
     * A class data sharing archive of EchoPost's classes, made by its first run on this JVM and used
     * by the next ones: start-up to a listening socket drops from about 280 ms to 160 ms.
     */
    private List<String> classDataSharing() {
        if (Runtime.version().feature() < 13) {
            return List.of(); // dynamic archives came with JDK 13
        }
        String jvm = System.getProperty("java.vm.version", "") + "|" + System.getProperty("java.home", "");
        Path archive = settings.dir.resolve("echopost-" + Integer.toHexString(jvm.hashCode()) + ".jsa");
        List<String> flags = new ArrayList<>();
        flags.add("-Xshare:auto");
        flags.add("-Xlog:cds=off");
        flags.add("-Xlog:cds+dynamic=off");
        flags.add(Files.isRegularFile(archive) ? "-XX:SharedArchiveFile=" + archive : "-XX:ArchiveClassesAtExit=" + archive);
        return flags;
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
