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
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The README's first command: starts the dev server, runs {@link ShopApp} with the agent attached
 * and shipping to it, stops the server for a few seconds in the middle (the agent starts EchoPost,
 * which keeps the records on disk), starts it again (EchoPost replays and exits), and checks that
 * every event the rules ship arrived.
 *
 * <pre>java -jar demo/target/datanadhi-demo.jar [--agent agent/target/datanadhi-agent.jar] [--orders 30]</pre>
 */
public final class Demo {

    private static final String API_KEY = "demo-api-key-0000";
    private static final long OUTAGE_MILLIS = 4000;
    /** A dev-server line for a record the rules ship: its message. */
    private static final Pattern SHIPPED = Pattern.compile("  ((?:order placed id|payment failed for order)[= ]\\d+)  ");
    private static final Pattern DIAGNOSTIC = Pattern.compile(
            "\"level\":\"(\\w+)\",\"event\":\"([^\"]+)\",\"message\":\"((?:[^\"\\\\]|\\\\.)*)\"");

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
        Process server = startServer("server");

        // About 10 s of orders whatever their number, so that the outage falls in the middle.
        long pause = Math.max(40, 10_000 / orders);
        step("3. The shop, with -javaagent:" + agentJar.getFileName() + " (no code change): " + orders
                + " orders, one every " + pause + " ms");
        Process shop = start("shop", List.of(java, "-javaagent:" + agentJar, "-cp", demoJar.toString(),
                ShopApp.class.getName(), Integer.toString(orders), Long.toString(pause)),
                Map.of("DATANADHI_DIR", dir.toString(),
                        "DATANADHI_SERVER_HOST", "http://127.0.0.1:" + port,
                        "DATANADHI_FALLBACK_SERVER_HOST", "http://127.0.0.1:" + port,
                        "DATANADHI_API_KEY", API_KEY));
        Thread echoPostLog = relayEchoPostEvents();

        awaitReceived("server", Math.max(1, orders / 3), shop);
        step("4. The dev server goes down for " + OUTAGE_MILLIS / 1000 + " s: the agent starts EchoPost and hands it"
                + " the records, which it keeps on disk");
        stop(server);
        Thread.sleep(OUTAGE_MILLIS);

        step("5. The dev server is back: the agent sends to it again, EchoPost replays what it holds and exits");
        server = startServer("server2");
        if (!shop.waitFor(120, TimeUnit.SECONDS)) {
            shop.destroyForcibly();
            say("the shop did not finish within 120 s");
            return 1;
        }
        boolean echoPostGone = awaitEchoPostExit(60_000);
        echoPostLog.interrupt();
        echoPostLog.join(2000);

        step("6. Stopping the dev server");
        stop(server);

        Set<String> expected = new TreeSet<>();
        for (int id = 1; id <= orders; id++) {
            expected.add("order placed id=" + id);
            if (id % 10 == 0) {
                expected.add("payment failed for order " + id);
            }
        }
        List<String> arrivals = new ArrayList<>();
        for (String name : List.of("server", "server2")) {
            for (String line : snapshot(name)) {
                Matcher m = SHIPPED.matcher(line);
                if (m.find()) {
                    arrivals.add(m.group(1));
                }
            }
        }
        Set<String> received = new TreeSet<>(arrivals);
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(received);

        say("Summary");
        System.out.println("  the shop exited with " + shop.exitValue());
        System.out.println("  EchoPost " + (echoPostGone ? "replayed everything it held and exited" : "was still running after 60 s"));
        if (arrivals.size() > received.size()) {
            System.out.println("  " + (arrivals.size() - received.size()) + " record(s) arrived twice (delivery is at least once)");
        }
        if (!missing.isEmpty()) {
            System.out.println("  missing: " + missing);
        }
        System.out.println("  sent " + expected.size() + ", received " + received.size() + ", lost " + missing.size());
        return missing.isEmpty() && shop.exitValue() == 0 && echoPostGone ? 0 : 1;
    }

    private Process startServer(String name) throws Exception {
        Process server = start(name, List.of(java, "-jar", agentJar.toString(), "dev-server", "--port",
                Integer.toString(port)), Map.of());
        awaitHealthy();
        return server;
    }

    private void stop(Process server) throws InterruptedException {
        server.toHandle().destroy(); // SIGTERM, keeping our end of its output open (Process.destroy closes it)
        server.waitFor(10, TimeUnit.SECONDS);
        Thread.sleep(200); // let the relay print the last lines
    }

    /** Waits (bounded) until the named server has printed {@code count} records, or the shop has ended. */
    private void awaitReceived(String name, int count, Process shop) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && shop.isAlive()
                && snapshot(name).stream().filter(l -> SHIPPED.matcher(l).find()).count() < count) {
            Thread.sleep(20);
        }
    }

    /** EchoPost runs detached with its output discarded; its events.log tells what it does. */
    private Thread relayEchoPostEvents() {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        captured.put("echopost", lines);
        Thread relay = new Thread(() -> {
            Path echoDir = dir.resolve("echopost");
            Map<Path, Long> read = new HashMap<>();
            boolean stopping = false;
            while (true) {
                try {
                    stopping |= Thread.interrupted();
                    try (Stream<Path> sessions = Files.isDirectory(echoDir) ? Files.list(echoDir)
                            : Stream.empty()) {
                        for (Path session : (Iterable<Path>) sessions.sorted()::iterator) {
                            Path events = session.resolve("events.log");
                            if (!session.getFileName().toString().startsWith("session-") || !Files.isRegularFile(events)) {
                                continue;
                            }
                            List<String> all = Files.readAllLines(events, StandardCharsets.UTF_8);
                            long from = read.getOrDefault(events, 0L);
                            for (String line : all.subList((int) Math.min(from, all.size()), all.size())) {
                                lines.add(line);
                                System.out.println(String.format("  %-8s | %s", "echopost", compact(line)));
                            }
                            read.put(events, (long) all.size());
                        }
                    }
                    if (stopping) {
                        return;
                    }
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    stopping = true;
                } catch (IOException | RuntimeException e) {
                    // A line being written, or the session removed: read again next time.
                }
            }
        }, "relay-echopost");
        relay.setDaemon(true);
        relay.start();
        return relay;
    }

    /** Waits (bounded) until no EchoPost serves the directory: its socket is gone. */
    private boolean awaitEchoPostExit(long timeoutMillis) throws InterruptedException {
        Path socket = dir.resolve("echopost").resolve("data-nadhi-agent.sock");
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (Files.exists(socket) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        Thread.sleep(300); // its last events
        return !Files.exists(socket);
    }

    /** A JSON diagnostic line as {@code LEVEL event: message}; other lines as they are. */
    private static String compact(String line) {
        Matcher m = DIAGNOSTIC.matcher(line);
        return m.find() ? String.format("%-5s %s: %s", m.group(1), m.group(2), m.group(3).replace("\\\"", "\"")) : line;
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
                    System.out.println(String.format("  %-8s | %s", name, compact(line)));
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
