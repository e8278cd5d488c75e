package io.datanadhi.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Start-up cost of the agent: wall time from process start to exit of an application, without
 * the agent and with it, runs interleaved so that machine noise hits every variant alike. Prints
 * a Markdown table of medians and the difference to the baseline. The application is the
 * hello-world JUL app ({@code --app hello}, the default) or a Logback app with 200 classes of
 * its own ({@code --app logback200}, {@link LogbackApp}).
 *
 * <pre>java -cp benchmarks/target/datanadhi-benchmarks.jar io.datanadhi.bench.StartupBenchmark [--runs 21]
 *     [--app hello|logback200] [--java /path/to/bin/java] [--jvm-arg ARG]...</pre>
 *
 * {@code --jvm-arg} goes to every variant, the baseline too, before the agent's {@code -javaagent}:
 * for example a tracing agent, to measure what this agent adds beside it.
 */
public final class StartupBenchmark {

    public static void main(String[] args) throws Exception {
        int runs = 21;
        Path agent = Path.of("agent/target/datanadhi-agent.jar");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String app = "hello";
        Path frameworks = Path.of("benchmarks/target/frameworks");
        List<String> jvmArgs = new ArrayList<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--runs": runs = Integer.parseInt(args[i + 1]); break;
                case "--agent": agent = Path.of(args[i + 1]); break;
                case "--java": java = args[i + 1]; break;
                case "--app": app = args[i + 1]; break;
                case "--frameworks-dir": frameworks = Path.of(args[i + 1]); break;
                // Every variant, the baseline too: e.g. another agent (a tracer) the application runs with anyway.
                case "--jvm-arg": jvmArgs.add(args[i + 1]); break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        String classpath;
        String mainClass;
        if (app.equals("hello")) {
            classpath = helloClassPath().toString();
            mainClass = HELLO;
        } else if (app.equals("logback200")) {
            classpath = LogbackApp.generate(frameworks);
            mainClass = LogbackApp.MAIN;
        } else {
            throw new IllegalArgumentException("--app hello or logback200, not " + app);
        }
        Path idleDir = Files.createTempDirectory("bench-idle");
        Path shipDir = Files.createTempDirectory("bench-ship");
        Files.createDirectories(shipDir.resolve("rules"));
        Files.writeString(shipDir.resolve("rules").resolve("all.yml"),
                "- name: all\n  conditions: [{key: log_record.level, type: exact, value: INFO}]\n  pipelines: [all]\n");

        AtomicInteger received = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            if (exchange.getRequestURI().getPath().equals("/log")) {
                received.incrementAndGet();
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort();

        List<String> bare = new ArrayList<>(List.of(java));
        bare.addAll(jvmArgs);
        bare.addAll(List.of("-cp", classpath, mainClass));
        List<String> withAgent = new ArrayList<>(bare);
        withAgent.add(1 + jvmArgs.size(), "-javaagent:" + agent);
        Map<String, Variant> variants = new LinkedHashMap<>();
        variants.put(jvmArgs.isEmpty() ? "without the agent" : "without the agent (with " + String.join(" ", jvmArgs) + ")",
                new Variant(bare, Map.of()));
        variants.put("with the agent, no rules (idle)", new Variant(withAgent, Map.of("DATANADHI_DIR", idleDir.toString())));
        variants.put("with the agent, shipping the event to a local server", new Variant(withAgent,
                Map.of("DATANADHI_DIR", shipDir.toString(), "DATANADHI_SERVER_HOST", url, "DATANADHI_API_KEY", "bench-key")));
        // The same, as at the first start in a directory: the rules parsed from YAML, not read from .rules.cache.
        Path coldDir = Files.createTempDirectory("bench-ship-cold");
        Files.createDirectories(coldDir.resolve("rules"));
        Files.copy(shipDir.resolve("rules").resolve("all.yml"), coldDir.resolve("rules").resolve("all.yml"));
        Variant cold = new Variant(withAgent,
                Map.of("DATANADHI_DIR", coldDir.toString(), "DATANADHI_SERVER_HOST", url, "DATANADHI_API_KEY", "bench-key"));
        cold.before = () -> Files.deleteIfExists(coldDir.resolve(".rules.cache"));
        variants.put("the same, rules parsed (no .rules.cache: a first start)", cold);

        for (Variant variant : variants.values()) {
            variant.time(); // warm the file cache
        }
        for (int i = 0; i < runs; i++) {
            for (Variant variant : variants.values()) {
                variant.samples.add(variant.time());
            }
        }
        server.stop(0);
        for (String entry : classpath.split(File.pathSeparator)) {
            if (entry.contains("bench-")) {
                DeliveryRig.deleteTree(entry.contains("bench-logback200") ? Path.of(entry).getParent() : Path.of(entry));
            }
        }
        DeliveryRig.deleteTree(idleDir);
        DeliveryRig.deleteTree(shipDir);
        DeliveryRig.deleteTree(coldDir);

        double baseline = median(variants.values().iterator().next().samples);
        System.out.println("| " + app + ", " + java + ", " + runs
                + " runs each, " + Runtime.getRuntime().availableProcessors() + " cores | median ms | p90 ms | added ms | ratio |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (Map.Entry<String, Variant> e : variants.entrySet()) {
            List<Long> samples = e.getValue().samples;
            double median = median(samples);
            System.out.printf("| %s | %.0f | %.0f | %+.0f | %.2f |%n", e.getKey(), median, percentile(samples, 0.9),
                    median - baseline, median / baseline);
        }
        System.out.println();
        System.out.println("records received by the local server: " + received.get() + " (expected " + 2 * (runs + 1) + ")");
        System.out.printf("datanadhi-agent.jar: %.1f MB (%d bytes)%n", Files.size(agent) / 1048576.0, Files.size(agent));
    }

    private static final String HELLO = "io.datanadhi.bench.apps.HelloJul";

    /** The hello app alone on its class path (not this fat jar): what a small application looks like. */
    private static Path helloClassPath() throws IOException {
        Path appDir = Files.createTempDirectory("bench-hello");
        String helloFile = HELLO.replace('.', '/') + ".class";
        Files.createDirectories(appDir.resolve(helloFile).getParent());
        try (java.io.InputStream in = StartupBenchmark.class.getClassLoader().getResourceAsStream(helloFile)) {
            Files.copy(in, appDir.resolve(helloFile));
        }
        return appDir;
    }

    private static final class Variant {
        final List<String> command;
        final Map<String, String> env;
        final List<Long> samples = new ArrayList<>();
        /** Done before each run, not timed. */
        Setup before = () -> { };

        Variant(List<String> command, Map<String, String> env) {
            this.command = command;
            this.env = env;
        }

        long time() throws IOException, InterruptedException {
            before.run();
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            builder.environment().keySet().removeIf(k -> k.startsWith("DATANADHI_") || k.equals("JAVA_TOOL_OPTIONS"));
            builder.environment().putAll(env);
            long start = System.nanoTime();
            Process process = builder.start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("timed out: " + command);
            }
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
    }

    private interface Setup {
        void run() throws IOException;
    }

    private static double median(List<Long> samples) {
        return percentile(samples, 0.5);
    }

    private static double percentile(List<Long> samples, double p) {
        long[] sorted = samples.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        double index = p * (sorted.length - 1);
        int lower = (int) Math.floor(index);
        int upper = (int) Math.ceil(index);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (index - lower);
    }
}
