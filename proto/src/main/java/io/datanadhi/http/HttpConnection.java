package io.datanadhi.http;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One keep-alive HTTP/1.1 connection to the Data Nadhi server, used by one thread, one request at
 * a time: EchoPost's in-order replay, and each of the agent's delivery workers.
 *
 * <p>Why not {@code java.net.http}: on the CI machine (2 cores) it costs 300 to 900 µs of CPU per
 * request, thread hand-offs included, and {@code sendAsync} even starts a new thread per request
 * there (its completions run on {@code CompletableFuture}'s default executor, which is a thread
 * per task when the common pool has a parallelism of 1). A blocking socket costs about 10 µs.
 * HTTPS goes through the JDK's own TLS with host name verification.
 */
public final class HttpConnection implements AutoCloseable {

    /** A response: its status and (the start of) its body. */
    public static final class Response {
        public final int status;
        public final String body;

        Response(int status, String body) {
            this.status = status;
            this.body = body;
        }
    }

    private static final int MAX_BODY_KEPT = 16 * 1024;
    private static final int MAX_HEADER_LINE = 16 * 1024;

    /** As it goes into the Host header: an IPv6 literal keeps its brackets. */
    private final String host;
    private final String connectHost;
    private final int port;
    private final boolean tls;
    private final String userAgent;
    private final int connectTimeoutMillis;
    private volatile boolean aborted;
    private volatile Socket socket;
    private Input in;
    private OutputStream out;

    /** @param base scheme, host and port of the server; its path is ignored */
    public HttpConnection(URI base, String userAgent, int connectTimeoutMillis) {
        String scheme = base.getScheme().toLowerCase(Locale.ROOT);
        this.tls = scheme.equals("https");
        this.host = base.getHost();
        this.connectHost = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        this.port = base.getPort() > 0 ? base.getPort() : (tls ? 443 : 80);
        this.userAgent = userAgent;
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    /** Sends one request and reads its response, within {@code timeoutMillis} of silence. */
    public Response exchange(String method, String path, String[] headers, byte[] body, int timeoutMillis) throws IOException {
        boolean reused = socket != null;
        try {
            return send(method, path, headers, body, timeoutMillis);
        } catch (IOException e) {
            close();
            if (!reused || e instanceof SocketTimeoutException) {
                // A timeout is a server that took the request and did not answer, not a stale
                // connection: sending again at once would double the bound and skip the health check.
                throw e;
            }
            // The server may have closed an idle keep-alive connection: one fresh attempt.
            return send(method, path, headers, body, timeoutMillis);
        }
    }

    private Response send(String method, String path, String[] headers, byte[] body, int timeoutMillis)
            throws IOException {
        connect();
        socket.setSoTimeout(timeoutMillis);
        StringBuilder head = new StringBuilder(256);
        head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        head.append("Host: ").append(hostHeader()).append("\r\n");
        head.append("User-Agent: ").append(userAgent).append("\r\n");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            out.write(body);
        }
        out.flush();
        return read(method);
    }

