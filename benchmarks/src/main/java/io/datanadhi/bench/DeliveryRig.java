package io.datanadhi.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * What the delivery benchmarks share: a server that counts records by sequence number, the
 * application JVM with the agent attached, the agent's {@code dropped/} files, and EchoPost
 * processes found by their command line.
 */
final class DeliveryRig {

    private DeliveryRig() {}

    static final String API_KEY = "bench-key-0000000000";
    static final String APP = "io.datanadhi.bench.apps.SteadyJul";
    /** Every record the app logs is INFO: this rule ships all of them. */
    static final String SHIP_ALL = "- name: all\n  conditions: [{key: log_record.level, type: exact, value: INFO}]\n"
            + "  pipelines: [all]\n";

    /**
     * Counts {@code POST /log} records by the sequence number in their message ({@code seq=N}):
     * distinct, duplicated, and which came from EchoPost's replay ({@code User-Agent:
     * datanadhi-echopost}).
     */
    static final class Counter implements AcceptingHttpServer.Handler {
        final AtomicLong posts = new AtomicLong();
        final AtomicLong fromEchoPost = new AtomicLong();
        final AtomicLong bodyBytes = new AtomicLong();
        final AtomicLong unsequenced = new AtomicLong();
        volatile long firstArrivalNanos;
        volatile long lastArrivalNanos;
        volatile long lastEchoPostNanos;
        private byte[] seen = new byte[1 << 20];
        private long distinct;
        private long duplicates;

        @Override
        public void handle(AcceptingHttpServer.Request request) {
            if (!request.method.equals("POST") || !request.path.equals("/log")) {
                return; // health checks
            }
            long now = System.nanoTime();
            long seq = sequenceOf(request.body);
            synchronized (this) {
                if (firstArrivalNanos == 0) {
                    firstArrivalNanos = now;
                }
                lastArrivalNanos = now;
                if (seq < 0) {
                    unsequenced.incrementAndGet();
                } else {
                    if (seq >= seen.length) {
                        seen = Arrays.copyOf(seen, (int) Math.max(seen.length * 2L, seq + 1));
                    }
                    if (seen[(int) seq] == 0) {
                        distinct++;
                    } else {
                        duplicates++;
                    }
                    if (seen[(int) seq] < Byte.MAX_VALUE) {
                        seen[(int) seq]++;
                    }
                }
            }
            if (request.userAgent.startsWith("datanadhi-echopost")) {
                fromEchoPost.incrementAndGet();
                lastEchoPostNanos = now;
            }
            bodyBytes.addAndGet(request.body.length);
            posts.incrementAndGet();
        }

        synchronized long distinct() {
            return distinct;
        }

        synchronized long duplicates() {
            return duplicates;
        }

        /** Sequence numbers below {@code logged} never received and not in {@code alsoAccounted}. */
        synchronized List<Long> missing(long logged, boolean[] alsoAccounted) {
            List<Long> missing = new ArrayList<>();
            for (long seq = 0; seq < logged; seq++) {
                boolean received = seq < seen.length && seen[(int) seq] != 0;
                boolean elsewhere = seq < alsoAccounted.length && alsoAccounted[(int) seq];
                if (!received && !elsewhere) {
                    missing.add(seq);
                }
            }
            return missing;
        }
    }

    /** The number after the first {@code seq=} in the body, or -1. */
    static long sequenceOf(byte[] body) {
        int limit = body.length - 4;
        for (int i = 0; i < limit; i++) {
            if (body[i] == 's' && body[i + 1] == 'e' && body[i + 2] == 'q' && body[i + 3] == '=') {
                long value = 0;
                int j = i + 4;
                if (j >= body.length || body[j] < '0' || body[j] > '9') {
                    return -1;
                }
                while (j < body.length && body[j] >= '0' && body[j] <= '9') {
                    value = value * 10 + (body[j++] - '0');
                }
                return value;
            }
        }
        return -1;
    }

    /** What the agent wrote to {@code <dir>/dropped/}: lines per reason, and the sequence numbers. */
    static final class Dropped {
        final Map<String, Long> byReason = new TreeMap<>();
        boolean[] sequences = new boolean[0];
        long total;

