package io.datanadhi.bench;

import io.datanadhi.bench.DeliveryRig.Counter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One task per virtual thread, the way servers run requests now, and the same tasks on a small
 * pool of platform threads: wall time and heap after GC of the same application
 * ({@code apps/ManyThreadsJul}) with and without the agent, runs interleaved. Each task logs an
 * event no rule matches; every 100th task one that a rule ships to a local server, which counts
 * them. With {@code --start-delay 0} the application logs from its first line, while the agent is
 * still starting.
 *
 * <pre>java -cp benchmarks/target/datanadhi-benchmarks.jar io.datanadhi.bench.ManyThreadsBenchmark
 *     [--java /usr/lib/jvm/temurin-25-jdk-amd64/bin/java] [--tasks 1000000,4000000]
 *     [--modes virtual,platform-4] [--start-delay 1500] [--runs 3] [--jvm-arg ARG]... [--compare JAR]</pre>
 *
 * {@code --compare} runs a second agent jar (the build before a change) in the same interleaving
 * and prints its row below. The wall time of these short, allocation-heavy runs swings widely from
 * run to run with or without an agent (G1 copying the executor's backlog of unstarted threads or
 * not), so the table gives the ratio of the medians and that of the best runs.
 *
 * <p>Shipped events the agent could not deliver in time (its queue full) are in {@code dropped/}
 * with their reason, and counted as such.
 */
public final class ManyThreadsBenchmark {

    private static final String APP = "io.datanadhi.bench.apps.ManyThreadsJul";
    private static final String SHIP_SHIPPED = "- name: shipped\n  conditions: [{key: log_record.module_name, type: exact, value: vt.shipped}]\n"
            + "  pipelines: [vt]\n";
    /** {@code --ship none}: the rule names a logger nobody logs on, so nothing is shipped (the capture alone). */
    private static final String SHIP_NOTHING = SHIP_SHIPPED.replace("vt.shipped", "vt.nobody");
    private static String rules = SHIP_SHIPPED;
    private static final Pattern RESULT = Pattern.compile("tasks (\\d+) in ([0-9.]+) s \\(([0-9.]+) s from main\\), heap used after GC (\\d+)");
    private static final Pattern SKIPPED = Pattern.compile("\"event\":\"startup_events_skipped\".*?(\\d+) event");
    private static final Pattern READY = Pattern.compile("\"event\":\"agent_started\".*\"millis\":(\\d+)");

    public static void main(String[] args) throws Exception {
        Path agent = Path.of("agent/target/datanadhi-agent.jar");
        String java = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java";
        List<Integer> taskCounts = List.of(1_000_000, 4_000_000);
        List<String> modes = List.of("virtual", "platform-4");
        long startDelay = 1500;
        int runs = 3;
        List<String> jvmArgs = new ArrayList<>();
        Path compare = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--agent": agent = Path.of(args[i + 1]); break;
                case "--java": java = args[i + 1]; break;
                case "--tasks": taskCounts = parseInts(args[i + 1]); break;
                case "--modes": modes = List.of(args[i + 1].split(",")); break;
                case "--start-delay": startDelay = Long.parseLong(args[i + 1]); break;
                case "--runs": runs = Integer.parseInt(args[i + 1]); break;
                case "--jvm-arg": jvmArgs.add(args[i + 1]); break;
                case "--compare": compare = Path.of(args[i + 1]); break;
                case "--ship": rules = args[i + 1].equals("none") ? SHIP_NOTHING : SHIP_SHIPPED; break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        System.out.printf("Many threads: %d cores, %s, %s, start delay %d ms, %s, %d interleaved runs each, medians%n",
                Runtime.getRuntime().availableProcessors(), java, agent, startDelay,
                rules == SHIP_SHIPPED ? "every 100th event shipped" : "nothing shipped (--ship none)", runs);
        System.out.println("| threads | tasks | wall without | wall with | ratio | best runs: ratio | heap after GC without | with"
                + " | difference | shipped: received + in dropped/ (worst run) | agent ready after | events skipped at start |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Path classPath = DeliveryRig.appClassPath(APP);
        try {
            for (String mode : modes) {
                for (int tasks : taskCounts) {
                    measure(java, jvmArgs, agent, compare, classPath, mode, tasks, startDelay, runs);
                }
            }
        } finally {
            DeliveryRig.deleteTree(classPath);
        }
    }

    private static void measure(String java, List<String> jvmArgs, Path agent, Path compare, Path classPath, String mode,
            int tasks, long startDelay, int runs) throws Exception {
        List<Run> without = new ArrayList<>();
        List<Run> with = new ArrayList<>();
        List<Run> compared = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            without.add(once(java, jvmArgs, null, classPath, mode, tasks, startDelay));
            with.add(once(java, jvmArgs, agent, classPath, mode, tasks, startDelay));
            if (compare != null) {
                compared.add(once(java, jvmArgs, compare, classPath, mode, tasks, startDelay));
            }
        }
        print(mode, tasks, without, with);
        if (compare != null) {
            print(mode + ", " + compare, tasks, without, compared);
        }
    }

