package io.datanadhi.http.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small HTTP proxy on 127.0.0.1, as a test needs one: {@code CONNECT host:port} tunnels (for
 * {@code https://} servers) and absolute-form requests ({@code POST http://host:port/log}, for
 * {@code http://} servers), each connection relayed byte for byte once its first request is read.
 * With a user and password set it answers 407 to requests without the right
 * {@code Proxy-Authorization: Basic}.
 */
public final class TestProxy implements AutoCloseable {

    private final ServerSocket socket;
    private final String expectedAuthorization;
    private final List<String> requestLines = new CopyOnWriteArrayList<>();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

    private TestProxy(String user, String password) throws IOException {
        this.socket = new ServerSocket(0, 256, InetAddress.getLoopbackAddress());
        this.expectedAuthorization = user == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        Thread acceptor = new Thread(this::accept, "test-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static TestProxy start() throws IOException {
        return new TestProxy(null, null);
    }

    public static TestProxy withAuthentication(String user, String password) throws IOException {
        return new TestProxy(user, password);
    }

    public int port() {
        return socket.getLocalPort();
    }

    /** {@code http://127.0.0.1:port}, as HTTPS_PROXY takes it. */
    public String url() {
        return "http://127.0.0.1:" + port();
    }

    /** "CONNECT 127.0.0.1:8443", "POST http://127.0.0.1:5000/log", ... and "407 ..." for refusals. */
    public List<String> requestLines() {
        return new ArrayList<>(requestLines);
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                sockets.add(client);
                Thread thread = new Thread(() -> serve(client), "test-proxy-connection");
                thread.setDaemon(true);
                thread.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            List<String> lines = readHead(in, head);
            if (lines.isEmpty()) {
                return;
            }
            String requestLine = lines.get(0);
            String[] parts = requestLine.split(" ");
            if (parts.length < 3) {
                return;
            }
            String authorization = null;
            for (String line : lines) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("proxy-authorization")) {
                    authorization = line.substring(colon + 1).trim();
                }
            }
            if (expectedAuthorization != null && !expectedAuthorization.equals(authorization)) {
                requestLines.add("407 " + parts[0] + " " + parts[1]);
                out.write(("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n"
                        + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return;
            }
            requestLines.add(parts[0] + " " + parts[1]);
            String host;
            int port;
            if (parts[0].equalsIgnoreCase("CONNECT")) {
                int colon = parts[1].lastIndexOf(':');
                host = parts[1].substring(0, colon);
                port = Integer.parseInt(parts[1].substring(colon + 1));
            } else {
                URI target = URI.create(parts[1]);
                host = target.getHost();
                port = target.getPort() > 0 ? target.getPort() : 80;
            }
            if (host.startsWith("[")) {
                host = host.substring(1, host.length() - 1);
            }
            try (Socket upstream = new Socket()) {
                sockets.add(upstream);
                upstream.connect(new InetSocketAddress(host, port), 5000);
                upstream.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                if (parts[0].equalsIgnoreCase("CONNECT")) {
                    out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } else {
                    upstream.getOutputStream().write(head.toByteArray()); // the first request, as it came
                    upstream.getOutputStream().flush();
                }
                Thread back = new Thread(() -> relay(upstream, client), "test-proxy-relay");
                back.setDaemon(true);
                back.start();
                relay(client, upstream);
                back.join(5000);
            }
        } catch (IOException | RuntimeException | InterruptedException ended) {
            // either side went away
        } finally {
            sockets.remove(client);
        }
    }

    /** Reads up to the empty line ending the head; keeps its bytes in {@code head}. */
    private static List<String> readHead(InputStream in, ByteArrayOutputStream head) throws IOException {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                return List.of();
            }
            head.write(c);
            if (c == '\n') {
                String text = line.toString();
                if (text.endsWith("\r")) {
                    text = text.substring(0, text.length() - 1);
                }
                if (text.isEmpty()) {
                    return lines;
                }
                lines.add(text);
                line.setLength(0);
            } else {
                line.append((char) c);
            }
            if (head.size() > 64 * 1024) {
                throw new IOException("request head too long");
            }
        }
    }

    private static void relay(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ended) {
            // closed
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket open : sockets) {
            try {
                open.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public String toString() {
        return "proxy " + url() + " " + requestLines.toString().toLowerCase(Locale.ROOT);
    }
}