    private Response read(String method) throws IOException {
        int status;
        while (true) {
            String statusLine = line();
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                throw new IOException("not an HTTP response: " + abbreviate(statusLine));
            }
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("bad status line: " + abbreviate(statusLine));
            }
            if (status >= 100 && status < 200) {
                while (!line().isEmpty()) {
                    // skip an interim response's headers
                }
                continue;
            }
            break;
        }
        long length = -1;
        boolean chunked = false;
        boolean close = false;
        for (String header = line(); !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = header.substring(colon + 1).trim();
            if (name.equals("content-length")) {
                try {
                    length = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new IOException("bad Content-Length: " + abbreviate(value));
                }
            } else if (name.equals("transfer-encoding")) {
                chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
            } else if (name.equals("connection")) {
                close = value.toLowerCase(Locale.ROOT).contains("close");
            }
        }
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        if (method.equals("HEAD") || status == 204 || status == 304) {
            // no body
        } else if (chunked) {
            readChunked(kept);
        } else if (length >= 0) {
            copy(length, kept);
        } else {
            copy(Long.MAX_VALUE, kept); // until the server closes
            close = true;
        }
        if (close) {
            close();
        }
        return new Response(status, kept.toString(StandardCharsets.UTF_8));
    }

    private void readChunked(ByteArrayOutputStream kept) throws IOException {
        while (true) {
            String sizeLine = line();
            int semicolon = sizeLine.indexOf(';');
            String hex = (semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim();
            long size;
            try {
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size: " + abbreviate(sizeLine));
            }
            if (size == 0) {
                while (!line().isEmpty()) {
                    // trailers
                }
                return;
            }
            copy(size, kept);
            line(); // the CRLF after the chunk
        }
    }

    /** Reads {@code length} bytes (or to the end), keeping the first {@link #MAX_BODY_KEPT}. */
    private void copy(long length, ByteArrayOutputStream kept) throws IOException {
        byte[] buffer = new byte[8192];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                if (length == Long.MAX_VALUE) {
                    return;
                }
                throw new IOException("connection closed in the middle of a response body");
            }
            int keep = Math.min(n, MAX_BODY_KEPT - kept.size());
            if (keep > 0) {
                kept.write(buffer, 0, keep);
            }
            left -= n;
        }
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed by the server");
            }
            if (c == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            if (line.length() >= MAX_HEADER_LINE) {
                throw new IOException("response header line too long");
            }
            line.append((char) c);
        }
    }

    private void connect() throws IOException {
        if (socket != null) {
            return;
        }
        if (aborted) {
            throw new IOException("connection aborted");
        }
        Socket plain = new Socket();
        try {
            plain.setTcpNoDelay(true);
            plain.connect(new InetSocketAddress(connectHost, port), connectTimeoutMillis);
            Socket connected = plain;
            if (tls) {
                SSLSocket secure = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault())
                        .createSocket(plain, connectHost, port, true);
                SSLParameters parameters = secure.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                secure.setSSLParameters(parameters);
                secure.setSoTimeout(connectTimeoutMillis);
                secure.startHandshake();
                connected = secure;
            }
            socket = connected;
            if (aborted) { // abort() ran while we connected
                close();
                throw new IOException("connection aborted");
            }
            in = new Input(connected.getInputStream());
            out = new BufferedOutputStream(connected.getOutputStream(), 16 * 1024);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    private String hostHeader() {
        boolean defaultPort = tls ? port == 443 : port == 80;
        return defaultPort ? host : host + ":" + port;
    }

    /** A read buffer without BufferedInputStream's lock per byte: headers are read a byte at a time. */
    private static final class Input {
        private final InputStream source;
        private final byte[] buffer = new byte[16 * 1024];
        private int position;
        private int limit;

        Input(InputStream source) {
            this.source = source;
        }

        int read() throws IOException {
            if (position == limit && !fill()) {
                return -1;
            }
            return buffer[position++] & 0xFF;
        }

        int read(byte[] target, int offset, int length) throws IOException {
            if (position == limit) {
                if (length >= buffer.length) {
                    return source.read(target, offset, length);
                }
                if (!fill()) {
                    return -1;
                }
            }
            int n = Math.min(length, limit - position);
            System.arraycopy(buffer, position, target, offset, n);
            position += n;
            return n;
        }

        private boolean fill() throws IOException {
            int n = source.read(buffer, 0, buffer.length);
            if (n <= 0) {
                return false;
            }
            position = 0;
            limit = n;
            return true;
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }

    /**
     * From another thread: closes the socket, so that a request blocked on it fails at once, and
     * refuses new connections. For shutdown.
     */
    public void abort() {
        aborted = true;
        Socket current = socket;
        if (current != null) {
            try {
                current.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** Closes the connection; the next request opens a new one. */
    @Override
    public void close() {
        Socket current = socket;
        socket = null;
        in = null;
        out = null;
        if (current != null) {
            try {
                current.close();
            } catch (IOException ignored) {
                // closing after an error
            }
        }
    }
}
