package io.datanadhi.echopost;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
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
 * A keep-alive server on 127.0.0.1 that ends each connection after a number of answers, the last
 * one saying {@code Connection: close}, as nginx does after {@code keepalive_requests}: requests
 * pipelined behind that answer are never read, so the server never started on them. Answers
 * everything 200 and keeps the POST bodies it read, in order.
 */
final class ClosingServer implements AutoCloseable {

    private final ServerSocket socket;
    private final int answersPerConnection;
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    /** Listens on {@code port} (0: any free one). */
    ClosingServer(int port, int answersPerConnection) throws IOException {
        this.answersPerConnection = answersPerConnection;
        this.socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        Thread acceptor = new Thread(this::accept, "closing-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String url() {
        return "http://127.0.0.1:" + socket.getLocalPort();
    }

    /** POST bodies read, in arrival order. */
    List<String> bodies() {
        return new ArrayList<>(bodies);
    }

    int connectionsAccepted() {
        return connections.get();
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                connections.incrementAndGet();
                open.add(connection);
                Thread thread = new Thread(() -> serve(connection), "closing-server-connection");
                thread.setDaemon(true);
                thread.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            connection.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(connection.getInputStream());
            OutputStream out = connection.getOutputStream();
            for (int answered = 1; ; answered++) {
                String requestLine = null;
                int length = 0;
                StringBuilder line = new StringBuilder();
                while (true) {
                    int c = in.read();
                    if (c < 0) {
                        return;
                    }
                    if (c == '\r') {
                        continue;
                    }
                    if (c != '\n') {
                        line.append((char) c);
                        continue;
                    }
                    String text = line.toString();
                    line.setLength(0);
                    if (text.isEmpty()) {
                        break;
                    }
                    if (requestLine == null) {
                        requestLine = text;
                    } else if (text.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(text.substring(15).trim());
                    }
                }
                byte[] body = in.readNBytes(length);
                if (requestLine.startsWith("POST ")) {
                    bodies.add(new String(body, StandardCharsets.UTF_8));
                }
                boolean last = answered == answersPerConnection;
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                        + (last ? "Connection: close\r\n" : "") + "\r\n{}").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                if (last) {
                    // FIN first, then read out what was pipelined behind (unanswered, unread as
                    // requests): closing with bytes unread would reset the connection instead.
                    connection.shutdownOutput();
                    connection.setSoTimeout(5000);
                    while (in.read() >= 0) {
                        // discarded
                    }
                    return;
                }
            }
        } catch (IOException | RuntimeException ended) {
            // the client went away
        } finally {
            open.remove(connection);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket connection : open) {
            try {
                connection.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
