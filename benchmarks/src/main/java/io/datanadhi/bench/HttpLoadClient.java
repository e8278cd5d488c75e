package io.datanadhi.bench;

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
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The shipping benchmark's baselines: a bare client posting the same kind of body to the same
 * server, in its own JVM like the agent, with nothing else to do.
 *
 * <pre>HttpLoadClient jdk|socket PORT THREADS IN_FLIGHT SECONDS BODY_BYTES</pre>
 *
 * {@code jdk}: {@code java.net.http} (HTTP/1.1, keep-alive), each thread sends IN_FLIGHT requests
 * at once and waits for all of them, as the agent's workers do. {@code socket}: one plain
 * keep-alive socket per thread, one request at a time (IN_FLIGHT ignored). Prints
 * {@code sent N in S s, F failed}.
 */
public final class HttpLoadClient {

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int port = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        int inFlight = Integer.parseInt(args[3]);
        double seconds = Double.parseDouble(args[4]);
        byte[] body = body(Integer.parseInt(args[5]));
        long end = System.nanoTime() + (long) (seconds * 1e9);
        AtomicLong sent = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newCachedThreadPool()).build();
        URI uri = URI.create("http://127.0.0.1:" + port + "/log");
        long start = System.nanoTime();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Runnable loop = mode.equals("jdk") ? () -> {
                List<CompletableFuture<HttpResponse<String>>> results = new ArrayList<>();
                while (System.nanoTime() < end) {
                    results.clear();
                    for (int i = 0; i < inFlight; i++) {
                        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                                .header("Content-Type", "application/json").header("x-datanadhi-api-key", "bench-key-0000000000")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                        results.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
                    }
                    for (CompletableFuture<HttpResponse<String>> result : results) {
                        try {
                            if (result.join().statusCode() == 200) {
                                sent.incrementAndGet();
                            } else {
                                failed.incrementAndGet();
                            }
                        } catch (RuntimeException e) {
                            failed.incrementAndGet();
                        }
                    }
                }
            } : () -> {
                try {
                    sent.addAndGet(socketLoop(port, body, end));
                } catch (IOException e) {
                    failed.incrementAndGet();
                }
            };
            Thread worker = new Thread(loop, "load-" + t);
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) {
            worker.join();
        }
        System.out.printf("sent %d in %.3f s, %d failed%n", sent.get(), (System.nanoTime() - start) / 1e9, failed.get());
        System.exit(0);
    }

    private static long socketLoop(int port, byte[] body, long end) throws IOException {
        byte[] head = ("POST /log HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "x-datanadhi-api-key: bench-key-0000000000\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        long sent = 0;
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setTcpNoDelay(true);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            InputStream in = new BufferedInputStream(socket.getInputStream());
            while (System.nanoTime() < end) {
                out.write(head);
                out.write(body);
                out.flush();
                readBodilessResponse(in);
                sent++;
            }
        }
        return sent;
    }

    /** Reads one response that has no body: up to the empty line that ends its headers. */
    static void readBodilessResponse(InputStream in) throws IOException {
        int newlines = 0;
        int previous = 0;
        while (newlines < 2) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed");
            }
            if (c == '\n' && previous == '\r') {
                newlines++;
            } else if (c != '\r') {
                newlines = 0;
            }
            previous = c;
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
