package io.datanadhi.bench;

import io.datanadhi.bench.CountingServer.Handle;
import io.datanadhi.bench.CountingServer.Stats;
import io.datanadhi.bench.DeliveryRig.App;
import io.datanadhi.bench.DeliveryRig.Dropped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Sustained shipping to a server some milliseconds away: an application JVM with the agent logs
 * through java.util.logging at a steady rate suited to each server delay (0, 1, 10, 30 and
 * 100 ms a request by default), and once, at 0 ms, a burst as fast as it can (the ceiling). The
 * server ({@link CountingServer}: holds any number of requests in flight, answers each after the
 * delay) runs in its own JVM and counts what arrives by sequence number; lost = logged -
 * delivered - what the agent wrote to {@code dropped/}. For each run: the CPU of the app's JVM
 * per delivered record and the server JVM's CPU (both from /proc), and the connections the
 * server saw. Baselines from the same run, against the same delayed server: bare clients in their
 * own JVM ({@link HttpLoadClient}) sending bodies of the agent's size at the same rate: the
 * agent's {@code ConnectionPool} with the same window ({@code netty}), and blocking sockets, a
 * thread each ({@code socket}); and at 0 ms both flat out, the burst's yardstick.
 *
 * <pre>java -cp benchmarks/target/datanadhi-benchmarks.jar io.datanadhi.bench.ShippingBenchmark
 *      [--java JAVA] [--agent JAR] [--seconds 20] [--warmup 5] [--workers 2] [--max-in-flight N]
 *      [--delays 0,1,10,30,100] [--rates 0=20000,1=20000,10=10000,30=5000,100=2400] [--burst 300000]
 *      [--burst-after-ms 0] [--bare netty,socket]</pre>
 *
 * {@code --max-in-flight} sets {@code DATANADHI_MAX_IN_FLIGHT} (default: not set, the agent's
 * default of 256) and the bare Netty client's window; {@code --burst 0} and {@code --bare none}
 * leave those runs out; {@code --burst-after-ms} makes the burst's app wait that long before it
 * logs (default 0: at once, so that what it logs while the agent starts beyond the start-up
 * buffer is skipped, and counted as lost). A delay without a rate in {@code --rates} gets 90 % of what the window
 * can carry at that delay, at most 20 000/s.
 */
public final class ShippingBenchmark {

    /** {@code async.max_in_flight}'s default: the bare Netty client's window when none is set. */
    static final int AGENT_DEFAULT_MAX_IN_FLIGHT = 256;
    static final Map<Integer, Integer> DEFAULT_RATES = Map.of(0, 20_000, 1, 20_000, 10, 10_000, 30, 5_000, 100, 2_400);

    private final String java;
    private final Path agent;
    private final int seconds;
    private final int warmup;
    private final int workers;
    /** Null: DATANADHI_MAX_IN_FLIGHT not set. */
    private final Integer maxInFlight;
    private final Path classPath;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    /** The agent's average body, from the last run with it: what the bare clients send. */
    private long bodyBytes = 461;

    private ShippingBenchmark(String java, Path agent, int seconds, int warmup, int workers, Integer maxInFlight)
            throws IOException {
        this.java = java;
        this.agent = agent;
        this.seconds = seconds;
        this.warmup = warmup;
        this.workers = workers;
        this.maxInFlight = maxInFlight;
        this.classPath = DeliveryRig.appClassPath();
    }

    private int window() {
        return maxInFlight != null ? maxInFlight : AGENT_DEFAULT_MAX_IN_FLIGHT;
    }

