package io.datanadhi.bench;

import io.datanadhi.bench.DeliveryRig.App;
import io.datanadhi.bench.DeliveryRig.Counter;
import io.datanadhi.bench.DeliveryRig.Dropped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sustained shipping: an application JVM with the agent logs through java.util.logging at steady
 * rates, and once as a burst as fast as it can, to a local server that answers 200 at once.
 * Delivered records are counted at the server, by sequence number; lost = logged - delivered -
 * what the agent wrote to {@code dropped/}. Baselines from the same run: the application alone,
 * and bare HTTP clients posting the same bodies to the same server from their own JVM.
 *
 * <pre>java -cp benchmarks/target/datanadhi-benchmarks.jar io.datanadhi.bench.ShippingBenchmark
 *      [--java JAVA] [--seconds 20] [--warmup 5] [--rates 20000,30000] [--burst 300000] [--workers 2]</pre>
 */
public final class ShippingBenchmark {

    private final String java;
    private final Path agent;
    private final int seconds;
    private final int warmup;
    private final int workers;
    private final Path classPath;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    /** The baseline: a bare client doing what the agent's workers do (keep-alive sockets, one request each in flight). */
    private double bareSocket;
    private long bodyBytes = 420;

    private ShippingBenchmark(String java, Path agent, int seconds, int warmup, int workers) throws IOException {
        this.java = java;
        this.agent = agent;
        this.seconds = seconds;
        this.warmup = warmup;
        this.workers = workers;
        this.classPath = DeliveryRig.appClassPath();
    }

    public static void main(String[] args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path agent = Path.of("agent/target/datanadhi-agent.jar");
        int seconds = 20;
        int warmup = 5;
        int workers = 2;
        int burst = 300_000;
        List<Integer> rates = new ArrayList<>(List.of(20_000, 30_000));
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--java": java = args[i + 1]; break;
                case "--agent": agent = Path.of(args[i + 1]); break;
                case "--seconds": seconds = Integer.parseInt(args[i + 1]); break;
                case "--warmup": warmup = Integer.parseInt(args[i + 1]); break;
                case "--workers": workers = Integer.parseInt(args[i + 1]); break;
                case "--burst": burst = Integer.parseInt(args[i + 1]); break;
                case "--rates":
                    rates.clear();
                    for (String rate : args[i + 1].split(",")) {
                        if (!rate.isBlank()) {
                            rates.add(Integer.parseInt(rate.trim()));
                        }
                    }
                    break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        ShippingBenchmark bench = new ShippingBenchmark(java, agent, seconds, warmup, workers);
        System.out.println("Shipping benchmark: " + Runtime.getRuntime().availableProcessors() + " cores, " + java
                + ", " + workers + " workers, " + seconds + " s measured after " + warmup + " s of warm-up");
        for (int rate : rates) {
            bench.steady(rate);
        }
        if (burst > 0) {
            bench.burst(burst);
        }
        bench.appAlone();
        bench.bareClient("jdk", 64, "bare `java.net.http` client, " + workers + " threads × 64 in flight");
        bench.bareClient("socket", 1, "bare plain-socket client, " + workers + " keep-alive connections");
        bench.print();
        System.exit(0);
    }

    private Map<String, String> env(Path dir, AcceptingHttpServer server) {
        return Map.of("DATANADHI_DIR", dir.toString(),
                "DATANADHI_SERVER_HOST", "http://127.0.0.1:" + server.port(),
                "DATANADHI_API_KEY", DeliveryRig.API_KEY,
                "DATANADHI_WORKERS", Integer.toString(workers));
    }

    /** The agent attached, the app logging {@code rate} records a second for warm-up + measured seconds. */
    private void steady(int rate) throws Exception {
        Counter counter = new Counter();
        Path dir = DeliveryRig.dataNadhiDir("bench-ship");
        try (AcceptingHttpServer server = AcceptingHttpServer.serving(0, counter)) {
            App app = new App(java, agent, classPath, env(dir, server),
                    List.of(Integer.toString(rate), Integer.toString(warmup + seconds)), dir.resolve("logs"));
            Window window = Window.measure(app, counter, warmup, seconds);
            app.awaitExit(warmup + seconds + 60);
            long logged = app.logged();
            Dropped dropped = Dropped.scan(dir);
            List<Long> missing = counter.missing(logged, dropped.sequences);
            bodyBytes = counter.bodyBytes.get() / Math.max(1, counter.posts.get());
            double delivered = window.delivered / (double) seconds;
            rows.add(new Row(String.format("with the agent, steady %,d/s", rate), logged / app.loggingSeconds(), delivered,
                    window.appCores(), window.serverCores(), window.appCpuNanos / 1e3 / Math.max(1, window.delivered),
                    dropped.toString(), lostText(missing)));
            note(rate + "/s", logged, counter, dropped, missing, dir);
            deleteIfClean(dir, missing);
        }
    }

