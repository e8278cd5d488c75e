package io.datanadhi.echopost;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One address in front of two servers, on 127.0.0.1: a connection whose first request is a
 * {@code GET} is relayed to the health server, any other to the records server. EchoPost checks
 * health and posts records on connections of their own, so a test can keep health checks
 * passing while posts meet a server that misbehaves: that is when replay, not the health loop,
 * must not wedge.
 */
final class SplitFront implements AutoCloseable {

    private final ServerSocket socket;
    private final int healthPort;
    private final int recordsPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    SplitFront(int healthPort, int recordsPort) throws IOException {
        this.socket = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        this.healthPort = healthPort;
        this.recordsPort = recordsPort;
        Thread acceptor = new Thread(this::accept, "split-front");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String url() {
        return "http://127.0.0.1:" + socket.getLocalPort();
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                open.add(client);
                Thread thread = new Thread(() -> serve(client), "split-front-connection");
                thread.setDaemon(true);
                thread.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client; Socket upstream = new Socket()) {
            open.add(upstream);
            InputStream in = client.getInputStream();
            ByteArrayOutputStream start = new ByteArrayOutputStream();
            while (start.size() < 4) { // the method is enough to choose
                int c = in.read();
                if (c < 0) {
                    return;
                }
                start.write(c);
            }
            boolean health = start.toString(java.nio.charset.StandardCharsets.US_ASCII).startsWith("GET ");
            upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), health ? healthPort : recordsPort), 5000);
            upstream.setTcpNoDelay(true);
            client.setTcpNoDelay(true);
            upstream.getOutputStream().write(start.toByteArray());
            Thread back = new Thread(() -> relay(upstream, client), "split-front-relay");
            back.setDaemon(true);
            back.start();
            relay(client, upstream);
            back.join(5000);
        } catch (IOException | InterruptedException ended) {
            // either side went away
        } finally {
            open.remove(client);
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
        for (Socket connection : open) {
            try {
                connection.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
