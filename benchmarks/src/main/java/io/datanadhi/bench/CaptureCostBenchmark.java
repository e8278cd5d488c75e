package io.datanadhi.bench;

import io.datanadhi.bench.capture.CaptureCalls;
import io.datanadhi.bench.capture.JulCalls;
import io.datanadhi.bench.capture.Log4j2Calls;
import io.datanadhi.bench.capture.LogbackCalls;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.annotations.Mode;

/**
 * Per-call cost of capture on the application's thread, with JMH: for Logback, Log4j 2 and JUL,
 * the same logging call in a forked JVM without the agent and in one with it (a rule file, an API
 * key, and a local server that accepts every record), each with JMH's GC profiler. The runs of
 * one case are back to back, alternating which variant goes first, so that machine noise hits
 * both. Prints one Markdown table: ns per call without and with the agent, the difference, and
 * bytes allocated per call.
 *
 * <p>The {@code shipped} case logs bursts of {@value CaptureCalls#BURST} events and pauses
 * {@value CaptureCalls#PAUSE_MS} ms between them (not measured) so the agent's queue never
 * fills; what the server received and what the agent wrote to {@code dropped/} is printed after
 * the table.
 *
 * <pre>java -cp benchmarks/target/datanadhi-benchmarks.jar io.datanadhi.bench.CaptureCostBenchmark
 *     [--java /path/to/bin/java] [--forks 1] [--frameworks logback,log4j2,jul]
 *     [--cases unmatched,shipped,belowThreshold] [--rules quick,message-regex,...]
 *     [--jvm-arg -XX:...]... [--agent-option key=value]...</pre>
 *
 * {@code --rules} names the rule sets of {@link CaptureCalls#RULE_SETS} to measure, each a pair of
 * runs per case: {@code quick} (the level and the logger's name only, the default),
 * {@code message-regex}, {@code message-regex-class}, {@code message-partial} and
 * {@code context} (each adds a rule on the message or on the MDC entry {@code tenant} that no
 * event matches).
 * {@code --agent-option} adds to the agent's arguments, e.g. {@code log.caller=false}.
 * {@code --jvm-arg} goes to both forks, e.g. {@code -XX:StartFlightRecording=filename=x.jfr} to see
 * where the time or the allocation goes.
 */
public final class CaptureCostBenchmark {

    private static final Map<String, Class<?>> FRAMEWORKS = new LinkedHashMap<>();

    static {
        FRAMEWORKS.put("logback", LogbackCalls.class);
        FRAMEWORKS.put("log4j2", Log4j2Calls.class);
        FRAMEWORKS.put("jul", JulCalls.class);
    }

    private static final String[] CASES = {"unmatched", "shipped", "belowThreshold"};
    private static final int SHIPPED_WARMUP_BURSTS = 60;
    private static final int SHIPPED_BURSTS = 100;

    public static void main(String[] args) throws Exception {
        Path agent = Path.of("agent/target/datanadhi-agent.jar").toAbsolutePath();
        Path frameworks = Path.of("benchmarks/target/frameworks");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        int forks = 1;
        List<String> selected = new ArrayList<>(FRAMEWORKS.keySet());
        List<String> cases = List.of(CASES);
        List<String> ruleSets = List.of("quick");
        List<String> jvmArgs = new ArrayList<>();
        StringBuilder agentOptions = new StringBuilder();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--agent": agent = Path.of(args[i + 1]).toAbsolutePath(); break;
                case "--frameworks-dir": frameworks = Path.of(args[i + 1]); break;
                case "--java": java = args[i + 1]; break;
                case "--forks": forks = Integer.parseInt(args[i + 1]); break;
                case "--frameworks": selected = List.of(args[i + 1].split(",")); break;
                case "--cases": cases = List.of(args[i + 1].split(",")); break;
                case "--rules": ruleSets = List.of(args[i + 1].split(",")); break;
                case "--jvm-arg": jvmArgs.add(args[i + 1]); break;
                case "--agent-option": agentOptions.append(';').append(args[i + 1]); break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        // JMH starts its forks with this JVM's class path; add the logging frameworks, which are
        // kept out of the benchmarks jar.
        try (Stream<Path> jars = Files.list(frameworks)) {
            String extra = jars.filter(p -> p.toString().endsWith(".jar")).sorted()
                    .map(p -> p.toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator));
            System.setProperty("java.class.path", System.getProperty("java.class.path") + File.pathSeparator + extra);
        }

