package io.datanadhi.echopost;

import io.datanadhi.echopost.replay.Replayer;
import io.datanadhi.echopost.replay.ServerClient;
import io.datanadhi.echopost.server.LogAgentService;
import io.datanadhi.echopost.server.SocketServer;
import io.datanadhi.echopost.store.DiskLimits;
import io.datanadhi.echopost.store.Store;
import io.datanadhi.echopost.store.StoreFiles;
import io.datanadhi.echopost.store.StoredRecord;
import io.datanadhi.http.Endpoint;
import io.datanadhi.http.HttpTarget;
import io.datanadhi.http.NettyLogging;
import io.datanadhi.http.Proxies;
import io.datanadhi.http.TlsSettings;
import io.datanadhi.proto.LogRequest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * EchoPost: started by the agent while the Data Nadhi server is down, it takes records over a
 * UNIX socket, stores them durably, replays them in order once the server is back, and exits.
 *
 * <p>Exit codes: 0 after a clean stop (drained, or SIGTERM with what is undelivered kept for the
 * next start), 2 for bad usage or an unusable directory or socket path, 3 when another EchoPost
 * already serves the directory, 1 for anything unexpected.
 */
public final class EchoPost {

    static final String SOCKET = "data-nadhi-agent.sock";
    static final String LOCK = "echopost.lock";
    /** Not exiting the moment the store empties: the agent may still be sending. */
    static final long IDLE_MILLIS_BEFORE_EXIT = 1000;
    static final long STOP_TIMEOUT_MILLIS = 10_000;
    static final long FINAL_REPLAY_MILLIS = 30_000;

    /** Set (to anything but 0 or false) to have Netty's own log lines in the event log, as DEBUG. */
    static final String NETTY_LOG_VARIABLE = "DATANADHI_ECHOPOST_NETTY_LOG";
    private static final NettyLines NETTY_LINES = new NettyLines();
    /** Netty's {@code io.netty.jfr.enabled}, under the package it is shaded to. */
    static final String NETTY_JFR_PROPERTY = "io.grpc.netty.shaded.io.netty.jfr.enabled";

    private static final DateTimeFormatter SESSION =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Options options;
    private final PrintStream out;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    /** Records were stored since the start (or a call answered): replay's set-up may take the CPU. */
    private final CountDownLatch firstRecords = new CountDownLatch(1);
    private static final long FIRST_RECORDS_WAIT_MILLIS = 1000;
    private volatile String stopReason;
    private volatile String clientApiKey;
    private final AtomicLong invalidJson = new AtomicLong();

    private EventLog events;
    private Store store;
    private volatile Replayer replayer;
    /** The Data Nadhi server replay sends to. */
    private HttpTarget target;
    private Proxies proxies;

