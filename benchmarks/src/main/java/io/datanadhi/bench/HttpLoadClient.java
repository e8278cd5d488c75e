package io.datanadhi.bench;

import io.datanadhi.http.ConnectionPool;
import io.datanadhi.http.Endpoint;
import io.datanadhi.http.HttpTarget;
import io.datanadhi.http.HttpTransport;
import io.datanadhi.http.PipelinedConnection;
import io.datanadhi.http.Proxies;
import io.datanadhi.http.Request;
import io.datanadhi.http.Response;
import io.datanadhi.http.TlsSettings;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * A bare HTTP client posting the same kind of body to the same server, in its own JVM, with
 * nothing else to do: the baselines of the shipping and HTTP benchmarks.
 *
 * <pre>HttpLoadClient MODE PORT THREADS IN_FLIGHT SECONDS BODY_BYTES [RATE]</pre>
 *
 * RATE requests a second over all threads, each request taking the next slot of one shared
 * schedule (0 or absent: as fast as they can).
 *
 * <ul>
 *   <li>{@code socket}: THREADS plain keep-alive sockets, each one request at a time, on a thread
 *       of its own ({@code HttpConnection} multiplied; IN_FLIGHT ignored).
 *   <li>{@code jdk}: {@code java.net.http} (HTTP/1.1) with an executor of 2 threads of ours;
 *       THREADS senders share a window of IN_FLIGHT requests.
 *   <li>{@code netty}: the agent's {@code ConnectionPool}, up to IN_FLIGHT connections, a window
 *       of IN_FLIGHT requests shared by THREADS senders.
 *   <li>{@code pipelined}: the replay's {@code PipelinedConnection}: one connection, a window of
 *       IN_FLIGHT pipelined requests (THREADS ignored).
 * </ul>
 * Prints {@code sent N in S s, F failed, C connections}.
 */
public final class HttpLoadClient {

