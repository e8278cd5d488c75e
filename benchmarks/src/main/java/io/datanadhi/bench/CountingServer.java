package io.datanadhi.bench;

import io.datanadhi.http.testing.TestServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The delivery drivers' server, in a JVM of its own: a {@link TestServer} (any number of requests
 * in flight, pipelined ones included, each answered {@code --delay-ms} after it arrived) that
 * keeps nothing and counts every {@code POST /log} by the sequence number in its body
 * ({@code seq=N}), as {@link DeliveryRig.Counter} does in the driver's JVM: distinct, duplicated,
 * without a number, from EchoPost (User-Agent {@code datanadhi-echopost}), first and last arrival,
 * body bytes; and, for a replay, the arrival order: how many records came with a number lower
 * than the highest seen before them, and the longest run of arrivals each higher than all before.
 * A record counts when it arrives, before it is answered.
 *
 * <pre>java -cp datanadhi-benchmarks.jar io.datanadhi.bench.CountingServer [--port P] [--delay-ms D]</pre>
 *
 * prints {@code listening P}, then answers the driver on its standard input, one line each:
 * {@code stats} (one JSON line of counts), {@code dump PATH} (writes how often each sequence
 * number arrived, one byte each from 0 up to the highest, capped at 127; answers
 * {@code dumped N}), {@code delay D} (a new delay for requests from now on; answers {@code ok}).
 * Exits when its standard input closes. The driver side is {@link Handle}.
 */
public final class CountingServer {

    private final TestServer server;
    private byte[] seen = new byte[1 << 20];
    private long highest = -1;
    private long posts;
    private long distinct;
    private long duplicates;
    private long unsequenced;
    private long fromEchoPost;
    private long bodyBytes;
    private long outOfOrder;
    private long run;
    private long longestRun;
    private long firstArrivalNanos;
    private long lastArrivalNanos;
    private long firstEchoPostNanos;
    private long lastEchoPostNanos;

    private CountingServer(int port, int delayMillis) throws IOException {
        this.server = TestServer.start(port).keepNothing().onReceived(this::received);
        server.delayMillis.set(delayMillis);
    }

