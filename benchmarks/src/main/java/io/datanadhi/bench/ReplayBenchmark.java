package io.datanadhi.bench;

import io.datanadhi.bench.CountingServer.Handle;
import io.datanadhi.bench.CountingServer.Stats;
import io.datanadhi.proto.LogAgentGrpc;
import io.datanadhi.proto.LogBatch;
import io.datanadhi.proto.LogRequest;
import io.datanadhi.proto.LogResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Replay to a server some milliseconds away, in store order: EchoPost's replay, and the agent's
 * {@code replay-dropped}. For each server delay (0 and 30 ms by default):
 *
 * <ul>
 *   <li><b>EchoPost</b>: an EchoPost (the jar, with the flags the agent launches it with) stores
 *       {@code --records} records by SendBatch over its socket while its server is down; then the
 *       {@link CountingServer} comes up on the health URL's port with the delay, and EchoPost
 *       replays. Records/s from the first replayed arrival to the last, and checked at the server:
 *       arrival order (a record with a number lower than one before it is out of order),
 *       duplicates, missing.
 *   <li><b>replay-dropped</b>: the same number of records in {@code dropped/} files in the
 *       agent's format, sent by {@code java -jar datanadhi-agent.jar replay-dropped --dir DIR}
 *       (its own JVM) to the counting server.
 *   <li><b>baseline</b>: a bare client in its own JVM pipelining the same kind of requests on one
 *       connection with the same window ({@code HttpLoadClient pipelined}, the replays' own
 *       {@code PipelinedConnection}), flat out, to the same delayed server.
 * </ul>
 * CPU of the replaying JVM and of the server JVM per record, from /proc, between the first poll
 * that saw a replayed record and the last record; for replay-dropped also its whole run, JVM start
 * included. Every wait is bounded ({@code --max-wait}, and 30 s without a new record): a replay
 * that does not finish is reported with what arrived, and the driver goes on.
 *
 * <pre>java -cp benchmarks/target/datanadhi-benchmarks.jar io.datanadhi.bench.ReplayBenchmark
 *      [--java JAVA] [--echopost JAR] [--agent JAR] [--records 20000] [--delays 0,30]
 *      [--runs echopost,dropped,bare] [--max-in-flight N] [--timeout SECONDS] [--dropped-files 1]
 *      [--max-wait 120] [--seconds 5]</pre>
 *
 * {@code --max-in-flight} and {@code --timeout} go to EchoPost ({@code -max-in-flight},
 * {@code -timeout}) and to replay-dropped ({@code DATANADHI_MAX_IN_FLIGHT},
 * {@code DATANADHI_SERVER_TIMEOUT}); not given, neither is set and both use their defaults.
 */
public final class ReplayBenchmark {

    /** The size of a stored record's {@code json_data} / a dropped line's {@code log_data}: an agent record's. */
    static final int RECORD_BYTES = 420;
    private static final int BATCH = 500;
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final String java;
    private final Path echopost;
    private final Path agent;
    private final int records;
    private final Integer maxInFlight;
    private final Integer timeoutSeconds;
    private final int droppedFiles;
    private final int maxWaitSeconds;
    private final int seconds;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private long bodyBytes = 461;

    private ReplayBenchmark(String java, Path echopost, Path agent, int records, Integer maxInFlight, Integer timeoutSeconds,
            int droppedFiles, int maxWaitSeconds, int seconds) {
        this.java = java;
        this.echopost = echopost;
        this.agent = agent;
        this.records = records;
        this.maxInFlight = maxInFlight;
        this.timeoutSeconds = timeoutSeconds;
        this.droppedFiles = droppedFiles;
        this.maxWaitSeconds = maxWaitSeconds;
        this.seconds = seconds;
    }

