package io.datanadhi.bench;

import io.datanadhi.bench.DeliveryRig.App;
import io.datanadhi.bench.DeliveryRig.Counter;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The first outage: how long records wait for EchoPost when the server stops answering. An
 * application logs 300 records/s to a local server, which closes its port 2 s after the start.
 * The figure is the agent's {@code echopost_took_over}: from the first failed delivery
 * ({@code primary_down}) to the first records EchoPost acknowledged. Also from
 * {@code primary_down} to {@code echopost_started} (EchoPost's socket accepts), by the two lines'
 * timestamps, which an agent without {@code echopost_took_over} (before step 7, given with
 * {@code --agent}) reports too. For a fresh directory (EchoPost never installed there) and one
 * where it is installed (its store emptied between runs), on a quiet machine and with two threads
 * of this JVM spinning on both cores. The baseline, measured in the same run and the same
 * conditions: a hello-world JVM started with EchoPost's flags, from its spawn until it exited,
 * which says how fast this machine starts a JVM at all.
 *
 * <pre>java -cp benchmarks/target/datanadhi-benchmarks.jar io.datanadhi.bench.FirstOutageBenchmark
 *      [--java JAVA] [--agent JAR] [--runs 11]</pre>
 */
public final class FirstOutageBenchmark {

    private static final Pattern MILLIS = Pattern.compile("\"millis\":(\\d+)");
    private static final Pattern TIME = Pattern.compile("\"time\":\"([^\"]+)\"");

    public static void main(String[] args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path agent = Path.of("agent/target/datanadhi-agent.jar");
        int runs = 11;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--java": java = args[i + 1]; break;
                case "--agent": agent = Path.of(args[i + 1]); break;
                case "--runs": runs = Integer.parseInt(args[i + 1]); break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        System.out.printf("First outage benchmark: %d cores, %s, %s, %d runs each%n",
                Runtime.getRuntime().availableProcessors(), java, agent, runs);
        System.out.println("configuration                 first failure -> EchoPost stored       first failure -> listening");
        System.out.println("                              median    worst  (x baseline)            median    worst  (x baseline)");
        for (boolean busy : new boolean[] {false, true}) {
            long jvm = helloWorldJvm(java, runs, busy);
            for (boolean fresh : new boolean[] {true, false}) {
                measure(java, agent, runs, fresh, busy, jvm);
            }
        }
    }

    /** Median ms from spawning a hello-world JVM with EchoPost's flags until it exited. */
    private static long helloWorldJvm(String java, int runs, boolean busy) throws Exception {
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(io.datanadhi.agent.echopost.EchoPostJvm.FLAGS);
        command.addAll(List.of("-cp", Path.of(FirstOutageBenchmark.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI()).toString(), Hello.class.getName()));
        List<Long> millis = new ArrayList<>();
        Spin spin = new Spin();
        List<Thread> spinners = busy ? spinners(spin) : List.of();
        try {
            for (int run = 0; run < runs; run++) {
                long start = System.nanoTime();
                Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                    throw new IllegalStateException("the hello-world JVM failed: " + command);
                }
                millis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
        } finally {
            stop(spin, spinners);
        }
        long median = median(millis);
        System.out.printf("%-28s baseline: a hello-world JVM with EchoPost's flags, spawn to exit: %d ms (worst %d)%n",
                busy ? "busy" : "quiet", median, Collections.max(millis));
        return median;
    }

    /** The baseline's main: nothing. */
    public static final class Hello {
        public static void main(String[] args) {
            System.out.println("hello");
        }
    }

    private static List<Thread> spinners(Spin spin) {
        List<Thread> spinners = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Thread thread = new Thread(spin, "busy-" + i);
            thread.setDaemon(true);
            thread.start();
            spinners.add(thread);
        }
        return spinners;
    }

    private static void stop(Spin spin, List<Thread> spinners) throws InterruptedException {
        spin.stop = true;
        for (Thread thread : spinners) {
            thread.join();
        }
    }

    private static void measure(String java, Path agent, int runs, boolean fresh, boolean busy, long jvm)
            throws Exception {
        List<Long> tookOver = new ArrayList<>();
        List<Long> listened = new ArrayList<>();
        Path installed = null;
        Spin spin = new Spin();
        List<Thread> spinners = busy ? spinners(spin) : List.of();
        try {
            for (int run = 0; run < (fresh ? runs : runs + 1); run++) {
                Path dir = installed != null ? installed : DeliveryRig.dataNadhiDir("bench-first-outage");
                long[] figures = once(java, agent, dir);
                boolean warmUp = !fresh && installed == null; // the run that installs it
                if (!warmUp) {
                    tookOver.add(figures[0]);
                    listened.add(figures[1]);
                }
                if (fresh) {
                    DeliveryRig.deleteTree(dir);
                } else {
                    installed = dir;
                    emptyStore(dir.resolve("echopost"));
                }
            }
        } finally {
            stop(spin, spinners);
            if (installed != null) {
                DeliveryRig.deleteTree(installed);
            }
        }
        String stored = tookOver.contains(-1L) ? String.format("%28s", "(not reported)")
                : String.format("%7d ms %6d ms (%4.1fx)", median(tookOver), Collections.max(tookOver),
                        median(tookOver) / (double) jvm);
        System.out.printf("%-28s %s       %7d ms %6d ms (%4.1fx)%n",
                (fresh ? "fresh directory" : "EchoPost installed") + (busy ? ", busy" : ", quiet"),
                stored, median(listened), Collections.max(listened), median(listened) / (double) jvm);
    }

    /** One run: {echopost_took_over ms (-1: not reported), primary_down to echopost_started ms}. */
    private static long[] once(String java, Path agent, Path dir) throws Exception {
        Counter counter = new Counter();
        AcceptingHttpServer server = AcceptingHttpServer.serving(0, counter);
        App app = new App(java, agent, DeliveryRig.appClassPath(),
                Map.of("DATANADHI_DIR", dir.toString(),
                        "DATANADHI_SERVER_HOST", "http://127.0.0.1:" + server.port(),
                        "DATANADHI_API_KEY", DeliveryRig.API_KEY,
                        "DATANADHI_EXIT_TIMEOUT", "30"),
                List.of("300", "4"), dir.resolve("logs"));
        DeliveryRig.sleepUntil(app.startNanos + TimeUnit.SECONDS.toNanos(2));
        server.close();
        int exit = app.awaitExit(120);
        stopEchoPosts(dir.resolve("echopost"));
        if (exit != 0) {
            throw new IllegalStateException("the app exited with " + exit + "; see " + app.stderr);
        }
        List<String> lines = Files.readAllLines(app.stderr);
        String tookOver = line(lines, "echopost_took_over");
        Matcher millis = MILLIS.matcher(tookOver == null ? "" : tookOver);
        String down = line(lines, "primary_down");
        String started = line(lines, "echopost_started");
        if (down == null || started == null) {
            throw new IllegalStateException("no primary_down or echopost_started in " + app.stderr);
        }
        return new long[] {millis.find() ? Long.parseLong(millis.group(1)) : -1,
            Duration.between(time(down), time(started)).toMillis()};
    }

    private static String line(List<String> lines, String event) {
        for (String line : lines) {
            if (line.contains("\"event\":\"" + event + "\"")) {
                return line;
            }
        }
        return null;
    }

    private static Instant time(String line) {
        Matcher matcher = TIME.matcher(line);
        if (!matcher.find()) {
            throw new IllegalStateException("no time in " + line);
        }
        return Instant.parse(matcher.group(1));
    }

    /**
     * SIGTERM, as a user or an orchestrator stops it: EchoPost exits normally, and its first exit
     * writes the class data sharing archive that later starts use (a {@code kill -9} would not).
     */
    private static void stopEchoPosts(Path echoPostDir) throws Exception {
        for (ProcessHandle process : DeliveryRig.echoPosts(echoPostDir)) {
            process.destroy();
            try {
                process.onExit().get(20, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                process.destroyForcibly();
            }
        }
    }

    /** What a stopped EchoPost left: the next run starts as on a directory where it is only installed. */
    private static void emptyStore(Path echoPostDir) throws Exception {
        try (Stream<Path> files = Files.list(echoPostDir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                if (name.equals("store") || name.startsWith("session-")) {
                    DeliveryRig.deleteTree(file);
                }
            }
        }
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    /** Holds a core. */
    private static final class Spin implements Runnable {
        volatile boolean stop;

        @Override
        public void run() {
            long x = 1;
            while (!stop) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
            if (x == 42) {
                System.out.println();
            }
        }
    }
}
