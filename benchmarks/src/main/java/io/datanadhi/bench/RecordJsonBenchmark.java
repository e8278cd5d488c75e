package io.datanadhi.bench;

import io.datanadhi.bench.json.RecordJson;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * A shipped record's JSON (its {@code log_data} and the {@code POST /log} envelope around it),
 * written the agent's way ({@code JsonBytes}) and Jackson's (its streaming generator, what the
 * agent used before): ns and bytes allocated per record, in one JVM run.
 *
 * <pre>
 * java -cp benchmarks/target/datanadhi-benchmarks.jar io.datanadhi.bench.RecordJsonBenchmark [--java /path/to/bin/java] [--forks 2]
 * </pre>
 */
public final class RecordJsonBenchmark {

    public static void main(String[] args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        int forks = 2;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--java": java = args[i + 1]; break;
                case "--forks": forks = Integer.parseInt(args[i + 1]); break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include("^" + RecordJson.class.getName().replace(".", "\\.") + "\\.")
                .jvm(java)
                .forks(forks)
                .warmupIterations(5).warmupTime(TimeValue.seconds(1))
                .measurementIterations(5).measurementTime(TimeValue.seconds(1))
                .timeUnit(TimeUnit.NANOSECONDS)
                .addProfiler(GCProfiler.class)
                .build()).run();
        System.out.println();
        System.out.println("| " + java + ", " + forks + " fork(s) | record (message, " + RecordJson.CONTEXT_ENTRIES
                + " context entries) | ns/op | B/op |");
        System.out.println("|---|---|---:|---:|");
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark();
            Result<?> time = result.getPrimaryResult();
            Result<?> alloc = result.getSecondaryResults().get("gc.alloc.rate.norm");
            System.out.printf("| %s | %s | %.1f ± %.1f | %.0f |%n", name.substring(name.lastIndexOf('.') + 1),
                    RecordJson.SHAPE, time.getScore(), time.getScoreError(), alloc == null ? Double.NaN : alloc.getScore());
        }
    }
}