    public static void main(String[] args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path agent = Path.of("agent/target/datanadhi-agent.jar");
        int seconds = 20;
        int warmup = 5;
        int workers = 2;
        int burst = 300_000;
        int burstAfter = 0;
        Integer maxInFlight = null;
        List<Integer> delays = new ArrayList<>(List.of(0, 1, 10, 30, 100));
        Map<Integer, Integer> rates = new HashMap<>(DEFAULT_RATES);
        List<String> bare = new ArrayList<>(List.of("netty", "socket"));
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            String value = args[i + 1];
            switch (args[i]) {
                case "--java": java = value; break;
                case "--agent": agent = Path.of(value); break;
                case "--seconds": seconds = Integer.parseInt(value); break;
                case "--warmup": warmup = Integer.parseInt(value); break;
                case "--workers": workers = Integer.parseInt(value); break;
                case "--burst": burst = Integer.parseInt(value); break;
                case "--burst-after-ms": burstAfter = Integer.parseInt(value); break;
                case "--max-in-flight": maxInFlight = Integer.parseInt(value); break;
                case "--delays":
                    delays.clear();
                    for (String delay : value.split(",")) {
                        if (!delay.isBlank()) {
                            delays.add(Integer.parseInt(delay.trim()));
                        }
                    }
                    break;
                case "--rates":
                    for (String entry : value.split(",")) {
                        if (entry.isBlank()) {
                            continue;
                        }
                        String[] pair = entry.split("=");
                        if (pair.length != 2) {
                            throw new IllegalArgumentException("--rates takes DELAY=RATE,...: " + entry);
                        }
                        rates.put(Integer.parseInt(pair[0].trim()), Integer.parseInt(pair[1].trim()));
                    }
                    break;
                case "--bare":
                    bare.clear();
                    for (String mode : value.split(",")) {
                        if (mode.equals("netty") || mode.equals("socket")) {
                            bare.add(mode);
                        } else if (!mode.equals("none")) {
                            throw new IllegalArgumentException("--bare takes netty, socket or none: " + mode);
                        }
                    }
                    break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        if (!Files.isRegularFile(agent)) {
            throw new IllegalArgumentException(agent.toAbsolutePath() + " not found: build the agent first, or give --agent");
        }
        ShippingBenchmark bench = new ShippingBenchmark(java, agent, seconds, warmup, workers, maxInFlight);
        for (int delay : delays) {
            rates.putIfAbsent(delay, delay == 0 ? 20_000 : (int) Math.min(20_000, 0.9 * bench.window() * 1000.0 / delay));
        }
        List<String> options = new ArrayList<>(List.of("--java", java, "--agent", agent.toString(), "--seconds",
                Integer.toString(seconds), "--warmup", Integer.toString(warmup), "--workers", Integer.toString(workers)));
        if (maxInFlight != null) {
            options.addAll(List.of("--max-in-flight", maxInFlight.toString()));
        }
        options.addAll(List.of("--delays", delays.stream().map(String::valueOf).collect(Collectors.joining(",")),
                "--rates", delays.stream().map(d -> d + "=" + rates.get(d)).collect(Collectors.joining(",")),
                "--burst", Integer.toString(burst), "--burst-after-ms", Integer.toString(burstAfter),
                "--bare", bare.isEmpty() ? "none" : String.join(",", bare)));

        System.out.println("Shipping benchmark: " + RunInfo.jdk(java) + ", " + RunInfo.machine() + "; " + workers
                + " workers, async.max_in_flight " + (maxInFlight == null ? "not set (the agent's default, "
                + AGENT_DEFAULT_MAX_IN_FLIGHT + ")" : maxInFlight) + ", other agent settings at their defaults; "
                + seconds + " s measured after " + warmup + " s of warm-up; the server in its own JVM (CountingServer)");
        System.out.println("Reproduce: " + RunInfo.command(ShippingBenchmark.class, options));
        System.out.flush();

        for (int delay : delays) {
            int rate = rates.get(delay);
            bench.steady(delay, rate);
            if (bare.contains("netty")) {
                bench.bare(delay, "netty", workers, bench.window(), rate, String.format(
                        "bare Netty client (`ConnectionPool`), %d threads, window %d, %,d/s", workers, bench.window(), rate));
            }
            if (bare.contains("socket")) {
                int sockets = delay == 0 ? workers : bench.window();
                bench.bare(delay, "socket", sockets, 1, rate, String.format(
                        "bare blocking sockets, %d threads, one request each, %,d/s", sockets, rate));
            }
        }
        if (burst > 0) {
            bench.burst(burst, burstAfter);
            if (bare.contains("socket")) {
                bench.bare(0, "socket", workers, 1, 0, String.format(
                        "bare blocking sockets, %d threads, one request each, flat out", workers));
            }
            if (bare.contains("netty")) {
                bench.bare(0, "netty", workers, bench.window(), 0, String.format(
                        "bare Netty client (`ConnectionPool`), %d threads, window %d, flat out", workers, bench.window()));
            }
        }
        bench.appAlone();
        bench.print();
        DeliveryRig.deleteTree(bench.classPath);
        System.exit(0);
    }

    /** A line on stderr as each run starts: the table comes at the end. */
    static void progress(String what) {
        System.err.println(LocalTime.now().withNano(0) + " " + what);
        System.err.flush();
    }

    private Map<String, String> env(Path dir, Handle server) {
        Map<String, String> env = new HashMap<>(Map.of("DATANADHI_DIR", dir.toString(),
                "DATANADHI_SERVER_HOST", server.url(),
                "DATANADHI_API_KEY", DeliveryRig.API_KEY,
                "DATANADHI_WORKERS", Integer.toString(workers)));
        if (maxInFlight != null) {
            env.put("DATANADHI_MAX_IN_FLIGHT", maxInFlight.toString());
        }
        return env;
    }

    /** The agent attached, the app logging {@code rate} records a second for warm-up + measured seconds. */
    private void steady(int delay, int rate) throws Exception {
        progress(delay + " ms: the agent, steady " + rate + "/s");
        Path dir = DeliveryRig.dataNadhiDir("bench-ship");
        try (Handle server = Handle.start(java, 0, delay)) {
            App app = new App(java, agent, classPath, env(dir, server),
                    List.of(Integer.toString(rate), Integer.toString(warmup + seconds)), dir.resolve("logs"));
            Window window = Window.measure(app.process, app.startNanos, server, warmup, seconds, true);
            int exit = app.awaitExit(warmup + seconds + 60);
            String echoPost = awaitEchoPost(dir);
            Stats end = server.awaitQuiet(300, 10_000);
            long logged = app.logged();
            Dropped dropped = Dropped.scan(dir);
            List<Long> missing = CountingServer.missing(server.seen(), logged, dropped.sequences);
            bodyBytes = end.averageBody();
            Row row = new Row(delay, String.format("with the agent, steady %,d/s", rate), true);
            row.logged = logged / app.loggingSeconds();
            row.delivered = window.rate();
            window.fill(row);
            row.connections = end.connectionsText();
            row.dropped = dropped.toString();
            row.lost = lostText(missing);
            rows.add(row);
            note(delay + " ms, steady " + rate + "/s", logged, end, dropped, missing, dir, app, exit, echoPost);
            deleteIfClean(dir, missing);
        }
    }

    /**
     * The agent attached, {@code records} logged as fast as one thread can, with a queue that
     * holds them all; the app stays up until they are delivered. Delivered/s from the first
     * arrival to the last: the agent's ceiling on this machine. Server delay 0.
     */
    private void burst(int records, int afterMillis) throws Exception {
        progress("0 ms: the agent, a burst of " + records);
        Path dir = DeliveryRig.dataNadhiDir("bench-burst");
        try (Handle server = Handle.start(java, 0, 0)) {
            Map<String, String> env = env(dir, server);
            env.put("DATANADHI_QUEUE_SIZE", Integer.toString(records + records / 2));
            if (afterMillis > 0) {
                env.put("BENCH_START_DELAY_MS", Integer.toString(afterMillis));
            }
            App app = new App(java, agent, classPath, env,
                    List.of("0", "600", Integer.toString(records), "stay"), dir.resolve("logs"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            // CPU of both JVMs read at the first poll that saw an arrival, and at every poll that saw a new one.
            long cpuBefore = -1;
            long serverCpuBefore = 0;
            long distinctBefore = 0;
            long measuredFrom = 0;
            long cpuAtLast = 0;
            long serverCpuAtLast = 0;
            long distinctAtLast = 0;
            long measuredTo = 0;
            String stopped = null;
            while (true) {
                Stats stats = server.stats();
                long now = System.nanoTime();
                if (stats.distinct() != distinctAtLast) {
                    long cpu = DeliveryRig.cpuNanos(app.process.pid());
                    long serverCpu = server.cpuNanos();
                    if (cpuBefore < 0) {
                        cpuBefore = cpu;
                        serverCpuBefore = serverCpu;
                        distinctBefore = stats.distinct();
                        measuredFrom = now;
                    }
                    cpuAtLast = cpu;
                    serverCpuAtLast = serverCpu;
                    distinctAtLast = stats.distinct();
                    measuredTo = now;
                }
                if (stats.distinct() >= records) {
                    break;
                }
                if (now > deadline) {
                    stopped = "not all delivered within 300 s";
                    break;
                }
                if (!app.process.isAlive()) {
                    stopped = "the app exited";
                    break;
                }
                // What the agent never took (skipped at start-up, lost) never comes: stop when nothing new does.
                if (now - Math.max(measuredTo, app.startNanos) > TimeUnit.SECONDS.toNanos(10)
                        && Files.readString(app.stdout).startsWith("logged ")) {
                    stopped = "nothing new for 10 s after the app had logged everything";
                    break;
                }
                TimeUnit.MILLISECONDS.sleep(5);
            }
            long cpu = cpuAtLast - cpuBefore;
            long serverCpu = serverCpuAtLast - serverCpuBefore;
            double cpuSeconds = (measuredTo - measuredFrom) / 1e9;
            long measured = Math.max(1, distinctAtLast - distinctBefore);
            app.process.getOutputStream().close(); // the app may exit now
            int exit = app.awaitExit(60);
            String echoPost = awaitEchoPost(dir);
            Stats end = server.awaitQuiet(300, 10_000);
            long logged = app.logged();
            Dropped dropped = Dropped.scan(dir);
            List<Long> missing = CountingServer.missing(server.seen(), logged, dropped.sequences);
            Row row = new Row(0, String.format("with the agent, a burst of %,d logged as fast as one thread can%s", records,
                    stopped == null ? "" : " (**" + stopped + "**)"), true);
            row.burst = true;
            row.logged = logged / app.loggingSeconds();
            row.delivered = end.distinct() / end.arrivalSeconds();
            row.cpuMicros = cpu / 1e3 / measured;
            row.clientCores = cpu / 1e9 / cpuSeconds;
            row.serverCores = serverCpu / 1e9 / cpuSeconds;
            row.serverCpuMicros = serverCpu / 1e3 / measured;
            row.connections = end.connectionsText();
            row.dropped = dropped.toString();
            row.lost = lostText(missing);
            rows.add(row);
            note("0 ms, burst", logged, end, dropped, missing, dir, app, exit, echoPost);
            deleteIfClean(dir, missing);
        }
    }

    /** The same app without the agent, logging as fast as it can: what the agent must keep up with. */
    private void appAlone() throws Exception {
        progress("the app alone");
        Path dir = Files.createTempDirectory("bench-alone");
        int alone = Math.min(seconds, 10); // its rate is steady after a second or two
        App app = new App(java, null, classPath, Map.of(), List.of("0", Integer.toString(alone)), dir);
        app.awaitExit(alone + 60);
        Row row = new Row(-1, "the app alone (no agent), flat out", false);
        row.logged = app.logged() / app.loggingSeconds();
        rows.add(row);
        DeliveryRig.deleteTree(dir);
    }

    /** A bare client in its own JVM posting bodies of the agent's size to a server at {@code delay}. */
    private void bare(int delay, String mode, int threads, int inFlight, double rate, String name) throws Exception {
        progress(delay + " ms: " + name);
        try (Handle server = Handle.start(java, 0, delay)) {
            Path logs = Files.createTempDirectory("bench-bare");
            List<String> command = List.of(java, "-cp", ServerJvm.benchmarksJar().toString(),
                    HttpLoadClient.class.getName(), mode, Integer.toString(server.port), Integer.toString(threads),
                    Integer.toString(inFlight), Integer.toString(warmup + seconds + 2), Long.toString(bodyBytes),
                    Double.toString(rate));
            long start = System.nanoTime();
            Process process = new ProcessBuilder(command).redirectOutput(logs.resolve("out").toFile())
                    .redirectError(logs.resolve("err").toFile()).start();
            Window window = Window.measure(process, start, server, warmup, seconds, false);
            process.destroy(); // the window is over; it would go on for 2 s more
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                notes.add(name + ", " + delay + " ms: the client did not stop; killed");
            }
            Stats end = server.stats();
            Row row = new Row(delay, name, false);
            row.logged = rate > 0 ? rate : Double.NaN;
            row.delivered = window.rate();
            window.fill(row);
            row.connections = end.connectionsText();
            rows.add(row);
            String out = Files.readString(logs.resolve("out")).trim();
            String err = Files.readString(logs.resolve("err")).trim();
            if (!err.isEmpty() || !out.contains(" 0 failed")) {
                notes.add(delay + " ms, " + name + ": " + out + (err.isEmpty() ? "" : "; stderr: `"
                        + err.substring(0, Math.min(300, err.length())) + "`"));
            }
            DeliveryRig.deleteTree(logs);
        }
    }

    private static String lostText(List<Long> missing) {
        return missing.isEmpty() ? "0" : "**" + missing.size() + "**";
    }

    /**
     * An EchoPost the agent started (the primary looked down for a moment) replays what it holds
     * and exits once the server answers: up to 60 s for that, then it is killed. Null when none ran.
     */
    private static String awaitEchoPost(Path dir) throws InterruptedException {
        Path echoPostDir = dir.resolve("echopost");
        if (!Files.isDirectory(echoPostDir)) {
            return null;
        }
        long start = System.nanoTime();
        while (!DeliveryRig.echoPosts(echoPostDir).isEmpty()) {
            if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(60)) {
                int killed = DeliveryRig.killEchoPosts(echoPostDir);
                return "**an EchoPost the agent started was still running 60 s after the app exited: killed (" + killed
                        + "); what it held counts as lost**";
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        return "the agent used EchoPost (its directory exists); none was running "
                + String.format("%.1f s", (System.nanoTime() - start) / 1e9) + " after the app exited";
    }

    private void note(String variant, long logged, Stats stats, Dropped dropped, List<Long> missing, Path dir, App app,
            int exit, String echoPost) {
        String line = String.format("%s: logged %,d, delivered %,d distinct (%,d duplicates, %,d without a sequence number), "
                + "dropped %s, lost %,d; %,d connections accepted, at most %,d open at once; app exit code %d", variant,
                logged, stats.distinct(), stats.duplicates(), stats.get("unsequenced"), dropped, missing.size(),
                stats.connections(), stats.mostOpen(), exit);
        if (!missing.isEmpty()) {
            line += "; first missing: " + missing.subList(0, Math.min(20, missing.size())) + "; kept for a look: " + dir;
        }
        if (echoPost != null) {
            line += "; " + echoPost + " (" + stats.get("from_echopost") + " records came from EchoPost)";
        }
        List<String> warnings = RunInfo.agentWarnings(app.stderr);
        if (!warnings.isEmpty()) {
            line += "; the agent said: " + String.join("; ", warnings);
        }
        notes.add(line);
    }

    private static void deleteIfClean(Path dir, List<Long> missing) throws IOException {
        if (missing.isEmpty()) {
            DeliveryRig.deleteTree(dir);
        }
    }

    private void print() {
        Map<Integer, Row> nettyAtRate = new LinkedHashMap<>();
        Row socketFlatOut = null;
        Row nettyFlatOut = null;
        for (Row row : rows) {
            if (row.name.startsWith("bare Netty") && !Double.isNaN(row.logged)) {
                nettyAtRate.putIfAbsent(row.delay, row);
            } else if (row.name.startsWith("bare blocking") && Double.isNaN(row.logged)) {
                socketFlatOut = row;
            } else if (row.name.startsWith("bare Netty")) {
                nettyFlatOut = row;
            }
        }
        System.out.println();
        System.out.println("| server delay | run | logged/s (bare: offered) | delivered/s | client JVM CPU per record | "
                + "÷ bare Netty's | CPU, cores: client JVM / server JVM | server CPU per record | connections: accepted / most open |"
                + " dropped | lost |");
        System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        for (Row row : rows) {
            Row baseline = row.agent && !row.burst ? nettyAtRate.get(row.delay) : row.burst ? nettyFlatOut : null;
            System.out.printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    row.delay < 0 ? "–" : row.delay + " ms", row.name + row.note, number(row.logged, false),
                    number(row.delivered, row.agent), micros(row.cpuMicros),
                    baseline == null || Double.isNaN(row.cpuMicros) ? "–" : String.format("%.1f", row.cpuMicros / baseline.cpuMicros),
                    Double.isNaN(row.serverCores) ? "–" : String.format("%s / %.2f",
                            Double.isNaN(row.clientCores) ? "–" : String.format("%.2f", row.clientCores), row.serverCores),
                    micros(row.serverCpuMicros), row.connections, row.dropped, row.lost);
        }
        System.out.println();
        System.out.println("Average body: " + bodyBytes + " bytes. Delivered/s: over the measured window (the burst: from"
                + " its first arrival to its last). CPU per record: the JVM's user + system time (/proc) over that window,"
                + " divided by the records delivered in it (the app's JVM: logging included).");
        for (Row row : rows) {
            if (row.burst) {
                if (socketFlatOut != null) {
                    System.out.printf("Burst to the bare blocking-socket client flat out: %.2f; ", row.delivered / socketFlatOut.delivered);
                }
                if (nettyFlatOut != null) {
                    System.out.printf("to the bare Netty client flat out: %.2f", row.delivered / nettyFlatOut.delivered);
                }
                System.out.println();
            }
        }
        System.out.println();
        goals();
        System.out.println();
        for (String note : notes) {
            System.out.println("- " + note);
        }
    }

    /** The goals, with default settings, against this run's figures. */
    private void goals() {
        if (maxInFlight != null || workers != 2) {
            System.out.println("Goals: stated for the default settings (2 workers, async.max_in_flight unset); not checked.");
            return;
        }
        List<String> lines = new ArrayList<>();
        for (Row row : rows) {
            if (row.agent && !row.burst && (row.delay == 30 || row.delay == 100)) {
                int goal = row.delay == 30 ? 5_000 : 2_000;
                boolean met = row.delivered >= goal && "0".equals(row.lost) && (row.delay != 30 || "0".equals(row.dropped));
                lines.add(String.format("%d ms: at least %,d records/s delivered%s, nothing lost: %,.0f/s, dropped %s, lost %s:"
                        + " **%s**", row.delay, goal, row.delay == 30 ? ", nothing in dropped/" : "", row.delivered, row.dropped,
                        row.lost, met ? "met" : "not met"));
            } else if (row.burst) {
                lines.add(String.format("0 ms, the burst: a ceiling of at least 45 000 records/s with 2 workers: %,.0f/s: **%s**",
                        row.delivered, row.delivered >= 45_000 ? "met" : "not met"));
            }
        }
        if (!lines.isEmpty()) {
            System.out.println("Goals (default settings): " + String.join("; ", lines) + ". The logging thread's cost per"
                    + " shipped event: CaptureCostBenchmark --cases shipped.");
        }
    }

    private static String number(double value, boolean bold) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "–";
        }
        String text = String.format("%,.0f", value);
        return bold ? "**" + text + "**" : text;
    }

