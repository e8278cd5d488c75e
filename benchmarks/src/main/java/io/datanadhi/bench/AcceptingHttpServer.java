package io.datanadhi.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A local HTTP/1.1 server that accepts every request at once (200, no body), one thread per
 * keep-alive connection: light enough that it measures the client rather than the server. Each
 * request goes to a handler, on the connection's thread. {@link #close} stops it the way a
 * crashed server stops: the listening socket and every open connection are closed, so clients
 * get "connection refused" (or a reset) until a new server binds the same port.
 */
final class AcceptingHttpServer implements AutoCloseable {

    private static final byte[] OK = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** One request as received. */
    static final class Request {
        final String method;
        final String path;
        /** The User-Agent header, or "" when there is none. */
        final String userAgent;
        final byte[] body;

        Request(String method, String path, String userAgent, byte[] body) {
            this.method = method;
            this.path = path;
            this.userAgent = userAgent;
            this.body = body;
        }
    }

    /** Called for every request before it is answered; what it throws closes the connection unanswered. */
    interface Handler {
        void handle(Request request);
    }

    private final ServerSocket socket;
    private final Handler handler;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();

    /** {@code onBody} gets every request's body (empty for a GET). */
    AcceptingHttpServer(int port, Consumer<byte[]> onBody) throws IOException {
        this((Handler) request -> onBody.accept(request.body), port);
    }

    /** {@code port} 0 picks a free one; the same port as a closed server is taken over at once. */
    static AcceptingHttpServer serving(int port, Handler handler) throws IOException {
        return new AcceptingHttpServer(handler, port);
    }

    private AcceptingHttpServer(Handler handler, int port) throws IOException {
        this.socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
        this.handler = handler;
        Thread acceptor = new Thread(this::accept, "accepting-http");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                connection.setTcpNoDelay(true);
                connections.add(connection);
                if (socket.isClosed()) {
                    connection.close();
                    return;
                }
                Thread thread = new Thread(() -> serve(connection), "accepting-http-connection");
                thread.setDaemon(true);
                thread.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            InputStream in = new BufferedInputStream(connection.getInputStream(), 64 * 1024);
            OutputStream out = connection.getOutputStream();
            StringBuilder line = new StringBuilder();
            while (true) {
                int length = 0;
                String requestLine = null;
                String userAgent = "";
                while (true) { // request line and headers
                    line.setLength(0);
                    int c;
                    while ((c = in.read()) != '\n') {
                        if (c < 0) {
                            return;
                        }
                        if (c != '\r') {
                            line.append((char) c);
                        }
                    }
                    if (line.length() == 0) {
                        if (requestLine == null) {
                            continue;
                        }
                        break;
                    }
                    String header = line.toString();
                    if (requestLine == null) {
                        requestLine = header;
                        continue;
                    }
                    String lower = header.toLowerCase(Locale.ROOT);
                    if (lower.startsWith("content-length:")) {
                        length = Integer.parseInt(header.substring(15).trim());
                    } else if (lower.startsWith("user-agent:")) {
                        userAgent = header.substring(11).trim();
                    }
                }
                byte[] body = in.readNBytes(length);
                if (body.length < length) {
                    return; // cut off mid-body: not a request
                }
                String[] parts = requestLine.split(" ", 3);
                handler.handle(new Request(parts[0], parts.length > 1 ? parts[1] : "", userAgent, body));
                out.write(OK);
                out.flush();
            }
        } catch (IOException | RuntimeException ended) {
            // the client went away, or the server was closed
        } finally {
            connections.remove(connection);
        }
    }

    /** Closes the listening socket and every open connection. */
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
