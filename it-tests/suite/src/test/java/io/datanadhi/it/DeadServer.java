package io.datanadhi.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** A server that is down: a loopback port that was free a moment ago, so connecting is refused at once. */
final class DeadServer {
    private DeadServer() {}

    /** {@code http://127.0.0.1:<port>} with nothing listening. */
    static String url() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