    private static String micros(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "–" : String.format("%.1f µs", value);
    }

    /** One line of the table. NaN: not measured for this variant. */
    private static final class Row {
        final int delay;
        final String name;
        final boolean agent;
        boolean burst;
        double logged = Double.NaN;
        double delivered = Double.NaN;
        double clientCores = Double.NaN;
        double serverCores = Double.NaN;
        double cpuMicros = Double.NaN;
        double serverCpuMicros = Double.NaN;
        String connections = "–";
        String dropped = "–";
        String lost = "–";
        String note = "";

        Row(int delay, String name, boolean agent) {
            this.delay = delay;
            this.name = name;
            this.agent = agent;
        }
    }

    /** Deliveries and CPU between warm-up end and the end of the measured seconds, counted at the server. */
    private static final class Window {
        long delivered;
        long clientCpuNanos;
        long serverCpuNanos;
        double seconds;
        boolean clientAlive;

        /** {@code distinct}: count distinct sequence numbers (the agent), else every POST (bare clients). */
        static Window measure(Process client, long startNanos, Handle server, int warmup, int seconds, boolean distinct)
                throws InterruptedException, IOException {
            DeliveryRig.sleepUntil(startNanos + TimeUnit.SECONDS.toNanos(warmup));
            long start = System.nanoTime();
            Stats before = server.stats();
            long cpu = DeliveryRig.cpuNanos(client.pid());
            long serverCpu = server.cpuNanos();
            DeliveryRig.sleepUntil(startNanos + TimeUnit.SECONDS.toNanos(warmup + seconds));
            Stats after = server.stats();
            Window window = new Window();
            window.clientAlive = client.isAlive(); // else /proc has no CPU for it any more
            window.delivered = distinct ? after.distinct() - before.distinct() : after.posts() - before.posts();
            window.clientCpuNanos = DeliveryRig.cpuNanos(client.pid()) - cpu;
            window.serverCpuNanos = server.cpuNanos() - serverCpu;
            window.seconds = (System.nanoTime() - start) / 1e9;
            return window;
        }

        double rate() {
            return delivered / seconds;
        }

        void fill(Row row) {
            if (!clientAlive) {
                row.note = " (**its JVM exited before the window ended: CPU not measured**)";
                clientCpuNanos = 0;
            }
            row.clientCores = clientAlive ? clientCpuNanos / 1e9 / seconds : Double.NaN;
            row.serverCores = serverCpuNanos / 1e9 / seconds;
            row.cpuMicros = clientAlive ? clientCpuNanos / 1e3 / Math.max(1, delivered) : Double.NaN;
            row.serverCpuMicros = serverCpuNanos / 1e3 / Math.max(1, delivered);
        }
    }
}