        static Dropped scan(Path dataNadhiDir) throws IOException {
            Dropped dropped = new Dropped();
            Path dir = dataNadhiDir.resolve("dropped");
            if (!Files.isDirectory(dir)) {
                return dropped;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    String name = file.getFileName().toString();
                    String reason = name.replaceFirst("_\\d+_\\d+\\.jsonl$", "");
                    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                        if (line.isBlank()) {
                            continue;
                        }
                        dropped.byReason.merge(reason, 1L, Long::sum);
                        dropped.total++;
                        long seq = sequenceOf(line.getBytes(StandardCharsets.UTF_8));
                        if (seq >= 0) {
                            if (seq >= dropped.sequences.length) {
                                dropped.sequences = Arrays.copyOf(dropped.sequences, (int) Math.max(1024, seq * 2));
                            }
                            dropped.sequences[(int) seq] = true;
                        }
                    }
                }
            }
            return dropped;
        }

        @Override
        public String toString() {
            return total == 0 ? "0" : total + " " + byReason;
        }
    }

    /** A directory for one run: {@code rules/all.yml} shipping every record. */
    static Path dataNadhiDir(String name) throws IOException {
        Path dir = Files.createTempDirectory(name);
        Files.createDirectories(dir.resolve("rules"));
        Files.writeString(dir.resolve("rules").resolve("all.yml"), SHIP_ALL);
        return dir;
    }

    /** The app's classes alone on a class path, as in {@link StartupBenchmark}: a small application. */
    static Path appClassPath() throws IOException {
        return appClassPath(APP);
    }

    /** One application class alone on a class path. */
    static Path appClassPath(String mainClass) throws IOException {
        Path dir = Files.createTempDirectory("bench-app");
        String file = mainClass.replace('.', '/') + ".class";
        Files.createDirectories(dir.resolve(file).getParent());
        try (InputStream in = DeliveryRig.class.getClassLoader().getResourceAsStream(file)) {
            Files.copy(in, dir.resolve(file));
        }
        return dir;
    }

    /** A JVM running {@link #APP}, with the agent when {@code agent} is not null. */
    static final class App {
        final Process process;
        final Path stdout;
        final Path stderr;
        final long startNanos = System.nanoTime();

        App(String java, Path agent, Path classPath, Map<String, String> env, List<String> appArgs, Path logs)
                throws IOException {
            List<String> command = new ArrayList<>(List.of(java));
            if (agent != null) {
                command.add("-javaagent:" + agent);
            }
            command.addAll(List.of("-cp", classPath.toString(), APP));
            command.addAll(appArgs);
            Files.createDirectories(logs);
            this.stdout = logs.resolve("app.out");
            this.stderr = logs.resolve("app.err");
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            builder.environment().keySet().removeIf(k -> k.startsWith("DATANADHI_") || k.equals("JAVA_TOOL_OPTIONS"));
            builder.environment().putAll(env);
            this.process = builder.start();
        }

        /** Another JVM (a bare client) measured like the app. */
        App(Process process) {
            this.process = process;
            this.stdout = null;
            this.stderr = null;
        }

        /** Waits at most {@code seconds} for the JVM to exit; kills it after that. */
        int awaitExit(long seconds) throws InterruptedException {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("the app did not exit within " + seconds + " s; see " + stderr);
            }
            return process.exitValue();
        }

        /** From the app's last line: {@code logged N in S s}. */
        long logged() throws IOException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            do {
                String text = Files.readString(stdout);
                for (String line : text.split("\n", -1)) {
                    // Only a whole line: the app may be in the middle of printing it.
                    if (line.startsWith("logged ") && text.contains(line + "\n")) {
                        return Long.parseLong(line.split(" ")[1]);
                    }
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            } while (System.nanoTime() < deadline);
            throw new IllegalStateException("the app printed no count; see " + stdout + " and " + stderr);
        }

        double loggingSeconds() throws IOException {
            for (String line : Files.readAllLines(stdout)) {
                if (line.startsWith("logged ")) {
                    return Double.parseDouble(line.split(" ")[3]);
                }
            }
            throw new IllegalStateException("the app printed no count; see " + stdout);
        }
    }

    /** User + system CPU time of a process so far, from /proc (0 once it is gone). */
    static long cpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000_000L; // USER_HZ = 100
        } catch (IOException | RuntimeException gone) {
            return 0;
        }
    }

    /** CPU time of this JVM (the server's). */
    static long ownCpuNanos() {
        return cpuNanos(ProcessHandle.current().pid());
    }

    /** EchoPost processes serving {@code echoPostDir}: {@code -datanadhi <dir>} on their command line. */
    static List<ProcessHandle> echoPosts(Path echoPostDir) {
        byte[] needle = ("\0-datanadhi\0" + echoPostDir + "\0").getBytes(StandardCharsets.UTF_8);
        List<ProcessHandle> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                String name = proc.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    byte[] cmdline = Files.readAllBytes(proc.resolve("cmdline"));
                    if (indexOf(cmdline, needle) >= 0) {
                        ProcessHandle.of(Long.parseLong(name)).ifPresent(found::add);
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return found;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Kills what is left of EchoPost for that directory; returns how many were running. */
    static int killEchoPosts(Path echoPostDir) throws InterruptedException {
        List<ProcessHandle> left = echoPosts(echoPostDir);
        for (ProcessHandle process : left) {
            process.destroyForcibly();
        }
        for (ProcessHandle process : left) {
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ignored) {
                // reported by the caller's count
            }
        }
        return left.size();
    }

    /** Deletes a directory and everything in it. */
    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
        }
    }
}