    /** On one of the server's event loops, as each POST arrives. */
    private void received(TestServer.Received request) {
        if (!request.path.equals("/log")) {
            return;
        }
        long now = System.nanoTime();
        long seq = DeliveryRig.sequenceOf(request.body);
        boolean echoPost = request.fromEchoPost();
        synchronized (this) {
            posts++;
            bodyBytes += request.body.length;
            if (firstArrivalNanos == 0) {
                firstArrivalNanos = now;
            }
            lastArrivalNanos = now;
            if (echoPost) {
                fromEchoPost++;
                if (firstEchoPostNanos == 0) {
                    firstEchoPostNanos = now;
                }
                lastEchoPostNanos = now;
            }
            if (seq < 0) {
                unsequenced++;
                return;
            }
            if (seq >= seen.length) {
                if (seq >= Integer.MAX_VALUE - 8) {
                    unsequenced++;
                    return;
                }
                seen = Arrays.copyOf(seen, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(seen.length * 2L, seq + 1)));
            }
            int at = (int) seq;
            if (seen[at] == 0) {
                distinct++;
            } else {
                duplicates++;
            }
            if (seen[at] < Byte.MAX_VALUE) {
                seen[at]++;
            }
            // Arrival order: in order when higher than every number before it.
            if (seq > highest) {
                run++;
                longestRun = Math.max(longestRun, run);
                highest = seq;
            } else {
                if (seq < highest) {
                    outOfOrder++;
                }
                run = 0;
            }
        }
    }

    private synchronized String stats() {
        return "{\"posts\":" + posts + ",\"distinct\":" + distinct + ",\"duplicates\":" + duplicates
                + ",\"unsequenced\":" + unsequenced + ",\"from_echopost\":" + fromEchoPost + ",\"body_bytes\":" + bodyBytes
                + ",\"out_of_order\":" + outOfOrder + ",\"longest_in_order_run\":" + longestRun
                + ",\"highest\":" + highest + ",\"first_arrival_ns\":" + firstArrivalNanos
                + ",\"last_arrival_ns\":" + lastArrivalNanos + ",\"first_echopost_ns\":" + firstEchoPostNanos
                + ",\"last_echopost_ns\":" + lastEchoPostNanos + ",\"connections\":" + server.connectionsAccepted()
                + ",\"most_open\":" + server.mostConnectionsOpen() + ",\"now_ns\":" + System.nanoTime() + "}";
    }

    private long dump(Path file) throws IOException {
        byte[] copy;
        synchronized (this) {
            copy = Arrays.copyOf(seen, (int) (highest + 1));
        }
        Files.write(file, copy);
        return copy.length;
    }

    public static void main(String[] args) throws Exception {
        int port = 0;
        int delay = 0;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port": port = Integer.parseInt(args[i + 1]); break;
                case "--delay-ms": delay = Integer.parseInt(args[i + 1]); break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        CountingServer counting = new CountingServer(port, delay);
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        out.println("listening " + counting.server.port());
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            try {
                if (line.equals("stats")) {
                    out.println(counting.stats());
                } else if (line.startsWith("dump ")) {
                    out.println("dumped " + counting.dump(Path.of(line.substring(5).trim())));
                } else if (line.startsWith("delay ")) {
                    counting.server.delayMillis.set(Integer.parseInt(line.substring(6).trim()));
                    out.println("ok");
                } else {
                    out.println("error unknown command: " + line);
                }
            } catch (IOException | RuntimeException e) {
                out.println("error " + e);
            }
            out.flush();
        }
        counting.server.close();
        System.exit(0);
    }

    /** The counts of one {@code stats}; times are the server's {@code System.nanoTime()}. */
    static final class Stats {
        final Map<String, Long> values;

        private Stats(Map<String, Long> values) {
            this.values = values;
        }

        private static final Pattern FIELD = Pattern.compile("\"(\\w+)\":(-?\\d+)");

        static Stats parse(String json) {
            Map<String, Long> values = new TreeMap<>();
            Matcher field = FIELD.matcher(json);
            while (field.find()) {
                values.put(field.group(1), Long.parseLong(field.group(2)));
            }
            if (!values.containsKey("posts")) {
                throw new IllegalStateException("not the counting server's stats: " + json);
            }
            return new Stats(values);
        }

        long get(String name) {
            Long value = values.get(name);
            if (value == null) {
                throw new IllegalArgumentException(name);
            }
            return value;
        }

        long posts() {
            return get("posts");
        }

        long distinct() {
            return get("distinct");
        }

        long duplicates() {
            return get("duplicates");
        }

        long outOfOrder() {
            return get("out_of_order");
        }

        long connections() {
            return get("connections");
        }

        long mostOpen() {
            return get("most_open");
        }

        /** Seconds from the first to the last POST /log, or NaN before two arrived. */
        double arrivalSeconds() {
            long first = get("first_arrival_ns");
            long last = get("last_arrival_ns");
            return first == 0 || last <= first ? Double.NaN : (last - first) / 1e9;
        }

        long averageBody() {
            return get("body_bytes") / Math.max(1, posts());
        }

        /** "N accepted, M at once". */
        String connectionsText() {
            return String.format("%,d / %,d", connections(), mostOpen());
        }
    }

    /** The driver's side: a counting server JVM, asked over its standard input. */
    static final class Handle implements AutoCloseable {
        final Process process;
        final int port;
        final int delayMillis;
        private final BufferedReader replies;
        private final OutputStream commands;
        private final Path stderr;

        private Handle(Process process, int port, int delayMillis, BufferedReader replies, Path stderr) {
            this.process = process;
            this.port = port;
            this.delayMillis = delayMillis;
            this.replies = replies;
            this.commands = process.getOutputStream();
            this.stderr = stderr;
        }

        /** A server answering after {@code delayMillis}; {@code port} 0 for a free one. Ready when it returns. */
        static Handle start(String java, int port, int delayMillis) throws IOException {
            Path stderr = Files.createTempFile("bench-counting-server", ".err");
            List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-cp",
                    ServerJvm.benchmarksJar().toString(), CountingServer.class.getName(), "--port", Integer.toString(port),
                    "--delay-ms", Integer.toString(delayMillis)));
            Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
            BufferedReader replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line = readLine(process, replies, 30_000, stderr);
            if (line == null || !line.startsWith("listening ")) {
                process.destroyForcibly();
                throw new IOException("the counting server did not start: " + line + "; " + tail(stderr));
            }
            return new Handle(process, Integer.parseInt(line.substring("listening ".length()).trim()), delayMillis, replies,
                    stderr);
        }

        String url() {
            return "http://127.0.0.1:" + port;
        }

        synchronized Stats stats() throws IOException {
            return Stats.parse(ask("stats"));
        }

        /** How often each sequence number arrived, index = number (0 up to the highest). */
        synchronized byte[] seen() throws IOException {
            Path file = Files.createTempFile("bench-seen", ".bin");
            try {
                String reply = ask("dump " + file);
                if (!reply.startsWith("dumped ")) {
                    throw new IOException("dump: " + reply);
                }
                return Files.readAllBytes(file);
            } finally {
                Files.deleteIfExists(file);
            }
        }

        /** Waits (at most {@code maxMillis}) until no POST arrived for {@code quietMillis}; the last stats. */
        Stats awaitQuiet(long quietMillis, long maxMillis) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMillis);
            Stats last = stats();
            long lastChange = System.nanoTime();
            while (System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(20);
                Stats now = stats();
                if (now.posts() != last.posts()) {
                    lastChange = System.nanoTime();
                    last = now;
                } else if (System.nanoTime() - lastChange >= TimeUnit.MILLISECONDS.toNanos(quietMillis)) {
                    return now;
                }
            }
            return stats();
        }

        long cpuNanos() {
            return DeliveryRig.cpuNanos(process.pid());
        }

        private String ask(String command) throws IOException {
            if (!process.isAlive()) {
                throw new IOException("the counting server has exited (" + process.exitValue() + "); " + tail(stderr));
            }
            commands.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            commands.flush();
            String reply = readLine(process, replies, 30_000, stderr);
            if (reply == null || reply.startsWith("error")) {
                throw new IOException("the counting server answered \"" + command + "\" with: " + reply + "; " + tail(stderr));
            }
            return reply;
        }

        /** A line within {@code millis}, or an exception saying the server hangs. */
        private static String readLine(Process process, BufferedReader in, long millis, Path stderr) throws IOException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            while (!in.ready()) {
                if (!process.isAlive()) {
                    return in.readLine(); // what it printed before it went, or null
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("the counting server did not answer within " + millis + " ms; " + tail(stderr));
                }
                try {
                    TimeUnit.MICROSECONDS.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            return in.readLine();
        }

        private static String tail(Path file) {
            try {
                String text = Files.readString(file).trim();
                return text.isEmpty() ? "nothing on its stderr" : "its stderr: " + text.substring(Math.max(0, text.length() - 2000));
            } catch (IOException e) {
                return "";
            }
        }

        @Override
        public void close() throws InterruptedException {
            try {
                commands.close();
            } catch (IOException ignored) {
                // it goes anyway
            }
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            try {
                Files.deleteIfExists(stderr);
            } catch (IOException ignored) {
                // a temp file
            }
        }
    }

    /** Sequence numbers below {@code count} that never arrived and are not in {@code alsoAccounted}. */
    static List<Long> missing(byte[] seen, long count, boolean[] alsoAccounted) {
        List<Long> missing = new ArrayList<>();
        for (long seq = 0; seq < count; seq++) {
            boolean received = seq < seen.length && seen[(int) seq] != 0;
            boolean elsewhere = alsoAccounted != null && seq < alsoAccounted.length && alsoAccounted[(int) seq];
            if (!received && !elsewhere) {
                missing.add(seq);
            }
        }
        return missing;
    }
}
