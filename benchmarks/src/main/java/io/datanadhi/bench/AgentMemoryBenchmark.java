package io.datanadhi.bench;

import io.datanadhi.bench.DeliveryRig.App;
import io.datanadhi.bench.DeliveryRig.Counter;
import io.datanadhi.bench.DeliveryRig.Dropped;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Heap the agent keeps after it has shipped 1 000 000 events: the same application
 * ({@code apps/SteadyJul}, java.util.logging, no handler) logs the events at a steady rate,
 * without the agent and then with it and a rule that ships every event to a local server that
 * accepts them. Once the server has them all (or the agent has put the rest in {@code dropped/}),
 * the app collects garbage and reports its used heap; the difference is what the agent retains.
 * A class histogram of the live heap ({@code jcmd GC.class_histogram}) shows the agent's own
 * classes.
 *
 * <pre>java -cp benchmarks/target/datanadhi-benchmarks.jar io.datanadhi.bench.AgentMemoryBenchmark
 *     [--events 1000000] [--rate 20000] [--java /path/to/bin/java]</pre>
 */
public final class AgentMemoryBenchmark {

    public static void main(String[] args) throws Exception {
        Path agent = Path.of("agent/target/datanadhi-agent.jar");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long events = 1_000_000;
        int rate = 20_000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--agent": agent = Path.of(args[i + 1]); break;
                case "--java": java = args[i + 1]; break;
                case "--events": events = Long.parseLong(args[i + 1]); break;
                case "--rate": rate = Integer.parseInt(args[i + 1]); break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        Path classPath = DeliveryRig.appClassPath();
        try {
            Measured without = run(java, null, classPath, events, rate);
            Measured with = run(java, agent, classPath, events, rate);
            System.out.println("| " + java + ", " + String.format("%,d", events) + " events at " + rate
                    + "/s | without the agent | with the agent | difference |");
            System.out.println("|---|---:|---:|---:|");
            System.out.printf("| heap used after GC, MB | %.2f | %.2f | **%+.2f** |%n", mb(without.heapUsed),
                    mb(with.heapUsed), mb(with.heapUsed - without.heapUsed));
            System.out.printf("| live heap in `io.datanadhi.*` objects (class histogram), MB | %.2f | %.2f | %+.2f |%n",
                    mb(without.agentClassBytes), mb(with.agentClassBytes), mb(with.agentClassBytes - without.agentClassBytes));
            System.out.printf("| live heap, all objects (class histogram), MB | %.2f | %.2f | %+.2f |%n",
                    mb(without.histogramBytes), mb(with.histogramBytes), mb(with.histogramBytes - without.histogramBytes));
            System.out.println();
            System.out.println("with the agent: logged " + with.logged + ", received by the server " + with.received
                    + " (distinct), dropped " + with.dropped);
            System.out.println("live heap, largest differences by class (with - without):");
            Map<String, Long> difference = new HashMap<>(with.byClass);
            without.byClass.forEach((type, bytes) -> difference.merge(type, -bytes, Long::sum));
            difference.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(12)
                    .forEach(e -> System.out.printf("  %+,12d B  %s%n", e.getValue(), e.getKey()));
        } finally {
            DeliveryRig.deleteTree(classPath);
        }
    }

    private static final class Measured {
        long logged;
        long received;
        String dropped = "-";
        long heapUsed;
        long histogramBytes;
        long agentClassBytes;
        final Map<String, Long> byClass = new HashMap<>();
    }

    private static Measured run(String java, Path agent, Path classPath, long events, int rate) throws Exception {
        Measured measured = new Measured();
        Counter counter = new Counter();
        Path dir = DeliveryRig.dataNadhiDir("bench-memory");
        try (AcceptingHttpServer server = AcceptingHttpServer.serving(0, counter)) {
            Map<String, String> env = agent == null ? Map.of() : Map.of("DATANADHI_DIR", dir.toString(),
                    "DATANADHI_SERVER_HOST", "http://127.0.0.1:" + server.port(),
                    "DATANADHI_API_KEY", DeliveryRig.API_KEY);
            System.out.printf("%s the agent: logging %,d events at %,d/s ...%n", agent == null ? "without" : "with",
                    events, rate);
            App app = new App(java, agent, classPath, env,
                    List.of(Integer.toString(rate), "3600", Long.toString(events), "stay"), dir.resolve("logs"));
            try {
                awaitLine(app, "logged ", events / rate + 120);
                measured.logged = app.logged();
                if (agent != null) {
                    awaitDelivery(counter, dir, measured.logged);
                    measured.received = counter.distinct();
                    measured.dropped = Dropped.scan(dir).toString();
                }
                OutputStream stdin = app.process.getOutputStream();
                stdin.write("heap\n".getBytes(StandardCharsets.US_ASCII));
                stdin.flush();
                measured.heapUsed = Long.parseLong(awaitLine(app, "heap used after GC ", 120)
                        .substring("heap used after GC ".length()).trim());
                histogram(java, app.process.pid(), measured);
                stdin.close();
                app.awaitExit(60);
            } finally {
                app.process.destroyForcibly();
            }
        } finally {
            DeliveryRig.deleteTree(dir);
        }
        return measured;
    }

    /** Until the server has every record not in {@code dropped/}, or nothing arrived for 15 s. */
    private static void awaitDelivery(Counter counter, Path dir, long logged) throws Exception {
        long last = -1;
        long lastChange = System.nanoTime();
        while (true) {
            long accounted = counter.distinct() + Dropped.scan(dir).total;
            if (accounted >= logged) {
                return;
            }
            if (accounted != last) {
                last = accounted;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > TimeUnit.SECONDS.toNanos(15)) {
                System.out.println("delivery stalled at " + accounted + " of " + logged);
                return;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    /** Waits for a line of the app's standard output starting with {@code prefix}; returns it. */
    private static String awaitLine(App app, String prefix, long seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(app.stdout)) {
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
            if (!app.process.isAlive()) {
                throw new IllegalStateException("the app exited; see " + app.stderr);
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        throw new IllegalStateException("no '" + prefix + "' line within " + seconds + " s; see " + app.stdout);
    }

    /** {@code jcmd <pid> GC.class_histogram}: live objects, total and the agent's own classes. */
    private static void histogram(String java, long pid, Measured measured) throws IOException, InterruptedException {
        Path jcmd = Path.of(java).resolveSibling("jcmd");
        Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.class_histogram")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(60, TimeUnit.SECONDS);
        for (String line : output.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 4 && fields[0].endsWith(":")) {
                long bytes = Long.parseLong(fields[2]);
                measured.histogramBytes += bytes;
                measured.byClass.merge(fields[3], bytes, Long::sum);
                if (fields[3].startsWith("io.datanadhi.")) {
                    measured.agentClassBytes += bytes;
                }
            }
        }
    }

    private static double mb(long bytes) {
        return bytes / 1048576.0;
    }
}