    private EchoPost(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public static void main(String[] args) {
        // Netty checks for the flight recorder when it first allocates a buffer, which loads about
        // 70 JDK classes and generates event handlers: about 90 ms of the first call
        // EchoPost answers, the one an agent waits on in its first outage. Nobody records them.
        if (System.getProperty(NETTY_JFR_PROPERTY) == null) {
            System.setProperty(NETTY_JFR_PROPERTY, "false");
        }
        // Before any Netty class logs: its lines never go through java.util.logging (the gRPC
        // socket's "SO_KEEPALIVE is not supported" for every client, among others).
        NETTY_LINES.wanted = isSet(System.getenv(NETTY_LOG_VARIABLE));
        NettyLogging.install(NETTY_LINES);
        int code;
        try {
            code = run(args, System.getenv(), System.out, System.err);
        } catch (Throwable t) {
            System.err.println("echopost: unexpected failure: " + t);
            code = 1;
        }
        System.exit(code);
    }

    static int run(String[] args, java.util.Map<String, String> environment, PrintStream out, PrintStream err) {
        java.util.List<String> rest = new java.util.ArrayList<>(java.util.List.of(args));
        boolean status = rest.remove("-status") | rest.remove("--status");
        if (status) {
            args = rest.toArray(new String[0]);
        }
        Options options;
        try {
            options = Options.parse(args, environment);
        } catch (Options.UsageException e) {
            if (!e.getMessage().isEmpty()) {
                err.println("echopost: " + e.getMessage());
            }
            err.println(Options.USAGE);
            return 2;
        }
        if (status) {
            return Status.print(options.dir, out, err);
        }
        EchoPost echoPost = new EchoPost(options, out);
        echoPost.target = HttpTarget.parse(options.healthUrl);
        echoPost.proxies = Proxies.from(environment, System.getProperties());
        return echoPost.serve(err);
    }

    private int serve(PrintStream err) {
        Path dir = options.dir;
        try {
            new StoreFiles().createDirectory(dir);
            Path probe = dir.resolve(".write-probe-" + ProcessHandle.current().pid());
            Files.deleteIfExists(probe);
            Files.createFile(probe);
            Files.delete(probe);
        } catch (IOException | RuntimeException e) {
            err.println("echopost: cannot use " + dir + " as EchoPost's directory: " + describe(e));
            return 2;
        }
        try (FileChannel lockFile = StoreFiles.openLockFile(dir.resolve(LOCK))) {
            FileLock lock;
            try {
                lock = lockFile.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                err.println("echopost: another EchoPost is already running for " + dir + " (" + dir.resolve(LOCK)
                        + " is locked); this one exits");
                return 3;
            }
            writePid(lockFile, Long.toString(ProcessHandle.current().pid()));
            try {
                return serveLocked();
            } finally {
                writePid(lockFile, "");
                release(lock);
            }
        } catch (IOException e) {
            err.println("echopost: cannot lock " + dir.resolve(LOCK) + ": " + describe(e));
            return 2;
        }
    }

    /** The lock goes with the process anyway: failing to release it must not change how EchoPost exits. */
    private static void release(FileLock lock) {
        try {
            lock.release();
        } catch (IOException ignored) {
            // released when the file is closed, or when the process ends
        }
    }

    /**
     * The lock file holds the running EchoPost's pid, for {@code -status} and the agent's doctor;
     * on a full disk it may stay empty, which costs only that.
     */
    private static void writePid(FileChannel lockFile, String pid) {
        try {
            lockFile.truncate(0);
            lockFile.write(java.nio.ByteBuffer.wrap(pid.getBytes(java.nio.charset.StandardCharsets.US_ASCII)), 0);
        } catch (IOException e) {
            // Only -status reads it.
        }
    }

    private int serveLocked() throws IOException {
        Path dir = options.dir;
        // A full disk must not keep EchoPost from starting and delivering what it holds: without a
        // session directory, events go to stdout only and the delivery logs are not written.
        Path session = null;
        String sessionProblem = null;
        try {
            session = newSessionDir(dir);
        } catch (IOException e) {
            sessionProblem = describe(e);
        }
        events = new EventLog(sessionFile(session, "events.log"), out);
        events.redact(options.apiKey);
        NETTY_LINES.events = events;
        // A thread that dies (an io loop, replay) leaves a process that accepts and never answers
        // or never replays: exit instead. What was acknowledged is on disk; the agent starts a
        // new EchoPost when its next call fails.
        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
            try {
                events.error("fatal", "thread " + thread.getName() + " failed (" + error + "); exiting");
            } catch (Throwable ignored) {
                // exiting anyway
            }
            Runtime.getRuntime().halt(70);
        });
        try (EventLog.RecordLog success = new EventLog.RecordLog(sessionFile(session, "agent-success.log"), events);
                EventLog.RecordLog failure = new EventLog.RecordLog(sessionFile(session, "agent-failure.log"), events)) {
            Proxies.Proxy proxy = proxies.forTarget(target);
            events.info("started", "EchoPost " + version() + " serving " + dir
                    + (proxy == null ? "" : "; replay goes through the proxy " + proxy), "pid",
                    ProcessHandle.current().pid(), "dir", dir.toString(), "health_url", options.healthUrl,
                    "max_disk_mb", options.maxDiskBytes / (1024 * 1024),
                    "session", session == null ? null : session.toString(),
                    "proxy", proxy == null ? "none" : proxy.toString(), "timeout_s", options.timeoutSeconds,
                    "max_in_flight", options.maxInFlight, "idle_timeout_s", options.idleTimeoutSeconds,
                    "handshake_timeout_s", options.handshakeTimeoutSeconds);
            if (sessionProblem != null) {
                events.warn("log_write_failed", "cannot make this run's session directory in " + dir + " ("
                        + sessionProblem + "): events go to stdout only, agent-success.log and agent-failure.log "
                        + "are not written; delivery goes on", "file", dir.toString(), "reason", sessionProblem);
            }
            for (String problem : proxies.problems()) {
                events.warn("proxy_setting_ignored", problem);
            }
            if (options.apiKey == null) {
                events.warn("api_key_missing", "no API key (DATANADHI_API_KEY or -api-key): replay uses the key"
                        + " that clients send with their records");
            }
            Path socket = dir.resolve(SOCKET);
            String problem = SocketServer.checkPath(socket);
            if (problem != null) {
                events.error("socket_unusable", problem);
                return 2;
            }
            return serveWithStore(socket, success, failure);
        } finally {
            NETTY_LINES.events = null;
            events.close();
        }
    }

    private int serveWithStore(Path socket, EventLog.RecordLog success, EventLog.RecordLog failure)
            throws IOException {
        Replayer.Listener listener = new Replayer.Listener() {
            @Override
            public void event(String name, String message, Object... fields) {
                events.info(name, message, fields);
            }

            @Override
            public void warn(String name, String message, Object... fields) {
                events.warn(name, message, fields);
            }

            @Override
            public void delivered(StoredRecord record, int status) {
                success.append(Replayer.logLine(record, status, null));
            }

            @Override
            public void failed(StoredRecord record, int status, String response) {
                failure.append(Replayer.logLine(record, status, response));
            }

            @Override
            public void drained() {
                requestStop("drained");
            }
        };
        store = Store.open(options.dir.resolve("store"), new StoreFiles(),
                new DiskLimits(options.maxDiskBytes, options.minFreeBytes), events, this::activity);
        // The hook goes in before the socket exists: a client that sees the socket may stop us at once.
        Thread hook = new Thread(this::onSignal, "echopost-sigterm");
        Runtime.getRuntime().addShutdownHook(hook);
        SocketServer grpc;
        try {
            grpc = SocketServer.start(socket, new LogAgentService(this::intake, store::append),
                    Duration.ofSeconds(options.idleTimeoutSeconds), Duration.ofSeconds(options.handshakeTimeoutSeconds));
        } catch (IOException | RuntimeException e) {
            events.error("socket_unusable", "cannot listen on " + socket + ": " + describe(e));
            try {
                store.close();
            } catch (IOException closing) {
                // exiting 2 anyway; what is stored stays for the next start
            }
            finished.countDown();
            removeHook(hook);
            return 2;
        }
        events.info("accepting", "listening on " + socket, "socket", socket.toString(), "backlog", store.backlog());
        // Only now: loading TLS stores and starting the HTTP client must not delay the socket, nor
        // the first records, which an agent is waiting to hand over (its server has just failed,
        // so there is nothing to replay to yet): up to a second for them to be stored first.
        awaitFirstRecords();
        ServerClient client = new ServerClient(
                Endpoint.of(target, tlsSettings(), proxies, ServerClient.USER_AGENT,
                        Duration.ofSeconds(options.timeoutSeconds)),
                options.apiKeyHeader, () -> options.apiKey != null ? options.apiKey : clientApiKey);
        replayer = new Replayer(store, client, listener, IDLE_MILLIS_BEFORE_EXIT, options.maxInFlight);
        Thread replay = new Thread(replayer, "echopost-replay");
        replay.setDaemon(true);
        replay.start();

        awaitStop();
        String reason = stopReason;
        events.info("stopping", "stopping (" + reason + "): no new calls; finishing those in progress", "reason", reason);
        grpc.stop(STOP_TIMEOUT_MILLIS);
        replayer.stop();
        join(replay);
        if ("drained".equals(reason) && store.backlog() > 0 && !replay.isAlive()) {
            // Records that arrived while we were stopping: the server is up, send them now.
            replayer.replayBeforeExit(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FINAL_REPLAY_MILLIS));
        }
        closeStore();
        long left = store.backlog();
        client.close();
        events.info("exiting", left == 0 ? "everything delivered; store removed"
                : left + " record(s) kept in the store for the next start", "reason", reason, "backlog", left);
        finished.countDown();
        if (!"signal".equals(reason)) {
            removeHook(hook);
        }
        return 0;
    }

    /**
     * Writes the checkpoint and, when everything is delivered, removes the store. A failure here
     * is reported, not a reason to exit otherwise: what is not delivered stays in the store, and
     * the next start replays from the checkpoint it could write (some records again, none lost).
     */
    private void closeStore() {
        try {
            store.close();
            if (store.backlog() == 0) {
                store.deleteIfEmpty();
            }
        } catch (IOException e) {
            events.warn("write_failed", "could not close the store cleanly (" + describe(e) + "); what is not "
                    + "delivered stays in it", "reason", describe(e));
        }
    }

    /** A session log; one that cannot be opened is reported and dropped, as one that cannot be written. */
    private SessionFile sessionFile(Path session, String name) {
        if (session == null) {
            return SessionFile.none(Path.of(name));
        }
        Path path = session.resolve(name);
        try {
            return SessionFile.open(path);
        } catch (IOException e) {
            String problem = name + " cannot be opened (" + describe(e) + "): its lines are dropped; delivery goes on";
            if (events != null) {
                events.warn("log_write_failed", problem, "file", path.toString(), "reason", describe(e));
            } else {
                out.println("echopost: " + problem); // events.log itself, before there is an event log
            }
            return SessionFile.none(path);
        }
    }

    /**
     * The replay's TLS stores. One that cannot be loaded is reported, and the JVM's own is used in
     * its place: records are still taken and stored, and a server whose certificate the JVM
     * trusts still gets them. For an {@code https://} server the stores are loaded here, not on
     * the event loop within the first health check's 2 s.
     */
    private TlsSettings tlsSettings() {
        Options.TlsStores stores = options.tls;
        if (!stores.any()) {
            return target.tls() ? loaded(TlsSettings.jvm()) : TlsSettings.jvm();
        }
        boolean trustUsable = stores.trustStore == null || loads(TlsSettings.of(stores.trustStore,
                stores.trustStorePassword, stores.trustStoreType, null, null, null), stores.trustStore,
                "replay checks the server's certificate against the JVM's trust store instead");
        boolean keyUsable = stores.keyStore == null || loads(TlsSettings.of(null, null, null, stores.keyStore,
                stores.keyStorePassword, stores.keyStoreType), stores.keyStore,
                "replay offers no client certificate");
        return loaded(TlsSettings.of(trustUsable ? stores.trustStore : null, stores.trustStorePassword,
                stores.trustStoreType, keyUsable ? stores.keyStore : null, stores.keyStorePassword,
                stores.keyStoreType));
    }

    private static TlsSettings loaded(TlsSettings settings) {
        try {
            settings.context(); // made once, and kept
        } catch (TlsSettings.Invalid e) {
            // each store loaded alone above; a connection would report it
        }
        return settings;
    }

    private boolean loads(TlsSettings settings, Path store, String instead) {
        try {
            settings.context();
            return true;
        } catch (TlsSettings.Invalid e) {
            events.warn("tls_settings_invalid", e.getMessage() + "; " + instead, "file", store.toString());
            return false;
        }
    }

    private static boolean isSet(String value) {
        return value != null && !value.isBlank() && !value.trim().equals("0") && !value.trim().equalsIgnoreCase("false");
    }

    /**
     * Netty's own log lines: dropped (they were only ever Netty talking to itself), or, with
     * {@value #NETTY_LOG_VARIABLE} set, in the event log as DEBUG lines.
     */
    private static final class NettyLines implements NettyLogging.Sink {
        volatile boolean wanted;
        volatile EventLog events;

        @Override
        public boolean enabled() {
            return wanted && events != null;
        }

        @Override
        public void log(String logger, String message, Throwable error) {
            EventLog log = events;
            if (log != null) {
                log.write("DEBUG", "netty", error == null ? message : message + " (" + error + ")", "logger", logger);
            }
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // A signal arrived as we finished.
        }
    }

    /** SIGTERM: the same stop as a drained exit, keeping what is undelivered; exit code 0. */
    private void onSignal() {
        requestStop("signal");
        try {
            finished.await(STOP_TIMEOUT_MILLIS + 20_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.flush();
        Runtime.getRuntime().halt(0);
    }

    private void requestStop(String reason) {
        synchronized (stopRequested) {
            if (stopReason == null) {
                stopReason = reason;
            }
        }
        stopRequested.countDown();
    }

    private void awaitStop() {
        while (true) {
            try {
                stopRequested.await();
                return;
            } catch (InterruptedException ignored) {
                // keep waiting: only a stop request ends EchoPost
            }
        }
    }

    private void awaitFirstRecords() {
        try {
            firstRecords.await(FIRST_RECORDS_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void activity() {
        firstRecords.countDown();
        Replayer current = replayer;
        if (current != null) {
            current.activity();
        }
    }

    /** The body to store for one request: invalid JSON becomes an empty object, as the original does. */
    private byte[] intake(LogRequest request) {
        if (options.apiKey == null && !request.getApiKey().isEmpty()) {
            clientApiKey = request.getApiKey();
        }
        String json = request.getJsonData();
        boolean valid = Json.isObject(json);
        if (!valid) {
            long count = invalidJson.incrementAndGet();
            if (count <= 10 || count % 1000 == 0) {
                events.warn("invalid_json", "a record's json_data is not a JSON object; stored as {} ("
                        + count + " so far)", "count", count, "length", json.length());
            }
        }
        activity();
        return Json.body(request.getPipelinesList(), json, valid);
    }

    private static Path newSessionDir(Path dir) throws IOException {
        String name = "session-" + SESSION.format(java.time.Instant.now());
        Path session = dir.resolve(name);
        for (int i = 2; Files.exists(session); i++) {
            session = dir.resolve(name + "-" + i);
        }
        new StoreFiles().createDirectory(session);
        return session;
    }

    private static void join(Thread thread) {
        try {
            thread.join(TimeUnit.SECONDS.toMillis(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String version() {
        String version = EchoPost.class.getPackage().getImplementationVersion();
        return version != null ? version : "dev";
    }

    private static String describe(Exception e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
