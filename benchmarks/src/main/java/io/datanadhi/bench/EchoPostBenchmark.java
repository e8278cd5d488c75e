package io.datanadhi.bench;

import io.datanadhi.proto.LogAgentGrpc;
import io.datanadhi.proto.LogBatch;
import io.datanadhi.proto.LogRequest;
import io.datanadhi.proto.LogResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * EchoPost's figures, each against a baseline measured in the same run:
 * durable ingest by SendBatch (against the disk's raw group-fsync ceiling), unary SendLog from
 * 16 clients, replay to a local server (against that server's own ceiling), spawn to socket ready
 * and to a first record stored (default flags against tuned ones), and RSS holding a million records (against idle).
 *
 * <pre>java -cp benchmarks/target/datanadhi-benchmarks.jar io.datanadhi.bench.EchoPostBenchmark all</pre>
 */
public final class EchoPostBenchmark {

    /** The JVM flags the agent launches EchoPost with, measured here. */
    static final List<String> TUNED_FLAGS = io.datanadhi.agent.echopost.EchoPostJvm.FLAGS;

    private static final int RECORD_BYTES = 256;
    private static final int BATCH = 500;

    private final Path echopost;
    private final String java;
    private final int seconds;

    private EchoPostBenchmark(Path echopost, String java, int seconds) {
        this.echopost = echopost;
        this.java = java;
        this.seconds = seconds;
    }

    public static void main(String[] args) throws Exception {
        Path echopost = Path.of("echopost/target/echopost.jar");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        int seconds = 10;
        String what = "all";
        int replayRecords = 200_000;
        int rssRecords = 1_000_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--echopost": echopost = Path.of(args[++i]); break;
                case "--java": java = args[++i]; break;
                case "--seconds": seconds = Integer.parseInt(args[++i]); break;
                case "--replay-records": replayRecords = Integer.parseInt(args[++i]); break;
                case "--rss-records": rssRecords = Integer.parseInt(args[++i]); break;
                default: what = args[i];
            }
        }
        EchoPostBenchmark bench = new EchoPostBenchmark(echopost, java, seconds);
        System.out.println("EchoPost benchmarks: " + Runtime.getRuntime().availableProcessors() + " cores, "
                + java + ", records of " + RECORD_BYTES + " bytes of json_data");
        if (what.equals("all") || what.equals("ingest")) {
            bench.ingest();
        }
        if (what.equals("all") || what.equals("unary")) {
            bench.unary();
        }
        if (what.equals("all") || what.equals("replay")) {
            bench.replay(replayRecords);
        }
        if (what.equals("all") || what.equals("spawn")) {
            bench.spawn();
        }
        if (what.equals("all") || what.equals("rss")) {
            bench.rss(rssRecords);
        }
        System.exit(0);
    }

    // ---- durable ingest by SendBatch ----

    private void ingest() throws Exception {
        Path dir = Files.createTempDirectory("bench-ingest");
        double ceiling = groupFsyncCeiling(dir);
        try (Echo echo = Echo.start(this, dir, TUNED_FLAGS)) {
            double rate = drive(echo, 4, true);
            System.out.printf("| durable ingest, SendBatch of %d, 4 clients | %,.0f records/s |%n", BATCH, rate);
            System.out.printf("| raw ceiling: 1 MB write + fsync in a loop, same disk | %,.0f records/s |%n", ceiling);
            System.out.printf("| ratio to the ceiling | %.2f |%n", rate / ceiling);
        }
    }

    /** Records/s if every fsync carried 1 MB of 256-byte records: the disk's group-commit ceiling. */
    private double groupFsyncCeiling(Path dir) throws IOException {
        Path file = dir.resolve("ceiling.bin");
        int frame = RECORD_BYTES + 60; // frame header, stored-at, {"pipelines":[...],"log_data":...}
        ByteBuffer megabyte = ByteBuffer.allocateDirect(1024 * 1024);
        long writes = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds / 2 + 1);
        long start = System.nanoTime();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            while (System.nanoTime() < end) {
                megabyte.clear();
                while (megabyte.hasRemaining()) {
                    channel.write(megabyte);
                }
                channel.force(false);
                writes++;
                if (channel.size() > 256L * 1024 * 1024) {
                    channel.truncate(0);
                }
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        Files.delete(file);
        return writes / elapsed * (1024.0 * 1024 / frame);
    }

    // ---- unary SendLog from 16 clients ----

    private void unary() throws Exception {
        Path dir = Files.createTempDirectory("bench-unary");
        double baseline;
        Path trivialDir = Files.createTempDirectory("bench-trivial");
        List<String> trivial = new ArrayList<>(List.of(java));
        trivial.addAll(TUNED_FLAGS);
        trivial.addAll(List.of("-cp", Path.of(EchoPostBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
                TrivialLogAgent.class.getName(), trivialDir.resolve("data-nadhi-agent.sock").toString()));
        try (Echo server = Echo.startCommand(trivial, trivialDir.resolve("data-nadhi-agent.sock"))) {
            baseline = unaryClients(server, 16);
        }
        try (Echo echo = Echo.start(this, dir, TUNED_FLAGS)) {
            long cpuBefore = cpuNanos(echo.process);
            long start = System.nanoTime();
            double rate = unaryClients(echo, 16);
            double cpuShare = (cpuNanos(echo.process) - cpuBefore) / (double) (System.nanoTime() - start);
            System.out.printf("| durable ingest, unary SendLog, 16 clients | %,.0f records/s |%n", rate);
            System.out.printf("| the same clients against a gRPC server that stores nothing | %,.0f calls/s |%n", baseline);
            System.out.printf("| ratio to that ceiling | %.2f |  (EchoPost used %.0f%% of one core, %.0f µs of CPU per record)%n",
                    rate / baseline, cpuShare * 100, cpuShare * 1e6 / rate);
        }
    }

    /**
     * {@code clients} clients, each with its own channel and one SendLog at a time, the next sent
     * when the last is acknowledged. Driven asynchronously, so that 16 client threads do not take
     * the CPU that EchoPost needs on a 2-core machine.
     */
    private double unaryClients(Echo echo, int clients) throws Exception {
        LogRequest record = LogRequest.newBuilder().setJsonData(json(0)).addPipelines("bench").build();
        AtomicLong acknowledged = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        long warmUpEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        long end = warmUpEnd + TimeUnit.SECONDS.toNanos(seconds);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(clients);
        List<ManagedChannel> channels = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            ManagedChannel channel = channel(echo.socket);
            channels.add(channel);
            LogAgentGrpc.LogAgentStub stub = LogAgentGrpc.newStub(channel);
            new Object() {
                void next() {
                    if (System.nanoTime() >= end) {
                        done.countDown();
                        return;
                    }
                    stub.sendLog(record, new io.grpc.stub.StreamObserver<LogResponse>() {
                        @Override
                        public void onNext(LogResponse response) {
                            if (!response.getSuccess()) {
                                refused.incrementAndGet();
                            } else if (System.nanoTime() > warmUpEnd) {
                                acknowledged.incrementAndGet();
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            refused.incrementAndGet();
                            next();
                        }

                        @Override
                        public void onCompleted() {
                            next();
                        }
                    });
                }
            }.next();
        }
        done.await();
        channels.forEach(ManagedChannel::shutdownNow);
        if (refused.get() > 0) {
            System.out.println("  (" + refused.get() + " calls refused)");
        }
        return acknowledged.get() / (double) seconds;
    }

    /** Clients sending for {@link #seconds} after a 2 s warm-up; returns acknowledged records/s. */
    private double drive(Echo echo, int clients, boolean batch) throws Exception {
        LogRequest record = LogRequest.newBuilder().setJsonData(json(0)).addPipelines("bench").build();
        LogBatch batchMessage = LogBatch.newBuilder().addAllLogs(Collections.nCopies(BATCH, record)).build();
        AtomicLong acknowledged = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        long warmUpEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        long end = warmUpEnd + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Thread thread = new Thread(() -> {
                ManagedChannel channel = channel(echo.socket);
                LogAgentGrpc.LogAgentBlockingStub stub = LogAgentGrpc.newBlockingStub(channel);
                try {
                    while (System.nanoTime() < end) {
                        LogResponse response = batch ? stub.sendBatch(batchMessage) : stub.sendLog(record);
                        boolean counted = System.nanoTime() > warmUpEnd;
                        if (!response.getSuccess()) {
                            refused.incrementAndGet();
                        } else if (counted) {
                            acknowledged.addAndGet(batch ? BATCH : 1);
                        }
                    }
                } finally {
                    channel.shutdownNow();
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        if (refused.get() > 0) {
            System.out.println("  (" + refused.get() + " calls refused)");
        }
        return acknowledged.get() / (double) seconds;
    }

    // ---- replay ----

    private void replay(int records) throws Exception {
        AtomicLong received = new AtomicLong();
        AtomicLong outOfOrder = new AtomicLong();
        long[] last = {-1};
        Consumer<byte[]> count = body -> {
            long seq = sequenceOf(body);
            synchronized (last) {
                if (seq >= 0 && seq <= last[0]) {
                    outOfOrder.incrementAndGet();
                }
                last[0] = Math.max(last[0], seq);
            }
            received.incrementAndGet();
        };
        // The same server, driven by the simplest sequential client: the ceiling for replay.
        double ceiling;
        try (AcceptingHttpServer server = new AcceptingHttpServer(0, body -> { })) {
            ceiling = sequentialClientRate(server.port(), 50_000);
        }
        int port = freePort();
        Path dir = Files.createTempDirectory("bench-replay");
        try (Echo echo = Echo.start(this, dir, TUNED_FLAGS, "http://127.0.0.1:" + port)) {
            fill(echo, records, true);
            long start = System.nanoTime();
            try (AcceptingHttpServer server = new AcceptingHttpServer(port, count)) { // back up: replay starts
                while (received.get() < records) {
                    if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(10)) {
                        throw new IllegalStateException("replay did not finish: " + received.get());
                    }
                    Thread.sleep(5);
                }
                double elapsed = (System.nanoTime() - start) / 1e9;
                int exit = echo.awaitExit(60_000);
                System.out.printf("| replay of %,d records to a local server, in order | %,.0f records/s |%n", records,
                        records / elapsed);
                System.out.printf("| the same server with a bare sequential HTTP client | %,.0f requests/s |%n", ceiling);
                System.out.printf("| ratio to that ceiling | %.2f |  (out of order: %d, EchoPost exit %d)%n",
                        records / elapsed / ceiling, outOfOrder.get(), exit);
            }
        }
    }

    private static double sequentialClientRate(int port, int requests) throws IOException {
        byte[] body = json(1).getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST /log HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setTcpNoDelay(true);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            InputStream in = new BufferedInputStream(socket.getInputStream());
            long start = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                out.write(head);
                out.write(body);
                out.flush();
                HttpLoadClient.readResponse(in);
            }
            return requests / ((System.nanoTime() - start) / 1e9);
        }
    }

    // ---- spawn to socket ready ----

    private void spawn() throws Exception {
        Path base = Files.createTempDirectory("bench-spawn");
        Path archive = base.resolve("echopost.jsa");
        List<String> createArchive = new ArrayList<>(TUNED_FLAGS);
        createArchive.add("-XX:ArchiveClassesAtExit=" + archive);
        try (Echo echo = Echo.start(this, base.resolve("archive"), createArchive)) {
            fill(echo, 1000, true);
        }
        List<String> withArchive = new ArrayList<>(TUNED_FLAGS);
        withArchive.add("-XX:SharedArchiveFile=" + archive);
        withArchive.add("-Xlog:cds=off");
        List<List<String>> variants = List.of(List.of(), TUNED_FLAGS, withArchive);
        String[] names = {"default JVM flags", "tuned flags (below)", "tuned flags + AppCDS archive"};
        long[][] ready = new long[variants.size()][11];
        long[][] stored = new long[variants.size()][11];
        for (int run = 0; run < ready[0].length; run++) {
            for (int v = 0; v < variants.size(); v++) {
                long[] sample = spawnOnce(base.resolve("run-" + run + "-" + v), variants.get(v));
                ready[v][run] = sample[0];
                stored[v][run] = sample[1];
            }
        }
        double baseline = median(ready[0]);
        for (int v = 0; v < variants.size(); v++) {
            System.out.printf("| spawn to socket ready, %s | %.0f ms | ratio %.2f | to first record stored %.0f ms |%n",
                    names[v], median(ready[v]), median(ready[v]) / baseline, median(stored[v]));
        }
        System.out.println("  tuned flags: " + String.join(" ", TUNED_FLAGS));
    }

    /**
     * {spawn to socket ready, spawn to one record acknowledged} in ms: the second by a client whose
     * own classes are loaded already (the archive's run), as an agent's are when EchoPost listens.
     */
    private long[] spawnOnce(Path dir, List<String> flags) throws Exception {
        long start = System.nanoTime();
        try (Echo echo = Echo.start(this, dir, flags)) {
            ManagedChannel channel = channel(echo.socket);
            try {
                LogResponse response = LogAgentGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .sendBatch(LogBatch.newBuilder().addLogs(LogRequest.newBuilder().setJsonData(json(0))
                                .addPipelines("bench")).build());
                if (!response.getSuccess()) {
                    throw new IllegalStateException("refused: " + response.getMessage());
                }
            } finally {
                channel.shutdownNow();
            }
            return new long[] {TimeUnit.NANOSECONDS.toMillis(echo.readyNanos - start),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)};
        }
    }

    // ---- RSS ----

    private void rss(int records) throws Exception {
        Path dir = Files.createTempDirectory("bench-rss");
        try (Echo echo = Echo.start(this, dir, TUNED_FLAGS)) {
            Thread.sleep(1000);
            long idle = rssKb(echo.process.pid());
            fill(echo, records, true);
            Thread.sleep(1000);
            long full = rssKb(echo.process.pid());
            long peak = peakRssKb(echo.process.pid());
            System.out.printf("| RSS, idle after start | %,d KB |%n", idle);
            System.out.printf("| RSS holding %,d stored records (%,d MB on disk) | %,d KB (peak %,d KB) | ratio %.2f |%n",
                    records, directorySize(dir.resolve("store")) / (1024 * 1024), full, peak, full / (double) idle);
        }
    }

    // ---- helpers ----

    /** Sends {@code records} records by SendBatch (4 clients), waiting for every acknowledgement. */
    private static void fill(Echo echo, int records, boolean sequenced) throws InterruptedException {
        int clients = 4;
        AtomicLong next = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        Object order = new Object();
        for (int c = 0; c < clients; c++) {
            Thread thread = new Thread(() -> {
                ManagedChannel channel = channel(echo.socket);
                LogAgentGrpc.LogAgentBlockingStub stub = LogAgentGrpc.newBlockingStub(channel);
                try {
                    while (true) {
                        LogBatch.Builder batch = LogBatch.newBuilder();
                        synchronized (order) { // keep sequence numbers in arrival order
                            long first = next.getAndAdd(BATCH);
                            if (first >= records) {
                                return;
                            }
                            for (long i = first; i < Math.min(records, first + BATCH); i++) {
                                batch.addLogs(LogRequest.newBuilder().setJsonData(json(sequenced ? i : 0)).addPipelines("bench"));
                            }
                            LogResponse response = stub.sendBatch(batch.build());
                            if (!response.getSuccess()) {
                                throw new IllegalStateException("refused: " + response.getMessage());
                            }
                        }
                    }
                } finally {
                    channel.shutdownNow();
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
    }

    /** A JSON object of exactly {@link #RECORD_BYTES} bytes carrying a sequence number. */
    static String json(long sequence) {
        String head = "{\"seq\":" + sequence + ",\"message\":\"";
        StringBuilder json = new StringBuilder(head);
        while (json.length() < RECORD_BYTES - 2) {
            json.append('x');
        }
        return json.append("\"}").toString();
    }

    private static long sequenceOf(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 120), StandardCharsets.UTF_8);
        int at = text.indexOf("\"seq\":");
        if (at < 0) {
            return -1;
        }
        int end = text.indexOf(',', at);
        return Long.parseLong(text.substring(at + 6, end));
    }

    /** One event loop thread, callbacks on it: the clients should take as little CPU as they can. */
    private static final EventLoopGroup LOOP = new EpollEventLoopGroup(1);

    private static ManagedChannel channel(Path socket) {
        return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class).eventLoopGroup(LOOP).directExecutor().usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).build();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static long rssKb(long pid) throws IOException {
        return statusKb(pid, "VmRSS:");
    }

    private static long peakRssKb(long pid) throws IOException {
        return statusKb(pid, "VmHWM:");
    }

    private static long statusKb(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static long directorySize(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static double median(long[] samples) {
        long[] sorted = samples.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** User + system CPU time of a process so far, from /proc. */
    private static long cpuNanos(Process process) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return ticks * 10_000_000L; // USER_HZ = 100
    }

    /** An EchoPost process with its directory, ready when its socket accepts a connection. */
    static final class Echo implements AutoCloseable {
        final Process process;
        final Path socket;
        final long readyNanos;

        private Echo(Process process, Path socket, long readyNanos) {
            this.process = process;
            this.socket = socket;
            this.readyNanos = readyNanos;
        }

        static Echo start(EchoPostBenchmark bench, Path dir, List<String> flags) throws Exception {
            return start(bench, dir, flags, "http://127.0.0.1:9");
        }

        static Echo start(EchoPostBenchmark bench, Path dir, List<String> flags, String healthUrl) throws Exception {
            List<String> command = new ArrayList<>();
            command.add(bench.java);
            command.addAll(flags);
            command.addAll(List.of("-jar", bench.echopost.toString(), "-datanadhi", dir.toString(), "-health-url",
                    healthUrl, "-max-disk-mb", "4096"));
            return startCommand(command, dir.resolve("data-nadhi-agent.sock"));
        }

        static Echo startCommand(List<String> command, Path socket) throws Exception {
            Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("EchoPost exited with " + process.exitValue());
                }
                if (Files.exists(socket)) {
                    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                        channel.connect(UnixDomainSocketAddress.of(socket));
                        return new Echo(process, socket, System.nanoTime());
                    } catch (IOException notYet) {
                        // bound but not accepting yet
                    }
                }
                Thread.sleep(1);
            }
            process.destroyForcibly();
            throw new IllegalStateException("EchoPost did not listen within 30 s");
        }

        int awaitExit(long millis) throws InterruptedException {
            return process.waitFor(millis, TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }
}