        for (String ruleSet : ruleSets) {
            if (!CaptureCalls.RULE_SETS.containsKey(ruleSet)) {
                throw new IllegalArgumentException("unknown rule set " + ruleSet + "; known: " + CaptureCalls.RULE_SETS.keySet());
            }
        }
        Path dir = Files.createTempDirectory("bench-capture");
        Files.createDirectories(dir.resolve("rules"));
        Path logs = Path.of("benchmarks/target/capture-cost");
        Files.createDirectories(logs);
        AtomicLong received = new AtomicLong();
        List<String> deliveries = new ArrayList<>();
        List<String[]> rows = new ArrayList<>();
        List<String[]> appThreadRows = new ArrayList<>();
        try (AcceptingHttpServer server = new AcceptingHttpServer(0, body -> received.incrementAndGet())) {
            String agentArg = "-javaagent:" + agent + "=dir=" + dir + ";api_key=" + DeliveryRig.API_KEY
                    + ";server.host=http://127.0.0.1:" + server.port() + ";echopost.disable=true" + agentOptions;
            int runNumber = 0;
            for (String ruleSet : ruleSets) {
                Files.writeString(dir.resolve("rules").resolve("bench.yml"), CaptureCalls.RULE_SETS.get(ruleSet));
                for (String framework : selected) {
                    Class<?> calls = FRAMEWORKS.get(framework);
                    if (calls == null) {
                        throw new IllegalArgumentException("unknown framework " + framework + "; known: " + FRAMEWORKS.keySet());
                    }
                    for (String kase : cases) {
                        Map<Boolean, RunResult> results = new LinkedHashMap<>();
                        boolean withFirst = runNumber++ % 2 == 1;
                        for (boolean withAgent : withFirst ? new boolean[] {true, false} : new boolean[] {false, true}) {
                            String name = framework + "-" + kase + "-" + ruleSet + "-" + (withAgent ? "with" : "without");
                            System.out.printf("%s %s ...%n", java, name);
                            received.set(0);
                            ChainedOptionsBuilder options = new OptionsBuilder()
                                    .include("^" + calls.getName().replace(".", "\\.") + "\\." + kase + "$")
                                    .jvm(java)
                                    .forks(forks)
                                    .addProfiler(GCProfiler.class)
                                    .output(logs.resolve(name + ".log").toString());
                            List<String> forkArgs = new ArrayList<>(jvmArgs);
                            if (withAgent) {
                                forkArgs.add(agentArg);
                            }
                            options.jvmArgsAppend(forkArgs.toArray(new String[0]));
                            if (kase.equals("shipped")) {
                                options.mode(Mode.SingleShotTime)
                                        .warmupIterations(SHIPPED_WARMUP_BURSTS)
                                        .measurementIterations(SHIPPED_BURSTS);
                            } else {
                                options.mode(Mode.AverageTime)
                                        .warmupIterations(5).warmupTime(TimeValue.seconds(2))
                                        .measurementIterations(5).measurementTime(TimeValue.seconds(1));
                            }
                            options.timeUnit(TimeUnit.NANOSECONDS);
                            RunResult result = new Runner(options.build()).runSingle();
                            results.put(withAgent, result);
                            if (withAgent && kase.equals("shipped")) {
                                long logged = (long) (SHIPPED_WARMUP_BURSTS + SHIPPED_BURSTS) * CaptureCalls.BURST * forks;
                                DeliveryRig.Dropped dropped = DeliveryRig.Dropped.scan(dir);
                                deliveries.add(String.format("%s, rules " + ruleSet + ": logged %d, received by the server %d, dropped %s",
                                        framework, logged, received.get(), dropped));
                                if (Files.isDirectory(dir.resolve("dropped"))) {
                                    DeliveryRig.deleteTree(dir.resolve("dropped"));
                                }
                            }
                        }
                        String label = kase + (ruleSets.size() > 1 || !ruleSet.equals("quick") ? ", rules " + ruleSet : "");
                        rows.add(row(framework, label, results.get(false), results.get(true)));
                        if (kase.equals("shipped")) {
                            appThreadRows.add(appThreadRow(framework, results.get(false), results.get(true)));
                        }
                    }
                }
            }
        } finally {
            DeliveryRig.deleteTree(dir);
        }