    private static final String[] HEADERS = {"Content-Type", "application/json", "x-datanadhi-api-key", "bench-key-0000000000"};

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int port = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        int inFlight = Integer.parseInt(args[3]);
        double seconds = Double.parseDouble(args[4]);
        byte[] body = body(Integer.parseInt(args[5]));
        Pacer pacer = new Pacer(args.length > 6 ? Double.parseDouble(args[6]) : 0);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        AtomicLong sent = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long start = System.nanoTime();
        // Stopped early (SIGTERM, once the driver's window is over): the counts so far.
        Thread summary = new Thread(() -> System.out.printf("sent %d in %.3f s, %d failed (stopped)%n", sent.get(),
                (System.nanoTime() - start) / 1e9, failed.get()));
        Runtime.getRuntime().addShutdownHook(summary);
        String connections = "";
        switch (mode) {
            case "socket":
                run(threads, () -> {
                    try {
                        sent.addAndGet(socketLoop(port, body, end, pacer));
                    } catch (IOException e) {
                        failed.incrementAndGet();
                    }
                });
                connections = threads + " connections";
                break;
            case "jdk": {
                ExecutorService executor = Executors.newFixedThreadPool(2);
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(10)).executor(executor).build();
                URI uri = URI.create("http://127.0.0.1:" + port + "/log");
                Semaphore window = new Semaphore(inFlight);
                windowed(threads, window, end, pacer, (release, n) -> {
                    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                            .headers(HEADERS).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                    client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
                        (error == null && response.statusCode() == 200 ? sent : failed).incrementAndGet();
                        release.run();
                    });
                });
                window.acquire(inFlight);
                executor.shutdownNow();
                connections = "the JDK's own pool, up to " + inFlight + " connections";
                break;
            }
            case "netty":
            case "pipelined": {
                HttpTransport transport = new HttpTransport(Executors.defaultThreadFactory(), 1);
                Endpoint endpoint = Endpoint.of(HttpTarget.parse("http://127.0.0.1:" + port), TlsSettings.jvm(),
                        Proxies.none(), "bench", Duration.ofSeconds(10));
                ConnectionPool pool = mode.equals("netty") ? new ConnectionPool(transport, endpoint, inFlight) : null;
                PipelinedConnection pipeline = pool == null ? new PipelinedConnection(transport, endpoint) : null;
                Semaphore window = new Semaphore(inFlight);
                windowed(pool != null ? threads : 1, window, end, pacer, (release, n) -> {
                    Request request = Request.post("/log", HEADERS, body);
                    CompletableFuture<Response> result = pool != null ? pool.send(request) : pipeline.send(request);
                    result.whenComplete((response, error) -> {
                        (error == null && response.status == 200 ? sent : failed).incrementAndGet();
                        release.run();
                    });
                });
                window.acquire(inFlight);
                connections = (pool != null ? "up to " + inFlight : "1") + " connections";
                transport.close();
                break;
            }
            default:
                throw new IllegalArgumentException(mode);
        }
        Runtime.getRuntime().removeShutdownHook(summary);
        System.out.printf("sent %d in %.3f s, %d failed, %s%n", sent.get(), (System.nanoTime() - start) / 1e9,
                failed.get(), connections);
        System.exit(0);
    }

    /** THREADS senders, each taking a slot of the shared window per request until the end. */
    private static void windowed(int threads, Semaphore window, long end, Pacer pacer, BiConsumer<Runnable, Long> send)
            throws InterruptedException {
        run(threads, () -> {
            long n = 0;
            try {
                while (System.nanoTime() < end) {
                    if (window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        pacer.await();
                        send.accept(window::release, n++);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private static void run(int threads, Runnable loop) throws InterruptedException {
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(loop, "load-" + t);
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) {
            worker.join();
        }
    }

    /**
     * One schedule shared by every sender: the n-th request is due n / rate seconds after the
     * start. A sender that falls behind catches up by at most {@link #MAX_BEHIND_NANOS} of
     * requests: the schedule slips rather than bursting far above the rate later.
     */
    private static final class Pacer {
        private static final long MAX_BEHIND_NANOS = 100_000_000L;
        private final double rate;
        private final AtomicLong start = new AtomicLong(System.nanoTime());
        private final AtomicLong tickets = new AtomicLong();

        Pacer(double rate) {
            this.rate = rate;
        }

        void await() {
            if (rate <= 0) {
                return;
            }
            long ticket = tickets.getAndIncrement();
            long origin = start.get();
            long due = origin + (long) (ticket * 1e9 / rate);
            long behind = System.nanoTime() - due;
            if (behind > MAX_BEHIND_NANOS) {
                start.compareAndSet(origin, origin + behind - MAX_BEHIND_NANOS); // slip the schedule, once
                return;
            }
            long left;
            while ((left = due - System.nanoTime()) > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(left);
            }
        }
    }

    private static long socketLoop(int port, byte[] body, long end, Pacer pacer) throws IOException {
        byte[] head = ("POST /log HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "x-datanadhi-api-key: bench-key-0000000000\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        long sent = 0;
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setTcpNoDelay(true);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            InputStream in = new BufferedInputStream(socket.getInputStream());
            while (System.nanoTime() < end) {
                pacer.await();
                out.write(head);
                out.write(body);
                out.flush();
                readResponse(in);
                sent++;
            }
        }
        return sent;
    }

    /** Reads one response: its head, then as many body bytes as its Content-Length says. */
    static void readResponse(InputStream in) throws IOException {
        int newlines = 0;
        int previous = 0;
        StringBuilder head = new StringBuilder();
        while (newlines < 2) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed");
            }
            head.append((char) c);
            if (c == '\n' && previous == '\r') {
                newlines++;
            } else if (c != '\r') {
                newlines = 0;
            }
            previous = c;
        }
        String lower = head.toString().toLowerCase(java.util.Locale.ROOT);
        int at = lower.indexOf("content-length:");
        if (at >= 0) {
            int length = Integer.parseInt(lower.substring(at + 15, lower.indexOf('\r', at)).trim());
            in.readNBytes(length);
        }
    }

    /** An envelope like the agent's, padded to {@code bytes}, with a sequence number the server can parse. */
    private static byte[] body(int bytes) {
        StringBuilder json = new StringBuilder("{\"pipelines\":[\"all\"],\"log_data\":{\"message\":\"order placed seq=0\","
                + "\"module_name\":\"bench\",\"context\":{\"pad\":\"");
        while (json.length() < bytes - 4) {
            json.append('x');
        }
        return json.append("\"}}}").toString().getBytes(StandardCharsets.UTF_8);
    }
}
