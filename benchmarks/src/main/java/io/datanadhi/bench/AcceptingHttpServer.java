package io.datanadhi.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * A local HTTP/1.1 server that accepts every request at once (200, no body), one thread per
 * keep-alive connection: the replay benchmark's server, light enough that it measures EchoPost
 * rather than the server. Each request body goes to {@code onBody}, on the connection's thread.
 */
final class AcceptingHttpServer implements AutoCloseable {

    private static final byte[] OK = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final ServerSocket socket;
    private final Consumer<byte[]> onBody;

    AcceptingHttpServer(int port, Consumer<byte[]> onBody) throws IOException {
        this.socket = new ServerSocket(port, 64, InetAddress.getLoopbackAddress());
        this.onBody = onBody;
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
                boolean first = true;
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
                        if (first) {
                            continue;
                        }
                        break;
                    }
                    first = false;
                    String header = line.toString();
                    if (header.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(header.substring(15).trim());
                    }
                }
                byte[] body = in.readNBytes(length);
                onBody.accept(body);
                out.write(OK);
                out.flush();
            }
        } catch (IOException | RuntimeException ended) {
            // the client went away
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