        System.out.println();
        System.out.println("| " + java + ", " + forks + " fork(s), " + Runtime.getRuntime().availableProcessors()
                + " cores" + (agentOptions.length() > 0 ? ", agent " + agentOptions.substring(1) : "") + " | case | without ns/op | with ns/op | difference ns | B/op without | B/op with |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|");
        for (String[] row : rows) {
            System.out.println("| " + String.join(" | ", row) + " |");
        }
        if (!appThreadRows.isEmpty()) {
            System.out.println();
            System.out.println("| shipped, the logging thread alone | CPU ns/call without | CPU ns/call with | difference ns"
                    + " | B/call without | B/call with |");
            System.out.println("|---|---:|---:|---:|---:|---:|");
            for (String[] row : appThreadRows) {
                System.out.println("| " + String.join(" | ", row) + " |");
            }
        }
        System.out.println();
        System.out.println("shipped case, with the agent (warm-up bursts included):");
        for (String line : deliveries) {
            System.out.println("  " + line);
        }
        System.out.println("JMH's output for every run: " + logs);
    }

    private static String[] row(String framework, String kase, RunResult without, RunResult with) {
        Result<?> a = without.getPrimaryResult();
        Result<?> b = with.getPrimaryResult();
        return new String[] {
            framework, kase,
            String.format("%.1f ± %.1f", a.getScore(), error(a)),
            String.format("%.1f ± %.1f", b.getScore(), error(b)),
            String.format("%+.1f", b.getScore() - a.getScore()),
            String.format("%.1f", allocated(without)),
            String.format("%.1f", allocated(with)),
        };
    }

    /** From the shipped benchmark's counters: the logging thread's own CPU time and allocation per call. */
    private static String[] appThreadRow(String framework, RunResult without, RunResult with) {
        double cpuWithout = perCall(without, "appThreadCpuNs");
        double cpuWith = perCall(with, "appThreadCpuNs");
        return new String[] {
            framework,
            String.format("%.0f", cpuWithout),
            String.format("%.0f", cpuWith),
            String.format("%+.0f", cpuWith - cpuWithout),
            String.format("%.1f", perCall(without, "appThreadBytes")),
            String.format("%.1f", perCall(with, "appThreadBytes")),
        };
    }

    private static double perCall(RunResult result, String counter) {
        return secondary(result, counter) / secondary(result, "calls");
    }

    private static double secondary(RunResult result, String name) {
        Result<?> value = result.getSecondaryResults().get(name);
        if (value == null) {
            throw new IllegalStateException("no " + name + " in " + result.getSecondaryResults().keySet());
        }
        return value.getScore();
    }

    private static double error(Result<?> result) {
        double error = result.getScoreError();
        return Double.isNaN(error) ? 0 : error;
    }

    /** Bytes per operation from the GC profiler. */
    private static double allocated(RunResult result) {
        for (String name : result.getSecondaryResults().keySet()) {
            if (name.endsWith("gc.alloc.rate.norm")) {
                return secondary(result, name);
            }
        }
        return Double.NaN;
    }
}
