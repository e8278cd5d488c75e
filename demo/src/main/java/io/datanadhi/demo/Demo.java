package io.datanadhi.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The README's first command: starts the dev server, runs {@link ShopApp} with the agent attached
 * and shipping to it, and checks that every event the rules ship arrived.
 *
 * <pre>java -jar demo/target/datanadhi-demo.jar [--agent agent/target/datanadhi-agent.jar] [--orders 30]</pre>
 */
public final class Demo {

    private static final String API_KEY = "demo-api-key-0000";
    private static final Pattern STOPPED = Pattern.compile("stopped \\((\\d+) records? received\\)");
    private static final Pattern SHOP_SUMMARY = Pattern.compile("shop: logged (\\d+) orders, (\\d+) warnings, (\\d+) errors");

    private static final String RULES = String.join("\n",
            "# Every order goes to the orders pipeline; failures also to errors and are printed.",
            "- name: orders",
            "  conditions:",
            "    - {key: message, type: partial, value: order placed}",
            "  pipelines: [orders]",
            "- name: errors",
            "  conditions:",
            "    - {key: log_record.level, type: exact, value: ERROR}",
            "  pipelines: [errors]",
            "  stdout: true",
            "");

    private final Path agentJar;
    private final Path demoJar;
    private final String java;
    private final int orders;
    private final Path dir;
    private final int port;

    private Demo(Path agentJar, int orders) throws IOException {
        this.agentJar = agentJar;
        this.demoJar = Path.of(Demo.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        this.java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        this.orders = orders;
        this.dir = Files.createTempDirectory("datanadhi-demo").resolve(".datanadhi");
        this.port = freePort();
    }

    public static void main(String[] args) throws Exception {
        Path demoJar = Path.of(Demo.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        Path agentJar = demoJar.toAbsolutePath().getParent().resolve("../../agent/target/datanadhi-agent.jar").normalize();
        int orders = 30;
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (args[i].equals("--agent")) {
                agentJar = Path.of(args[i + 1]);
            } else if (args[i].equals("--orders")) {
                orders = Integer.parseInt(args[i + 1]);
            }
        }
        if (!Files.isRegularFile(agentJar)) {
            System.err.println("demo: agent jar not found at " + agentJar + " (build it: mvn -B -q -DskipTests package)");
            System.exit(2);
        }
        System.exit(new Demo(agentJar, orders).run());
    }

    private int run() throws Exception {
        say("Data Nadhi agent demo");
        Files.createDirectories(dir.resolve("rules"));
        Files.writeString(dir.resolve("rules").resolve("demo.yml"), RULES);
        step("1. A Data Nadhi directory with one rule file: " + dir.resolve("rules/demo.yml"));
        RULES.lines().forEach(line -> System.out.println("     " + line));

        step("2. The dev server: java -jar " + agentJar.getFileName() + " dev-server --port " + port);
        Process server = start("server", List.of(java, "-jar", agentJar.toString(), "dev-server", "--port",
                Integer.toString(port)), Map.of());
        AtomicLong received = new AtomicLong(-1);
        awaitHealthy();

        step("3. The shop, with -javaagent:" + agentJar.getFileName() + " (no code change)");
        Process shop = start("shop", List.of(java, "-javaagent:" + agentJar, "-cp", demoJar.toString(),
                ShopApp.class.getName(), Integer.toString(orders), "40"),
                Map.of("DATANADHI_DIR", dir.toString(),
                        "DATANADHI_SERVER_HOST", "http://127.0.0.1:" + port,
                        "DATANADHI_API_KEY", API_KEY));
        if (!shop.waitFor(120, TimeUnit.SECONDS)) {
            shop.destroyForcibly();
            say("the shop did not finish within 120 s");
            return 1;
        }

        step("4. Stopping the dev server");
        server.toHandle().destroy(); // SIGTERM, keeping our end of its output open (Process.destroy closes it)
        server.waitFor(10, TimeUnit.SECONDS);
        Thread.sleep(200); // let the relay print the last lines
        for (String line : snapshot("server")) {
            Matcher m = STOPPED.matcher(line);
            if (m.find()) {
                received.set(Long.parseLong(m.group(1)));
            }
        }

        long sent = -1;
        for (String line : snapshot("shop")) {
            Matcher m = SHOP_SUMMARY.matcher(line);
            if (m.find()) {
                // The rules ship every order and every error; warnings stay in the application.
                sent = Long.parseLong(m.group(1)) + Long.parseLong(m.group(3));
            }
        }
        long lost = sent < 0 || received.get() < 0 ? -1 : Math.max(0, sent - received.get());
        say("Summary");
        System.out.println("  the shop exited with " + shop.exitValue());
        System.out.println("  sent " + sent + ", received " + received.get() + ", lost " + lost);
        return lost == 0 && shop.exitValue() == 0 ? 0 : 1;
    }

    private final Map<String, List<String>> captured = new ConcurrentHashMap<>();

    private List<String> snapshot(String name) {
        List<String> lines = captured.getOrDefault(name, List.of());
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }

    /** Starts a child process and relays its output, prefixed with its name. */
    private Process start(String name, List<String> command, Map<String, String> env) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(key -> key.startsWith("DATANADHI_") || key.equals("JAVA_TOOL_OPTIONS"));
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        captured.put(name, lines);
        Thread relay = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                    System.out.println(String.format("  %-6s | %s", name, line));
                }
            } catch (IOException ignoredError) {
                // The process ended.
            }
        }, "relay-" + name);
        relay.setDaemon(true);
        relay.start();
        return process;
    }

    private void awaitHealthy() throws InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<Void> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                        .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Still starting.
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the dev server did not start within 20 s");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void say(String title) {
        System.out.println();
        System.out.println("== " + title + " ==");
    }

    private static void step(String text) {
        System.out.println();
        System.out.println(text);
    }
}