    public static void main(String[] args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path echopost = Path.of("echopost/target/echopost.jar");
        Path agent = Path.of("agent/target/datanadhi-agent.jar");
        int records = 20_000;
        List<Integer> delays = new ArrayList<>(List.of(0, 30));
        List<String> runs = new ArrayList<>(List.of("echopost", "dropped", "bare"));
        Integer maxInFlight = null;
        Integer timeout = null;
        int droppedFiles = 1;
        int maxWait = 120;
        int seconds = 5;
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            String value = args[i + 1];
            switch (args[i]) {
                case "--java": java = value; break;
                case "--echopost": echopost = Path.of(value); break;
                case "--agent": agent = Path.of(value); break;
                case "--records": records = Integer.parseInt(value); break;
                case "--max-in-flight": maxInFlight = Integer.parseInt(value); break;
                case "--timeout": timeout = Integer.parseInt(value); break;
                case "--dropped-files": droppedFiles = Integer.parseInt(value); break;
                case "--max-wait": maxWait = Integer.parseInt(value); break;
                case "--seconds": seconds = Integer.parseInt(value); break;
                case "--delays":
                    delays.clear();
                    for (String delay : value.split(",")) {
                        if (!delay.isBlank()) {
                            delays.add(Integer.parseInt(delay.trim()));
                        }
                    }
                    break;
                case "--runs":
                    runs.clear();
                    for (String run : value.split(",")) {
                        if (!List.of("echopost", "dropped", "bare").contains(run)) {
                            throw new IllegalArgumentException("--runs takes echopost, dropped, bare: " + run);
                        }
                        runs.add(run);
                    }
                    break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        if (runs.contains("echopost") && !Files.isRegularFile(echopost)) {
            throw new IllegalArgumentException(echopost.toAbsolutePath() + " not found: build EchoPost, or give --echopost");
        }
        if (runs.contains("dropped") && !Files.isRegularFile(agent)) {
            throw new IllegalArgumentException(agent.toAbsolutePath() + " not found: build the agent, or give --agent");
        }
        List<String> options = new ArrayList<>(List.of("--java", java, "--echopost", echopost.toString(), "--agent",
                agent.toString(), "--records", Integer.toString(records), "--delays",
                delays.stream().map(String::valueOf).collect(Collectors.joining(",")), "--runs", String.join(",", runs)));
        if (maxInFlight != null) {
            options.addAll(List.of("--max-in-flight", maxInFlight.toString()));
        }
        if (timeout != null) {
            options.addAll(List.of("--timeout", timeout.toString()));
        }
        options.addAll(List.of("--dropped-files", Integer.toString(droppedFiles), "--max-wait", Integer.toString(maxWait),
                "--seconds", Integer.toString(seconds)));
        System.out.println("Replay benchmark: " + RunInfo.jdk(java) + ", " + RunInfo.machine() + "; " + records
                + " records of " + RECORD_BYTES + " bytes of log_data; window "
                + (maxInFlight == null ? "not set (defaults)" : maxInFlight) + ", deadline "
                + (timeout == null ? "not set (defaults)" : timeout + " s") + "; the server in its own JVM (CountingServer);"
                + " EchoPost with the agent's JVM flags: " + String.join(" ", EchoPostBenchmark.TUNED_FLAGS));
        System.out.println("Reproduce: " + RunInfo.command(ReplayBenchmark.class, options));
        System.out.flush();

        ReplayBenchmark bench = new ReplayBenchmark(java, echopost, agent, records, maxInFlight, timeout, droppedFiles,
                maxWait, seconds);
        for (int delay : delays) {
            if (runs.contains("echopost")) {
                bench.guard(delay, "EchoPost replay", () -> bench.echoPost(delay));
            }
            if (runs.contains("dropped")) {
                bench.guard(delay, "`replay-dropped`", () -> bench.replayDropped(delay));
            }
            if (runs.contains("bare")) {
                bench.guard(delay, "bare pipelined client", () -> bench.bare(delay));
            }
        }
        bench.print();
        System.exit(0);
    }

    private interface Run {
        void run() throws Exception;
    }

    /** A run that fails is reported, and the others go on. */
    private void guard(int delay, String name, Run run) {
        ShippingBenchmark.progress(delay + " ms: " + name);
        try {
            run.run();
        } catch (Exception e) {
            rows.add(new Row(delay, name + ": **failed**"));
            notes.add(delay + " ms, " + name + " failed: " + e);
        }
    }

    // ---- EchoPost ----

    private void echoPost(int delay) throws Exception {
        Path dir = Files.createTempDirectory("bench-replay");
        Path logs = Files.createTempDirectory("bench-replay-logs");
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(EchoPostBenchmark.TUNED_FLAGS);
        command.addAll(List.of("-jar", echopost.toString(), "-datanadhi", dir.toString(), "-health-url",
                "http://127.0.0.1:" + port, "-max-disk-mb", "4096"));
        if (maxInFlight != null) {
            command.addAll(List.of("-max-in-flight", maxInFlight.toString()));
        }
        if (timeoutSeconds != null) {
            command.addAll(List.of("-timeout", timeoutSeconds.toString()));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(logs.resolve("echopost.out").toFile())
                .redirectError(logs.resolve("echopost.err").toFile());
        cleanEnvironment(builder.environment());
        builder.environment().put("DATANADHI_API_KEY", DeliveryRig.API_KEY);
        Process echo = builder.start();
        String name = "EchoPost replay";
        boolean finished = false;
        try {
            Path socket = dir.resolve("data-nadhi-agent.sock");
            awaitSocket(echo, socket, logs);
            fill(socket, records);
            long cpuAtFill = DeliveryRig.cpuNanos(echo.pid());
            try (Handle server = Handle.start(java, port, delay)) { // the server is back: replay starts
                long up = System.nanoTime();
                Progress progress = Progress.follow(echo, server, records, up, maxWaitSeconds);
                // Done: EchoPost exits by itself once its store is empty. Not done: stopped now, so that
                // the figures are what arrived within the wait.
                int exit = progress.complete ? (echo.waitFor(30, TimeUnit.SECONDS) ? echo.exitValue() : -1) : stop(echo);
                Stats end = server.awaitQuiet(300, 5_000);
                byte[] seen = server.seen();
                List<Long> missing = CountingServer.missing(seen, records, null);
                bodyBytes = end.averageBody();
                Row row = row(delay, name + " (window " + echoPostSetting(logs, "max_in_flight") + ", deadline "
                        + echoPostSetting(logs, "timeout_s") + " s)", progress, end, missing, up);
                row.echoPost = true;
                row.exit = !progress.complete ? "stopped by the driver (" + exit + ")"
                        : exit < 0 ? "still running 30 s after the last record (killed)" : Integer.toString(exit);
                row.wholeCpuMicros = (progress.lastCpu - cpuAtFill) / 1e3 / Math.max(1, end.distinct());
                rows.add(row);
                noteRun(delay, name, progress, end, missing, logs, "echopost.err");
                finished = true;
                if (progress.complete && missing.isEmpty() && exit == 0) {
                    DeliveryRig.deleteTree(logs);
                    DeliveryRig.deleteTree(dir);
                } else {
                    notes.add(delay + " ms, " + name + ": kept for a look: " + dir + " and " + logs + " (EchoPost's events"
                            + " in echopost.out)");
                }
            }
        } finally {
            if (!finished) {
                notes.add(delay + " ms, " + name + ": kept for a look: " + dir + " and " + logs);
            }
            if (echo.isAlive()) {
                echo.destroy();
                if (!echo.waitFor(10, TimeUnit.SECONDS)) {
                    echo.destroyForcibly();
                }
            }
        }
    }

    /** SIGTERM, 10 s to go, then SIGKILL; the exit code. */
    private static int stop(Process process) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** A value from EchoPost's {@code started} event (stdout), or "?". */
    private static String echoPostSetting(Path logs, String key) {
        try {
            for (String line : Files.readAllLines(logs.resolve("echopost.out"))) {
                if (line.contains("\"event\":\"started\"")) {
                    Matcher value = Pattern.compile("\"" + key + "\":(\\d+)").matcher(line);
                    return value.find() ? value.group(1) : "? (not in its started event)";
                }
            }
        } catch (IOException ignored) {
            // reported as unknown
        }
        return "?";
    }

    private static void awaitSocket(Process echo, Path socket, Path logs) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!echo.isAlive()) {
                throw new IllegalStateException("EchoPost exited with " + echo.exitValue() + " before it listened: "
                        + tail(logs.resolve("echopost.err")) + " " + tail(logs.resolve("echopost.out")));
            }
            if (Files.exists(socket)) {
                try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    channel.connect(UnixDomainSocketAddress.of(socket));
                    return;
                } catch (IOException notYet) {
                    // bound but not accepting yet
                }
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        throw new IllegalStateException("EchoPost did not listen within 30 s: " + tail(logs.resolve("echopost.err")));
    }

