package io.datanadhi.http.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A server that goes wrong in one chosen way, answering every request (health checks included)
 * like that until {@link #heal()}: from then on it is a plain, correct keep-alive HTTP/1.1 Data
 * Nadhi server. Every request body it read is kept, whatever it answered, so that a test can
 * tell what was delivered, what arrived twice, and what never came.
 */
public final class MisbehavingServer implements AutoCloseable {

    /** The ways a server goes wrong. */
    public enum Fault {
        /** 200 with a chunked body that never ends: a chunk every 50 ms. */
        ENDLESS_CHUNKED_BODY,
        /** Content-Length 1000, ten bytes of it, then nothing. */
        BODY_NEVER_COMPLETES,
        /** The status line, then a header line every 50 ms, never the empty line. */
        HEADERS_NEVER_END,
        /** Reads the request and never answers. */
        NEVER_ANSWERS,
        /** A 200 status line followed by bytes that are not HTTP. */
        GARBAGE_AFTER_STATUS,
        /** Content-Length 100, ten bytes, then the connection is closed. */
        CLOSES_MID_RESPONSE,
        /** Content-Length 10 GB, bytes as fast as the client reads them. */
        HUGE_BODY,
        /** Nothing wrong: 200 to everything. */
        NONE
    }

    private final ServerSocket socket;
    private volatile Fault fault;
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final List<Delivered> delivered = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();

    private MisbehavingServer(Fault fault) throws IOException {
        this.fault = fault;
        this.socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
        Thread acceptor = new Thread(this::accept, "misbehaving-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static MisbehavingServer start(Fault fault) throws IOException {
        return new MisbehavingServer(fault);
    }

    public String url() {
        return "http://127.0.0.1:" + socket.getLocalPort();
    }

    /** From now on a correct server: misbehaving connections are cut, new ones are served well. */
    public void heal() {
        fault = Fault.NONE;
        for (Socket connection : connections) {
            try {
                connection.close();
            } catch (IOException ignored) {
                // cut anyway
            }
        }
    }

    /** A POST answered 200 by the correct server: truly delivered. */
    public static final class Delivered {
        public final String body;
        /** The request's User-Agent, "" when it had none. */
        public final String userAgent;

        Delivered(String body, String userAgent) {
            this.body = body;
            this.userAgent = userAgent == null ? "" : userAgent;
        }

        /** Sent by EchoPost's replay rather than by the agent. */
        public boolean fromEchoPost() {
            return userAgent.startsWith("datanadhi-echopost");
        }

        @Override
        public String toString() {
            return userAgent + " " + body;
        }
    }

    /** POSTs answered 200 while the server was correct ({@link Fault#NONE}, or after {@link #heal()}), in order. */
    public List<Delivered> delivered() {
        return new ArrayList<>(delivered);
    }

    /** Every POST body read, in arrival order, whatever the answer. */
    public List<String> bodies() {
        return new ArrayList<>(bodies);
    }

    /** "GET /", "POST /log", ... as read, with the fault in force then. */
    public List<String> requests() {
        return new ArrayList<>(requests);
    }

    /** Requests answered correctly (after {@link #heal()}). */
    /** Connections accepted since start. */
    public int connectionsAccepted() {
        return accepted.get();
    }

    public int answered() {
        return answered.get();
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                connection.setTcpNoDelay(true);
                connections.add(connection);
                accepted.incrementAndGet();
                Thread thread = new Thread(() -> serve(connection), "misbehaving-connection");
                thread.setDaemon(true);
                thread.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            InputStream in = new BufferedInputStream(connection.getInputStream());
            OutputStream out = connection.getOutputStream();
            while (true) {
                String requestLine = null;
                String userAgent = null;
                int length = 0;
                StringBuilder line = new StringBuilder();
                while (true) {
                    int c = in.read();
                    if (c < 0) {
                        return;
                    }
                    if (c != '\n') {
                        if (c != '\r') {
                            line.append((char) c);
                        }
                        continue;
                    }
                    String text = line.toString();
                    line.setLength(0);
                    if (text.isEmpty()) {
                        if (requestLine == null) {
                            continue;
                        }
                        break;
                    }
                    if (requestLine == null) {
                        requestLine = text;
                    } else if (text.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(text.substring(15).trim());
                    } else if (text.toLowerCase(Locale.ROOT).startsWith("user-agent:")) {
                        userAgent = text.substring(11).trim();
                    }
                }
                byte[] body = in.readNBytes(length);
                String[] parts = requestLine.split(" ");
                Fault now = fault;
                requests.add(parts[0] + " " + parts[1] + (now == Fault.NONE ? "" : " (" + now + ")"));
                if (parts[0].equals("POST")) {
                    bodies.add(new String(body, StandardCharsets.UTF_8));
                }
                boolean keepOpen = misbehave(now, out);
                if (now == Fault.NONE && parts[0].equals("POST")) {
                    delivered.add(new Delivered(new String(body, StandardCharsets.UTF_8), userAgent));
                }
                if (!keepOpen) {
                    return;
                }
            }
        } catch (IOException | RuntimeException | InterruptedException ended) {
            // cut by the client, by heal() or by close()
        } finally {
            connections.remove(connection);
        }
    }

    /** Answers one request; false when the connection is done. */
    private boolean misbehave(Fault now, OutputStream out) throws IOException, InterruptedException {
        switch (now) {
            case NONE:
                write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":200}\n");
                answered.incrementAndGet();
                return true;
            case ENDLESS_CHUNKED_BODY:
                write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                while (fault == now) {
                    write(out, "1\r\nx\r\n");
                    Thread.sleep(50);
                }
                return false;
            case BODY_NEVER_COMPLETES:
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
                hold(now);
                return false;
            case HEADERS_NEVER_END:
                write(out, "HTTP/1.1 200 OK\r\n");
                while (fault == now) {
                    write(out, "X-Drip: a\r\n");
                    Thread.sleep(50);
                }
                return false;
            case NEVER_ANSWERS:
                hold(now);
                return false;
            case GARBAGE_AFTER_STATUS:
                write(out, "HTTP/1.1 200 OK\r\n\u0001\u00ff\u0000garbage without a colon\r\n\u0007\u0008 more\r\n\r\n");
                hold(now);
                return false;
            case CLOSES_MID_RESPONSE:
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
                return false;
            case HUGE_BODY:
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n");
                byte[] chunk = new byte[64 * 1024];
                while (fault == now) {
                    out.write(chunk);
                }
                return false;
            default:
                return false;
        }
    }

    private void hold(Fault now) throws InterruptedException {
        while (fault == now && !socket.isClosed()) {
            Thread.sleep(20);
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket connection : connections) {
            try {
                connection.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
