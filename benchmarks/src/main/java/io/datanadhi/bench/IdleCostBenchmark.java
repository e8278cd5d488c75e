package io.datanadhi.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the agent costs an application that does nothing: the process's CPU time over 60 s of
 * idleness (after 10 s of start-up), without the agent, with it shipping (its rule files watched,
 * and not: {@code rules.reload=false}), and idle (no rule, the folder watched). The variants of
 * a round run side by side (they sleep, so they do not compete); rounds are repeated and the
 * median is reported.
 *
 * <pre>java -cp benchmarks/target/datanadhi-benchmarks.jar io.datanadhi.bench.IdleCostBenchmark [--runs 3]
 *     [--seconds 60] [--java /path/to/bin/java]</pre>
 */
public final class IdleCostBenchmark {

    private static final String APP = "io.datanadhi.bench.apps.IdleJul";
    private static final long SETTLE_SECONDS = 10;

    public static void main(String[] args) throws Exception {
        int runs = 3;
        long seconds = 60;
        Path agent = Path.of("agent/target/datanadhi-agent.jar");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--runs": runs = Integer.parseInt(args[i + 1]); break;
                case "--seconds": seconds = Long.parseLong(args[i + 1]); break;
                case "--agent": agent = Path.of(args[i + 1]); break;
                case "--java": java = args[i + 1]; break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        String classpath = Path.of(IdleCostBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort();
        Path idleDir = Files.createTempDirectory("bench-idle");
        Files.createDirectories(idleDir.resolve("rules"));
        Path shipDir = Files.createTempDirectory("bench-ship");
        Files.createDirectories(shipDir.resolve("rules"));
        Files.writeString(shipDir.resolve("rules").resolve("all.yml"),
                "- name: all\n  conditions: [{key: log_record.level, type: exact, value: INFO}]\n  pipelines: [all]\n");
        Map<String, String> shipping = Map.of("DATANADHI_DIR", shipDir.toString(), "DATANADHI_SERVER_HOST", url,
                "DATANADHI_API_KEY", "bench-key");
        String javaagent = "-javaagent:" + agent;
        List<String> app = List.of("-cp", classpath, APP, Long.toString(SETTLE_SECONDS), Long.toString(seconds));

        Map<String, Variant> variants = new LinkedHashMap<>();
        variants.put("without the agent", new Variant(java, List.of(), app, Map.of()));
        variants.put("agent shipping, rule files watched (default)", new Variant(java, List.of(javaagent), app, shipping));
        Map<String, String> noReload = new LinkedHashMap<>(shipping);
        noReload.put("DATANADHI_RULES_RELOAD", "false");
        variants.put("agent shipping, rules.reload=false", new Variant(java, List.of(javaagent), app, noReload));
        variants.put("agent idle (no rule), folder watched", new Variant(java, List.of(javaagent), app,
                Map.of("DATANADHI_DIR", idleDir.toString())));

        for (int run = 0; run < runs; run++) {
            List<Process> started = new ArrayList<>();
            for (Variant variant : variants.values()) {
                started.add(variant.start());
            }
            int i = 0;
            for (Variant variant : variants.values()) {
                variant.collect(started.get(i++), seconds);
            }
        }
        server.stop(0);
        DeliveryRig.deleteTree(idleDir);
        DeliveryRig.deleteTree(shipDir);

        double baseline = median(variants.get("without the agent").samples);
        System.out.println("| idle for " + seconds + " s, " + java + ", " + runs + " runs, "
                + Runtime.getRuntime().availableProcessors() + " cores | CPU ms (median) | all runs | added CPU ms | added per second |");
        System.out.println("|---|---:|---|---:|---:|");
        for (Map.Entry<String, Variant> e : variants.entrySet()) {
            double median = median(e.getValue().samples);
            System.out.printf("| %s | %.0f | %s | %+.0f | %+.2f ms/s |%n", e.getKey(), median, e.getValue().samples,
                    median - baseline, (median - baseline) / seconds);
        }
    }

    private static final class Variant {
        final List<String> command = new ArrayList<>();
        final Map<String, String> env;
        final List<Long> samples = new ArrayList<>();

        Variant(String java, List<String> jvmArgs, List<String> app, Map<String, String> env) {
            command.add(java);
            command.addAll(jvmArgs);
            command.addAll(app);
            this.env = env;
        }

        Process start() throws IOException {
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
            builder.environment().keySet().removeIf(k -> k.startsWith("DATANADHI_") || k.equals("JAVA_TOOL_OPTIONS"));
            builder.environment().putAll(env);
            return builder.start();
        }

        void collect(Process process, long seconds) throws IOException, InterruptedException {
            if (!process.waitFor(SETTLE_SECONDS + seconds + 60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("timed out: " + command);
            }
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            for (String line : out.split("\n")) {
                if (line.startsWith("cpu-ms ")) {
                    samples.add(Long.parseLong(line.substring(7).trim()));
                    return;
                }
            }
            throw new IllegalStateException("no cpu-ms line from " + command + ": " + out);
        }
    }

    private static double median(List<Long> samples) {
        long[] sorted = samples.stream().mapToLong(Long::longValue).sorted().toArray();
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
    }
}