    private static final EventLoopGroup LOOP = new EpollEventLoopGroup(1);
    /** Netty's "Unknown channel option 'SO_KEEPALIVE'" for a UNIX socket: noise on the driver's stderr. Held: JUL keeps loggers weakly. */
    private static final Logger NETTY_BOOTSTRAP_LOG = Logger.getLogger("io.grpc.netty.shaded.io.netty.bootstrap");

    /** Stores records 0..count-1 by SendBatch, one batch at a time: the store holds them in that order. */
    private static void fill(Path socket, int count) {
        NETTY_BOOTSTRAP_LOG.setLevel(Level.SEVERE);
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class).eventLoopGroup(LOOP).directExecutor().usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).build();
        try {
            LogAgentGrpc.LogAgentBlockingStub stub = LogAgentGrpc.newBlockingStub(channel);
            for (int first = 0; first < count; first += BATCH) {
                LogBatch.Builder batch = LogBatch.newBuilder();
                for (int seq = first; seq < Math.min(count, first + BATCH); seq++) {
                    batch.addLogs(LogRequest.newBuilder().setJsonData(logData(seq)).addPipelines("all"));
                }
                LogResponse response = stub.withDeadlineAfter(60, TimeUnit.SECONDS).sendBatch(batch.build());
                if (!response.getSuccess()) {
                    throw new IllegalStateException("EchoPost refused records " + first + "..: " + response.getMessage());
                }
            }
        } finally {
            channel.shutdownNow();
        }
    }

    // ---- replay-dropped ----

    private void replayDropped(int delay) throws Exception {
        Path dir = Files.createTempDirectory("bench-replay-dropped");
        Path logs = Files.createTempDirectory("bench-replay-dropped-logs");
        Path dropped = dir.resolve("dropped");
        Files.createDirectory(dropped, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        writeDropped(dropped, records, droppedFiles);
        String name = "`replay-dropped`";
        try (Handle server = Handle.start(java, 0, delay)) {
            List<String> command = List.of(java, "-jar", agent.toString(), "replay-dropped", "--dir", dir.toString());
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(logs.resolve("replay.out").toFile())
                    .redirectError(logs.resolve("replay.err").toFile());
            cleanEnvironment(builder.environment());
            builder.environment().put("DATANADHI_API_KEY", DeliveryRig.API_KEY);
            builder.environment().put("DATANADHI_SERVER_HOST", server.url());
            if (maxInFlight != null) {
                builder.environment().put("DATANADHI_MAX_IN_FLIGHT", maxInFlight.toString());
            }
            if (timeoutSeconds != null) {
                builder.environment().put("DATANADHI_SERVER_TIMEOUT", timeoutSeconds.toString());
            }
            long childrenCpu = childrenCpuNanos();
            long up = System.nanoTime();
            Process replay = builder.start();
            Progress progress = Progress.follow(replay, server, records, up, maxWaitSeconds);
            int exit;
            if (progress.complete && replay.waitFor(60, TimeUnit.SECONDS)) {
                exit = replay.exitValue();
            } else {
                exit = stop(replay);
            }
            long wholeCpu = childrenCpuNanos() - childrenCpu; // reaped children: this one alone
            Stats end = server.awaitQuiet(300, 5_000);
            List<Long> missing = CountingServer.missing(server.seen(), records, null);
            Row row = row(delay, name + ", " + droppedFiles + " file(s), window "
                    + (maxInFlight == null ? "default" : maxInFlight.toString()), progress, end, missing, up);
            row.exit = progress.complete ? Integer.toString(exit) : "stopped by the driver (" + exit + ")";
            row.wholeCpuMicros = wholeCpu / 1e3 / Math.max(1, end.distinct());
            rows.add(row);
            noteRun(delay, name, progress, end, missing, logs, "replay.err");
            List<String> out = Files.readAllLines(logs.resolve("replay.out"));
            List<String> left;
            try (Stream<Path> files = Files.list(dropped)) {
                left = files.map(p -> p.getFileName().toString()).filter(n -> !n.equals(".replay.lock")).sorted()
                        .collect(Collectors.toList());
            }
            notes.add(delay + " ms, " + name + ": its last line: `" + (out.isEmpty() ? "(nothing)" : out.get(out.size() - 1))
                    + "`; left in dropped/: " + (left.isEmpty() ? "nothing" : left));
            if (progress.complete && missing.isEmpty() && exit == 0) {
                DeliveryRig.deleteTree(dir);
                DeliveryRig.deleteTree(logs);
            } else {
                notes.add(delay + " ms, " + name + ": kept for a look: " + dir + " and " + logs);
            }
        }
    }

    /** {@code files} files of the agent's format ({@code primary_failed_<ms>_<n>.jsonl}, 0600), records in order. */
    private static void writeDropped(Path dropped, int count, int files) throws IOException {
        long ms = System.currentTimeMillis() - 60_000;
        int perFile = (count + files - 1) / files;
        for (int f = 0; f < files; f++) {
            Path file = dropped.resolve("primary_failed_" + (ms + f) + "_" + (f + 1) + ".jsonl");
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                for (int seq = f * perFile; seq < Math.min(count, (f + 1) * perFile); seq++) {
                    out.write("{\"pipelines\":[\"all\"],\"log_data\":");
                    out.write(logData(seq));
                    out.write("}\n");
                }
            }
        }
    }

    // ---- the baseline ----

    private void bare(int delay) throws Exception {
        int window = maxInFlight != null ? maxInFlight : ShippingBenchmark.AGENT_DEFAULT_MAX_IN_FLIGHT;
        int warmup = 2;
        try (Handle server = Handle.start(java, 0, delay)) {
            Path logs = Files.createTempDirectory("bench-bare");
            List<String> command = List.of(java, "-cp", ServerJvm.benchmarksJar().toString(), HttpLoadClient.class.getName(),
                    "pipelined", Integer.toString(server.port), "1", Integer.toString(window),
                    Integer.toString(warmup + seconds + 2), Long.toString(bodyBytes)); // + 2 s: running when the window ends
            long start = System.nanoTime();
            Process client = new ProcessBuilder(command).redirectOutput(logs.resolve("out").toFile())
                    .redirectError(logs.resolve("err").toFile()).start();
            DeliveryRig.sleepUntil(start + TimeUnit.SECONDS.toNanos(warmup));
            Stats before = server.stats();
            long cpu = DeliveryRig.cpuNanos(client.pid());
            long serverCpu = server.cpuNanos();
            long from = System.nanoTime();
            DeliveryRig.sleepUntil(start + TimeUnit.SECONDS.toNanos(warmup + seconds));
            Stats after = server.stats();
            cpu = DeliveryRig.cpuNanos(client.pid()) - cpu;
            serverCpu = server.cpuNanos() - serverCpu;
            double elapsed = (System.nanoTime() - from) / 1e9;
            if (!client.waitFor(60, TimeUnit.SECONDS)) {
                client.destroyForcibly();
            }
            long requests = after.posts() - before.posts();
            Row row = new Row(delay, "bare client: one connection, " + window + " pipelined (`PipelinedConnection`), flat out,"
                    + " " + seconds + " s");
            row.rate = requests / elapsed;
            row.cpuMicros = cpu / 1e3 / Math.max(1, requests);
            row.serverCpuMicros = serverCpu / 1e3 / Math.max(1, requests);
            row.connections = after.connectionsText();
            rows.add(row);
            notes.add(delay + " ms, bare pipelined client: " + Files.readString(logs.resolve("out")).trim());
            DeliveryRig.deleteTree(logs);
        }
    }

    // ---- following a replay ----

    /** What the server saw of a replay, polled every 5 ms, with the CPU of both JVMs. */
    private static final class Progress {
        boolean complete;
        String stopped;
        long distinctAtFirst = -1;
        long cpuAtFirst;
        long serverCpuAtFirst;
        long lastCpu;
        long lastServerCpu;
        long distinctAtLast;
        long endNanos;

        static Progress follow(Process replayer, Handle server, int records, long up, int maxWaitSeconds)
                throws IOException, InterruptedException {
            Progress progress = new Progress();
            long deadline = up + TimeUnit.SECONDS.toNanos(maxWaitSeconds);
            long lastDistinct = -1;
            long lastChange = System.nanoTime();
            while (true) {
                long cpu = DeliveryRig.cpuNanos(replayer.pid());
                long serverCpu = server.cpuNanos();
                Stats stats = server.stats();
                long now = System.nanoTime();
                if (cpu > 0) {
                    progress.lastCpu = cpu; // 0 once the process is gone: keep the last reading
                }
                progress.lastServerCpu = serverCpu;
                progress.distinctAtLast = stats.distinct();
                if (progress.distinctAtFirst < 0 && stats.distinct() > 0) {
                    progress.distinctAtFirst = stats.distinct();
                    progress.cpuAtFirst = cpu;
                    progress.serverCpuAtFirst = serverCpu;
                }
                if (stats.distinct() != lastDistinct) {
                    lastDistinct = stats.distinct();
                    lastChange = now;
                }
                if (stats.distinct() >= records) {
                    progress.complete = true;
                    break;
                }
                if (now > deadline) {
                    progress.stopped = String.format("not finished within %d s (--max-wait): %,d of %,d arrived",
                            maxWaitSeconds, stats.distinct(), records);
                    break;
                }
                if (now - lastChange > STALL_NANOS) {
                    progress.stopped = String.format("nothing new for %d s: %,d of %,d arrived",
                            TimeUnit.NANOSECONDS.toSeconds(STALL_NANOS), stats.distinct(), records);
                    break;
                }
                if (!replayer.isAlive()) {
                    // It may have sent its last records just before it exited: look once more.
                    TimeUnit.MILLISECONDS.sleep(200);
                    Stats last = server.stats();
                    progress.distinctAtLast = last.distinct();
                    progress.complete = last.distinct() >= records;
                    if (!progress.complete) {
                        progress.stopped = String.format("the replaying process exited (%d) with %,d of %,d arrived",
                                replayer.exitValue(), last.distinct(), records);
                    }
                    break;
                }
                TimeUnit.MILLISECONDS.sleep(5);
            }
            progress.endNanos = System.nanoTime();
            return progress;
        }

        /** The replayer's CPU per record between the first poll that saw one and the end. */
        double cpuMicros() {
            return distinctAtFirst < 0 ? Double.NaN
                    : (lastCpu - cpuAtFirst) / 1e3 / Math.max(1, distinctAtLast - distinctAtFirst);
        }

        double serverCpuMicros() {
            return distinctAtFirst < 0 ? Double.NaN
                    : (lastServerCpu - serverCpuAtFirst) / 1e3 / Math.max(1, distinctAtLast - distinctAtFirst);
        }
    }

    private Row row(int delay, String name, Progress progress, Stats end, List<Long> missing, long up) {
        Row row = new Row(delay, name + (progress.complete ? "" : " (**incomplete**)"));
        row.records = end.distinct();
        row.rate = end.distinct() / end.arrivalSeconds();
        // Both System.nanoTime() of JVMs on the same Linux machine: CLOCK_MONOTONIC, comparable.
        long first = end.get("first_arrival_ns");
        long last = end.get("last_arrival_ns");
        row.toFirst = first > up ? (first - up) / 1e9 : Double.NaN;
        row.fromUp = last > up ? (last - up) / 1e9 : Double.NaN;
        row.order = String.format("%,d / %,d", end.outOfOrder(), end.get("longest_in_order_run"));
        row.duplicates = String.format("%,d", end.duplicates());
        row.missing = String.format("%,d", missing.size());
        row.cpuMicros = progress.cpuMicros();
        row.serverCpuMicros = progress.serverCpuMicros();
        row.connections = end.connectionsText();
        return row;
    }

    private void noteRun(int delay, String name, Progress progress, Stats end, List<Long> missing, Path logs, String stderr) {
        String line = String.format("%d ms, %s: %,d distinct of %,d (%,d posts, %,d duplicates, %,d without a number,"
                + " %,d from EchoPost), %,d out of order, longest in-order run %,d, %,d missing", delay, name, end.distinct(),
                records, end.posts(), end.duplicates(), end.get("unsequenced"), end.get("from_echopost"), end.outOfOrder(),
                end.get("longest_in_order_run"), missing.size());
        if (!missing.isEmpty()) {
            line += " (first: " + missing.subList(0, Math.min(10, missing.size())) + ")";
        }
        if (progress.stopped != null) {
            line += "; **stopped waiting: " + progress.stopped + "**";
        }
        List<String> warnings = RunInfo.agentWarnings(logs.resolve(stderr));
        if (!warnings.isEmpty()) {
            line += "; on its stderr: " + String.join("; ", warnings);
        }
        notes.add(line);
    }

    // ---- helpers ----

    /** {@code log_data} of {@link #RECORD_BYTES} bytes, shaped like an agent record, its number in the message. */
    static String logData(long seq) {
        String head = "{\"message\":\"order placed seq=" + seq + "\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\","
                + "\"timestamp\":\"2026-11-22T10:15:42.458Z\",\"module_name\":\"bench\",\"log_record\":{\"filename\":"
                + "\"Orders.java\",\"function_name\":\"place\",\"line_number\":42,\"level\":\"INFO\",\"module_name\":"
                + "\"com.acme.Orders\",\"class_name\":\"com.acme.Orders\",\"thread_name\":\"main\",\"native_level\":\"INFO\","
                + "\"framework\":\"jul\"},\"context\":{\"pad\":\"";
        StringBuilder json = new StringBuilder(head);
        while (json.length() < RECORD_BYTES - 3) {
            json.append('x');
        }
        return json.append("\"}}").toString();
    }

    private static void cleanEnvironment(Map<String, String> env) {
        env.keySet().removeIf(k -> k.startsWith("DATANADHI_") || k.equals("JAVA_TOOL_OPTIONS"));
    }

    /** CPU of this JVM's children that have exited and been reaped (cutime + cstime), from /proc. */
    private static long childrenCpuNanos() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[13]) + Long.parseLong(fields[14])) * 10_000_000L; // USER_HZ = 100
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String tail(Path file) {
        try {
            String text = Files.readString(file).trim();
            return text.isEmpty() ? "(" + file.getFileName() + " empty)" : "`" + text.substring(Math.max(0, text.length() - 1500)) + "`";
        } catch (IOException e) {
            return "";
        }
    }

    private void print() {
        System.out.println();
        System.out.println("| server delay | replay | records delivered | records/s, first to last arrival |"
                + " from server up (replay-dropped: from its start) to first / last arrival | out of order / longest in-order run | duplicates | missing |"
                + " replaying JVM's CPU per record | the same, whole run | server CPU per record | connections: accepted / most open | exit |");
        System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row row : rows) {
            System.out.printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    row.delay < 0 ? "–" : row.delay + " ms", row.name,
                    row.records < 0 ? "–" : String.format("%,d", row.records),
                    Double.isNaN(row.rate) || Double.isInfinite(row.rate) ? "–" : String.format("**%,.0f**", row.rate),
                    Double.isNaN(row.fromUp) ? "–" : String.format("%.2f / %.2f s", row.toFirst, row.fromUp), row.order,
                    row.duplicates,
                    row.missing, micros(row.cpuMicros), micros(row.wholeCpuMicros), micros(row.serverCpuMicros),
                    row.connections, row.exit);
        }
        System.out.println();
        List<String> goals = new ArrayList<>();
        for (Row row : rows) {
            if (row.echoPost && (row.delay == 0 || row.delay == 30) && row.records >= 0) {
                int goal = row.delay == 30 ? 2_000 : 19_500;
                boolean inOrder = row.order.startsWith("0 /") && row.duplicates.equals("0") && row.missing.equals("0");
                goals.add(String.format("EchoPost at %d ms, at least %,d records/s in store order: %,.0f/s, %s: **%s**",
                        row.delay, goal, row.rate, inOrder ? "in order, none duplicated or missing"
                                : "order " + row.order + ", duplicates " + row.duplicates + ", missing " + row.missing,
                        row.rate >= goal && inOrder ? "met" : "not met"));
            }
        }
        if (!goals.isEmpty()) {
            System.out.println();
            System.out.println("Goals: " + String.join("; ", goals) + ".");
        }
        System.out.println();
        System.out.println("CPU per record: user + system time (/proc) between the first poll that saw a replayed record"
                + " and the last record, divided by the records in between; \"whole run\": EchoPost from the end of the fill"
                + " (health checks while the server was down included), replay-dropped from its JVM's start to its exit.");
        for (String note : notes) {
            System.out.println("- " + note);
        }
    }

    private static String micros(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "–" : String.format("%.1f µs", value);
    }

    private static final class Row {
        final int delay;
        final String name;
        long records = -1;
        double rate = Double.NaN;
        double fromUp = Double.NaN;
        double toFirst = Double.NaN;
        String order = "–";
        String duplicates = "–";
        String missing = "–";
        double cpuMicros = Double.NaN;
        double wholeCpuMicros = Double.NaN;
        double serverCpuMicros = Double.NaN;
        String connections = "–";
        String exit = "–";
        boolean echoPost;

        Row(int delay, String name) {
            this.delay = delay;
            this.name = name;
        }
    }
}