    /**
     * The agent attached, {@code records} logged as fast as one thread can, with a queue that
     * holds them all; the app stays up until they are delivered. Delivered/s from the first
     * arrival to the last: the agent's ceiling on this machine.
     */
    private void burst(int records) throws Exception {
        Counter counter = new Counter();
        Path dir = DeliveryRig.dataNadhiDir("bench-burst");
        try (AcceptingHttpServer server = AcceptingHttpServer.serving(0, counter)) {
            Map<String, String> env = new java.util.HashMap<>(env(dir, server));
            env.put("DATANADHI_QUEUE_SIZE", Integer.toString(records + records / 2));
            App app = new App(java, agent, classPath, env,
                    List.of("0", "600", Integer.toString(records), "stay"), dir.resolve("logs"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            long cpuBefore = -1;
            long serverCpuBefore = 0;
            while (counter.distinct() < records && System.nanoTime() < deadline && app.process.isAlive()) {
                if (cpuBefore < 0 && counter.posts.get() > 0) {
                    cpuBefore = DeliveryRig.cpuNanos(app.process.pid());
                    serverCpuBefore = DeliveryRig.ownCpuNanos();
                }
                TimeUnit.MILLISECONDS.sleep(5);
            }
            long cpu = DeliveryRig.cpuNanos(app.process.pid()) - cpuBefore;
            long serverCpu = DeliveryRig.ownCpuNanos() - serverCpuBefore;
            app.process.getOutputStream().close(); // the app may exit now
            app.awaitExit(60);
            long logged = app.logged();
            Dropped dropped = Dropped.scan(dir);
            List<Long> missing = counter.missing(logged, dropped.sequences);
            double elapsed = (counter.lastArrivalNanos - counter.firstArrivalNanos) / 1e9;
            double delivered = counter.distinct() / elapsed;
            rows.add(new Row(String.format("with the agent, a burst of %,d logged as fast as one thread can", records),
                    logged / app.loggingSeconds(), delivered, cpu / 1e9 / elapsed, serverCpu / 1e9 / elapsed,
                    cpu / 1e3 / Math.max(1, counter.distinct()), dropped.toString(), lostText(missing)));
            note("burst", logged, counter, dropped, missing, dir);
            deleteIfClean(dir, missing);
        }
    }

    /** The same app without the agent, logging as fast as it can: what the agent must keep up with. */
    private void appAlone() throws Exception {
        Path dir = Files.createTempDirectory("bench-alone");
        App app = new App(java, null, classPath, Map.of(), List.of("0", Integer.toString(seconds)), dir);
        app.awaitExit(seconds + 60);
        rows.add(0, new Row("the app alone (no agent), flat out", app.logged() / app.loggingSeconds(), Double.NaN,
                Double.NaN, Double.NaN, Double.NaN, "–", "–"));
    }

    /** A bare client in its own JVM posting bodies of the agent's size for the measured seconds. */
    private void bareClient(String mode, int inFlight, String name) throws Exception {
        Counter counter = new Counter();
        try (AcceptingHttpServer server = AcceptingHttpServer.serving(0, counter)) {
            Path logs = Files.createTempDirectory("bench-bare");
            List<String> command = List.of(java, "-cp",
                    Path.of(ShippingBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
                    HttpLoadClient.class.getName(), mode, Integer.toString(server.port()), Integer.toString(workers),
                    Integer.toString(inFlight), Integer.toString(warmup + seconds), Long.toString(bodyBytes));
            Process process = new ProcessBuilder(command).redirectOutput(logs.resolve("out").toFile())
                    .redirectError(logs.resolve("err").toFile()).start();
            App asApp = new App(process);
            Window window = Window.measure(asApp, counter, warmup, seconds);
            if (!process.waitFor(warmup + seconds + 60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            double rate = window.delivered / (double) seconds;
            if (mode.equals("socket")) {
                bareSocket = rate;
            }
            rows.add(new Row(name, Double.NaN, rate, window.appCores(), window.serverCores(),
                    window.appCpuNanos / 1e3 / Math.max(1, window.delivered), "–", "–"));
            notes.add(name + ": " + Files.readString(logs.resolve("out")).trim());
        }
    }

    private static String lostText(List<Long> missing) {
        if (missing.isEmpty()) {
            return "0";
        }
        return "**" + missing.size() + "**";
    }

    private void note(String variant, long logged, Counter counter, Dropped dropped, List<Long> missing, Path dir) {
        String line = String.format("%s: logged %,d, delivered %,d distinct (%,d duplicates, %,d without a sequence number), "
                + "dropped %s, lost %,d", variant, logged, counter.distinct(), counter.duplicates(), counter.unsequenced.get(),
                dropped, missing.size());
        if (!missing.isEmpty()) {
            line += "; first missing: " + missing.subList(0, Math.min(20, missing.size())) + "; kept for a look: " + dir;
        }
        List<ProcessHandle> echoPosts = DeliveryRig.echoPosts(dir.resolve("echopost"));
        if (!echoPosts.isEmpty()) {
            line += "; an EchoPost was running (killed)";
            try {
                DeliveryRig.killEchoPosts(dir.resolve("echopost"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        notes.add(line);
    }

    private static void deleteIfClean(Path dir, List<Long> missing) throws IOException {
        if (!missing.isEmpty()) {
            return;
        }
        DeliveryRig.deleteTree(dir);
    }

    private void print() {
        System.out.println();
        System.out.println("| " + java + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + workers
                + " workers | logged/s | delivered/s | CPU, cores: client JVM / server JVM | client CPU per record | dropped | lost | ratio to the bare plain-socket client |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (Row row : rows) {
            boolean agent = row.name.startsWith("with the agent");
            System.out.printf("| %s | %s | %s | %s | %s | %s | %s | %s |%n", row.name, number(row.logged, false),
                    number(row.delivered, agent),
                    Double.isNaN(row.clientCores) ? "–" : String.format("%.2f / %.2f", row.clientCores, row.serverCores),
                    Double.isNaN(row.cpuMicros) ? "–" : String.format("%.1f µs", row.cpuMicros), row.dropped, row.lost,
                    Double.isNaN(row.delivered) ? "–" : String.format("%.2f", row.delivered / bareSocket));
        }
        System.out.println();
        System.out.println("Average body: " + bodyBytes + " bytes.");
        for (String note : notes) {
            System.out.println("- " + note);
        }
    }

    private static String number(double value, boolean bold) {
        if (Double.isNaN(value)) {
            return "–";
        }
        String text = String.format("%,.0f", value);
        return bold ? "**" + text + "**" : text;
    }

    /** One line of the table. NaN: not measured for this variant. */
    private static final class Row {
        final String name;
        final double logged;
        final double delivered;
        final double clientCores;
        final double serverCores;
        final double cpuMicros;
        final String dropped;
        final String lost;

        Row(String name, double logged, double delivered, double clientCores, double serverCores, double cpuMicros,
                String dropped, String lost) {
            this.name = name;
            this.logged = logged;
            this.delivered = delivered;
            this.clientCores = clientCores;
            this.serverCores = serverCores;
            this.cpuMicros = cpuMicros;
            this.dropped = dropped;
            this.lost = lost;
        }
    }

    /** Deliveries and CPU between warm-up end and the end of the measured seconds. */
    private static final class Window {
        long delivered;
        long appCpuNanos;
        long serverCpuNanos;
        double seconds;

        static Window measure(App app, Counter counter, int warmup, int seconds) throws InterruptedException {
            DeliveryRig.sleepUntil(app.startNanos + TimeUnit.SECONDS.toNanos(warmup));
            long start = System.nanoTime();
            long posts = counter.posts.get();
            long cpu = DeliveryRig.cpuNanos(app.process.pid());
            long serverCpu = DeliveryRig.ownCpuNanos();
            DeliveryRig.sleepUntil(app.startNanos + TimeUnit.SECONDS.toNanos(warmup + seconds));
            Window window = new Window();
            window.delivered = counter.posts.get() - posts;
            window.appCpuNanos = DeliveryRig.cpuNanos(app.process.pid()) - cpu;
            window.serverCpuNanos = DeliveryRig.ownCpuNanos() - serverCpu;
            window.seconds = (System.nanoTime() - start) / 1e9;
            return window;
        }

        double appCores() {
            return appCpuNanos / 1e9 / seconds;
        }

        double serverCores() {
            return serverCpuNanos / 1e9 / seconds;
        }
    }
}