    private static void print(String label, int tasks, List<Run> without, List<Run> with) {
        double wallWithout = median(without, r -> r.seconds);
        double wallWith = median(with, r -> r.seconds);
        double bestWithout = without.stream().mapToDouble(r -> r.seconds).min().orElse(Double.NaN);
        double bestWith = with.stream().mapToDouble(r -> r.seconds).min().orElse(Double.NaN);
        double heapWithout = median(without, r -> r.heapBytes / 1048576.0);
        double heapWith = median(with, r -> r.heapBytes / 1048576.0);
        long expected = rules == SHIP_SHIPPED ? (tasks + 99) / 100 : 0;
        long received = Long.MAX_VALUE;
        long dropped = 0;
        long skipped = 0;
        for (Run run : with) {
            if (run.received < received) {
                received = run.received;
                dropped = run.dropped;
            }
            skipped = Math.max(skipped, run.skipped);
        }
        System.out.printf("| %s | %,d | %.2f s | %.2f s | **%.2fx** | %.2fx | %.1f MB | %.1f MB | **%+.1f MB** | %,d + %,d of %,d"
                + " | %.0f ms | %,d |%n", label, tasks, wallWithout, wallWith, wallWith / wallWithout, bestWith / bestWithout,
                heapWithout, heapWith, heapWith - heapWithout, received, dropped, expected,
                median(with, r -> r.readyMillis), skipped);
    }

    private static final class Run {
        double seconds;
        long heapBytes;
        long received;
        long dropped;
        long skipped;
        double readyMillis = -1;
    }

    private static Run once(String java, List<String> jvmArgs, Path agent, Path classPath, String mode, int tasks,
            long startDelay) throws Exception {
        Counter counter = new Counter();
        Path dir = Files.createTempDirectory("bench-many-threads");
        Files.createDirectories(dir.resolve("rules"));
        Files.writeString(dir.resolve("rules").resolve("shipped.yml"), rules);
        try (AcceptingHttpServer server = AcceptingHttpServer.serving(0, counter)) {
            List<String> command = new ArrayList<>(List.of(java, "-Xmx2g"));
            command.addAll(jvmArgs);
            if (agent != null) {
                command.add("-javaagent:" + agent);
            }
            command.addAll(List.of("-cp", classPath.toString(), APP, Integer.toString(tasks), mode,
                    Long.toString(startDelay)));
            Path out = dir.resolve("app.out");
            Path err = dir.resolve("app.err");
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            builder.environment().keySet().removeIf(k -> k.startsWith("DATANADHI_") || k.equals("JAVA_TOOL_OPTIONS"));
            builder.environment().put("DATANADHI_DIR", dir.toString());
            builder.environment().put("DATANADHI_SERVER_HOST", "http://127.0.0.1:" + server.port());
            builder.environment().put("DATANADHI_API_KEY", DeliveryRig.API_KEY);
            Process process = builder.start();
            if (!process.waitFor(15, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("the app did not finish; see " + err);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("the app exited with " + process.exitValue() + "; see " + err);
            }
            Matcher result = RESULT.matcher(Files.readString(out));
            if (!result.find()) {
                throw new IllegalStateException("no result line in " + out);
            }
            Run run = new Run();
            run.seconds = Double.parseDouble(result.group(2));
            run.heapBytes = Long.parseLong(result.group(4));
            run.received = counter.distinct();
            run.dropped = DeliveryRig.Dropped.scan(dir).total;
            String diagnostics = Files.readString(err);
            Matcher skipped = SKIPPED.matcher(diagnostics);
            run.skipped = skipped.find() ? Long.parseLong(skipped.group(1)) : 0;
            Matcher ready = READY.matcher(diagnostics);
            if (ready.find()) {
                run.readyMillis = Long.parseLong(ready.group(1));
            }
            if (agent != null && rules == SHIP_SHIPPED && run.received + run.dropped < (tasks + 99) / 100 && run.skipped == 0) {
                System.out.println("  note: " + run.received + " shipped events received and " + run.dropped
                        + " in dropped/ of " + (tasks + 99) / 100 + "; see " + err);
                return run; // keep the directory to look at
            }
            DeliveryRig.deleteTree(dir);
            return run;
        }
    }

    private static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> value) {
        double[] values = runs.stream().mapToDouble(value).sorted().toArray();
        return values[values.length / 2];
    }

    private static List<Integer> parseInts(String list) {
        List<Integer> values = new ArrayList<>();
        for (String value : list.split(",")) {
            values.add(Integer.parseInt(value.replace("_", "")));
        }
        return values;
    }
}
