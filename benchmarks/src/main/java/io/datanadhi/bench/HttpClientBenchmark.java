package io.datanadhi.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Which HTTP machinery to ship with: the same requests (the agent's body size, {@code POST /log},
 * a window of requests in flight) from a bare client in its own JVM, to a server in its own JVM
 * that answers each request after a delay (0 ms: the same host; 30 ms: a distant server), by
 * each candidate: the JDK's {@code java.net.http} with an executor of ours, plain blocking
 * sockets with a thread each ({@code HttpConnection} multiplied), and Netty's HTTP codec (the
 * agent's {@code ConnectionPool}, and the replay's {@code PipelinedConnection}). Requests/s and
 * the client's CPU per request.
 *
 * <pre>java -cp benchmarks/target/datanadhi-benchmarks.jar io.datanadhi.bench.HttpClientBenchmark
 *      [--java JAVA] [--seconds 10] [--window 256] [--delays 0,30]</pre>
 */
public final class HttpClientBenchmark {

    public static void main(String[] args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        int seconds = 10;
        int window = 256;
        List<Integer> delays = new ArrayList<>(List.of(0, 30));
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--java": java = args[i + 1]; break;
                case "--seconds": seconds = Integer.parseInt(args[i + 1]); break;
                case "--window": window = Integer.parseInt(args[i + 1]); break;
                case "--delays":
                    delays.clear();
                    for (String d : args[i + 1].split(",")) {
                        delays.add(Integer.parseInt(d.trim()));
                    }
                    break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        System.out.println("HTTP client benchmark: " + Runtime.getRuntime().availableProcessors() + " cores, " + java
                + ", " + seconds + " s per run after 3 s of warm-up, body 461 bytes, a window of " + window);
        System.out.println();
        System.out.println("| server delay | client | requests/s | client CPU per request | server CPU per request | connections |");
        System.out.println("|---:|---|---:|---:|---:|---|");
        for (int delay : delays) {
            run(java, delay, "socket", window, 1, seconds, "blocking sockets, a thread each (" + window + ")");
            run(java, delay, "jdk", 2, window, seconds, "`java.net.http`, executor of 2 threads");
            run(java, delay, "netty", 2, window, seconds, "Netty: `ConnectionPool` (the agent)");
            run(java, delay, "pipelined", 1, window, seconds, "Netty: `PipelinedConnection` (the replays)");
        }
    }

    private static void run(String java, int delay, String mode, int threads, int inFlight, int seconds, String name)
            throws Exception {
        try (ServerJvm server = ServerJvm.start(java, delay)) {
            Path logs = Files.createTempDirectory("bench-http");
            int warmup = 3;
            List<String> command = List.of(java, "-cp", ServerJvm.benchmarksJar().toString(), HttpLoadClient.class.getName(),
                    mode, Integer.toString(server.port), Integer.toString(threads), Integer.toString(inFlight),
                    Integer.toString(warmup + seconds + 2), "461"); // + 2 s: still running when the window ends
            Process client = new ProcessBuilder(command).redirectOutput(logs.resolve("out").toFile())
                    .redirectError(logs.resolve("err").toFile()).start();
            TimeUnit.SECONDS.sleep(warmup);
            long before = stats(server.port);
            long clientCpu = DeliveryRig.cpuNanos(client.pid());
            long serverCpu = server.cpuNanos();
            long start = System.nanoTime();
            TimeUnit.SECONDS.sleep(seconds);
            long requests = stats(server.port) - before;
            double elapsed = (System.nanoTime() - start) / 1e9;
            clientCpu = DeliveryRig.cpuNanos(client.pid()) - clientCpu;
            serverCpu = server.cpuNanos() - serverCpu;
            if (!client.waitFor(60, TimeUnit.SECONDS)) {
                client.destroyForcibly();
            }
            String out = Files.readString(logs.resolve("out")).trim();
            System.out.printf("| %d ms | %s | %,.0f | %.1f µs | %.1f µs | %s |%n", delay, name, requests / elapsed,
                    clientCpu / 1e3 / Math.max(1, requests), serverCpu / 1e3 / Math.max(1, requests),
                    out.contains(", ") ? out.substring(out.lastIndexOf(", ") + 2) : out);
        }
    }

    /** POSTs the server answered so far. */
    private static long stats(int port) throws Exception {
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        String json = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/_stats"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        int at = json.indexOf("\"posts\":") + 8;
        return Long.parseLong(json.substring(at, json.indexOf(',', at)));
    }
}
