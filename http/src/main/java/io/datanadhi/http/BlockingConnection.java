package io.datanadhi.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One keep-alive HTTP/1.1 connection on a plain blocking socket, one request at a time, for a
 * thread that may wait for the answer. It exists for the first records of a run: Netty's client
 * ({@link ConnectionPool}) costs a few hundred classes and on the order of 150 ms of CPU on a cold
 * JVM, which a short job or the first seconds of a service should not pay for one record. Same
 * deadline for the whole exchange, same limits and the same {@link HttpFailure} kinds as
 * {@link Connection}. Direct connections only: an endpoint behind a proxy goes through the pool.
 */
public final class BlockingConnection implements AutoCloseable {

    /** The longest status line or header line accepted, and the most header bytes. */
    private static final int MAX_LINE = 8192;
    private static final int MAX_HEAD = 16 * 1024;

    private final Endpoint endpoint;
    private final byte[] buffer = new byte[8192];
    private int position;
    private int limit;
    private volatile Socket socket;
    private InputStream in;
    private OutputStream out;
    /** Responses completed on the current socket: a failure before the next one's first byte is an idle close. */
    private int answered;
    /** Bytes of the current response read so far. */
    private long responseBytes;
    private volatile boolean closed;

    public BlockingConnection(Endpoint endpoint) {
        if (!supports(endpoint)) {
            throw new IllegalArgumentException("a blocking connection goes direct; " + endpoint + " is behind a proxy");
        }
        this.endpoint = endpoint;
    }

    /** True when this kind of connection can reach {@code endpoint}: no proxy in between. */
    public static boolean supports(Endpoint endpoint) {
        return endpoint.proxy == null;
    }

    /** Connects now (and shakes hands, for TLS), so that the first request finds the connection open. */
    public synchronized void open() throws HttpFailure {
        if (closed) {
            throw aborted();
        }
        if (socket == null) {
            connect(System.nanoTime() + endpoint.timeoutNanos, endpoint.timeoutNanos);
        }
    }

    /** Open and reusable: the last exchange on it succeeded and the server did not announce a close. */
    public synchronized boolean isOpen() {
        return socket != null && !closed;
    }

    /**
     * Sends {@code request} and reads its whole response, within the request's deadline (the
     * endpoint's unless it has its own). A kept-alive connection the server closed while it was
     * idle is opened again once. Any failure closes the connection.
     */
    public synchronized Response send(Request request) throws HttpFailure {
        long timeoutNanos = request.timeoutNanos != 0 ? request.timeoutNanos : endpoint.timeoutNanos;
        long deadline = System.nanoTime() + timeoutNanos;
        boolean reused = socket != null;
        try {
            return exchange(request, deadline, timeoutNanos);
        } catch (HttpFailure failure) {
            shut();
            if (reused && failure.unanswered() && !closed) {
                try {
                    return exchange(request, deadline, timeoutNanos);
                } catch (HttpFailure again) {
                    shut();
                    throw again;
                }
            }
            throw failure;
        }
    }

    /** Closes the socket; a request under way on another thread fails as {@link HttpFailure.Kind#ABORTED}. */
    @Override
    public void close() {
        closed = true;
        Socket open = socket; // may race a send: closing the socket is what unblocks it
        if (open != null) {
            try {
                open.close();
            } catch (IOException e) {
                // closed either way
            }
        }
    }

    private Response exchange(Request request, long deadline, long timeoutNanos) throws HttpFailure {
        if (closed) {
            throw aborted();
        }
        if (socket == null) {
            connect(deadline, timeoutNanos);
        }
        responseBytes = 0;
        long written = System.nanoTime();
        try {
            out.write(head(request));
            out.flush();
        } catch (IOException e) {
            throw failed(alertBehind(e, deadline), deadline, timeoutNanos, "the request could not be written");
        }
        return response(request, deadline, timeoutNanos, written);
    }

    private void connect(long deadline, long timeoutNanos) throws HttpFailure {
        HttpTarget target = endpoint.target;
        SSLContext context = null;
        if (target.tls()) {
            try {
                context = endpoint.tls.context();
            } catch (TlsSettings.Invalid e) {
                throw new HttpFailure(HttpFailure.Kind.TLS, "TLS with " + target + " cannot be set up: " + e.getMessage(), e);
            }
        }
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(InetAddress.getByName(target.host()), target.port());
        } catch (UnknownHostException e) {
            throw new HttpFailure(HttpFailure.Kind.CONNECT, "cannot resolve " + target.host() + ": " + e.getMessage(), e);
        }
        answered = 0;
        position = 0;
        limit = 0;
        Socket plain;
        try {
            // A channel's socket, as Netty's: never a SOCKS proxy from the JVM's ProxySelector or
            // socksProxyHost, and no application-wide SocketImplFactory.
            plain = SocketChannel.open().socket();
        } catch (IOException e) {
            throw new HttpFailure(HttpFailure.Kind.CONNECT, "cannot connect to " + target + ": " + describe(e), e);
        }
        socket = plain;
        if (closed) { // closed before there was a socket to close
            shut();
            throw aborted();
        }
        try {
            plain.setTcpNoDelay(true);
            plain.setKeepAlive(true);
            plain.connect(address, remainingMillis(deadline));
        } catch (IOException e) {
            shut();
            throw new HttpFailure(closed ? HttpFailure.Kind.ABORTED : HttpFailure.Kind.CONNECT,
                    "cannot connect to " + target + ": " + describe(e), e);
        }
        Socket connected = plain;
        if (context != null) {
            try {
                SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, target.host(), target.port(), true);
                socket = tls;
                SSLParameters parameters = tls.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS"); // host name verification, always
                if (!isAddressLiteral(target.host())) {
                    parameters.setServerNames(List.of(new SNIHostName(target.host())));
                }
                tls.setSSLParameters(parameters);
                tls.setSoTimeout(remainingMillis(deadline));
                tls.startHandshake();
                connected = tls;
            } catch (SocketTimeoutException e) {
                shut();
                throw new HttpFailure(HttpFailure.Kind.TIMEOUT, "no complete response from " + target + " within "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (the TLS handshake did not complete)", e);
            } catch (IOException | RuntimeException e) {
                shut();
                throw new HttpFailure(closed ? HttpFailure.Kind.ABORTED : HttpFailure.Kind.TLS,
                        "TLS with " + target + " failed: " + endpoint.tls.explain(e), e);
            }
        }
        try {
            in = connected.getInputStream();
            out = connected.getOutputStream();
        } catch (IOException e) {
            shut();
            throw new HttpFailure(HttpFailure.Kind.CONNECT, "cannot connect to " + target + ": " + describe(e), e);
        }
    }

    /** The request's head and body as one array: one write, one segment for a small record. */
    private byte[] head(Request request) {
        String target = endpoint.target.path(request.path);
        StringBuilder head = new StringBuilder(160 + target.length());
        head.append(request.method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ")
                .append(endpoint.target.authority()).append("\r\nUser-Agent: ").append(endpoint.userAgent).append("\r\n");
        for (int i = 0; i + 1 < request.headers.length; i += 2) {
            head.append(request.headers[i]).append(": ").append(request.headers[i + 1]).append("\r\n");
        }
        if (request.body != null) {
            head.append("Content-Length: ").append(request.body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (request.body == null || request.body.length == 0) {
            return headBytes;
        }
        byte[] all = new byte[headBytes.length + request.body.length];
        System.arraycopy(headBytes, 0, all, 0, headBytes.length);
        System.arraycopy(request.body, 0, all, headBytes.length, request.body.length);
        return all;
    }

    // ---- the response ----

    private Response response(Request request, long deadline, long timeoutNanos, long written) throws HttpFailure {
        try {
            while (true) {
                String statusLine = line(deadline, timeoutNanos);
                int status = status(statusLine);
                boolean http10 = statusLine.startsWith("HTTP/1.0");
                long contentLength = -1;
                boolean chunked = false;
                String connection = null;
                int headBytes = statusLine.length();
                for (String header = line(deadline, timeoutNanos); !header.isEmpty(); header = line(deadline, timeoutNanos)) {
                    headBytes += header.length() + 2;
                    if (headBytes > MAX_HEAD) {
                        throw protocol("headers over " + MAX_HEAD / 1024 + " KB");
                    }
                    int colon = header.indexOf(':');
                    if (colon <= 0) {
                        throw protocol("a malformed header line: \"" + abbreviate(header) + "\"");
                    }
                    String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                    String value = header.substring(colon + 1).trim();
                    if (name.equals("content-length")) {
                        try {
                            contentLength = Long.parseLong(value);
                        } catch (NumberFormatException e) {
                            contentLength = -2;
                        }
                        if (contentLength < 0) {
                            throw protocol("a malformed Content-Length: \"" + abbreviate(value) + "\"");
                        }
                    } else if (name.equals("transfer-encoding")) {
                        chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
                    } else if (name.equals("connection")) {
                        connection = value.toLowerCase(Locale.ROOT);
                    }
                }
                if (status >= 100 && status < 200) {
                    continue; // interim: the final response follows
                }
                boolean keepAlive = connection == null ? !http10 : !connection.contains("close");
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                boolean noBody = request.method.equals("HEAD") || status == 204 || status == 304;
                if (!noBody) {
                    if (chunked) {
                        chunkedBody(body, status, deadline, timeoutNanos);
                    } else if (contentLength >= 0) {
                        fixedBody(body, contentLength, status, deadline, timeoutNanos);
                    } else {
                        keepAlive = false;
                        bodyToEnd(body, status, deadline, timeoutNanos);
                    }
                }
                answered++;
                if (!keepAlive) {
                    shut();
                }
                return new Response(status, body.toString(StandardCharsets.UTF_8), System.nanoTime() - written);
            }
        } catch (IOException e) {
            throw failed(e, deadline, timeoutNanos, null);
        }
    }

    private int status(String line) throws HttpFailure {
        if (!line.startsWith("HTTP/1.") || line.length() < 12 || line.charAt(8) != ' ') {
            throw protocol("what is not HTTP: \"" + abbreviate(line) + "\"");
        }
        int status = 0;
        for (int i = 9; i < 12; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                throw protocol("what is not HTTP: \"" + abbreviate(line) + "\"");
            }
            status = status * 10 + (c - '0');
        }
        if (line.length() > 12 && line.charAt(12) != ' ') {
            throw protocol("what is not HTTP: \"" + abbreviate(line) + "\"");
        }
        return status;
    }

    private void chunkedBody(ByteArrayOutputStream body, int status, long deadline, long timeoutNanos) throws IOException {
        long total = 0;
        while (true) {
            String sizeLine = line(deadline, timeoutNanos);
            int extension = sizeLine.indexOf(';');
            String hex = (extension >= 0 ? sizeLine.substring(0, extension) : sizeLine).trim();
            long size;
            try {
                size = hex.isEmpty() || hex.length() > 15 ? -1 : Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                size = -1;
            }
            if (size < 0) {
                throw protocol("a malformed chunk size: \"" + abbreviate(sizeLine) + "\"");
            }
            if (size == 0) {
                while (!line(deadline, timeoutNanos).isEmpty()) {
                    // trailers, ignored
                }
                return;
            }
            total += size;
            checkBodySize(total, status);
            fixedBody(body, size, status, deadline, timeoutNanos);
            if (!line(deadline, timeoutNanos).isEmpty()) {
                throw protocol("a chunk longer than its size");
            }
        }
    }

    private void fixedBody(ByteArrayOutputStream body, long length, int status, long deadline, long timeoutNanos)
            throws IOException {
        checkBodySize(body.size() + length, status);
        long left = length;
        while (left > 0) {
            if (position == limit && !fill(deadline, timeoutNanos)) {
                throw closedMidResponse();
            }
            int n = (int) Math.min(left, limit - position);
            keep(body, n);
            position += n;
            left -= n;
        }
    }

    private void bodyToEnd(ByteArrayOutputStream body, int status, long deadline, long timeoutNanos) throws IOException {
        long total = 0;
        while (position < limit || fill(deadline, timeoutNanos)) {
            int n = limit - position;
            total += n;
            checkBodySize(total, status);
            keep(body, n);
            position = limit;
        }
    }

    /** The first {@link Response#MAX_BODY_KEPT} bytes of the body are kept; the rest is read and let go. */
    private void keep(ByteArrayOutputStream body, int n) {
        int keep = Math.min(n, Response.MAX_BODY_KEPT - body.size());
        if (keep > 0) {
            body.write(buffer, position, keep);
        }
    }

    private void checkBodySize(long bytes, int status) throws HttpFailure {
        if (bytes > Connection.MAX_RESPONSE_BODY) {
            throw protocol("a response body over " + Connection.MAX_RESPONSE_BODY / 1024 + " KB (HTTP " + status + ")");
        }
    }

    /** One CRLF- (or LF-) terminated line, as Latin-1, without its end. */
    private String line(long deadline, long timeoutNanos) throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            if (position == limit && !fill(deadline, timeoutNanos)) {
                throw responseBytes == 0 ? closedBeforeAnswer() : closedMidResponse();
            }
            byte b = buffer[position++];
            if (b == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            if (line.length() >= MAX_LINE) {
                throw protocol("a line over " + MAX_LINE + " bytes");
            }
            line.append((char) (b & 0xff));
        }
    }

    /** Reads more into the buffer; false at the end of the stream. */
    private boolean fill(long deadline, long timeoutNanos) throws IOException {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            throw timedOut(timeoutNanos);
        }
        socket.setSoTimeout(remainingMillis(deadline));
        int n;
        try {
            n = in.read(buffer, 0, buffer.length);
        } catch (SocketTimeoutException e) {
            throw timedOut(timeoutNanos);
        }
        if (n < 0) {
            return false;
        }
        position = 0;
        limit = n;
        responseBytes += n;
        return true;
    }

    // ---- failures ----

    private HttpFailure failed(IOException e, long deadline, long timeoutNanos, String when) {
        if (e instanceof HttpFailure) {
            return (HttpFailure) e;
        }
        if (closed) {
            return new HttpFailure(HttpFailure.Kind.ABORTED, "the client was closed", e);
        }
        if (endpoint.target.tls() && TlsSettings.isHandshakeFailure(e)) {
            // With TLS 1.3 a refused client certificate is known only at the first read, after the handshake.
            return new HttpFailure(HttpFailure.Kind.TLS, "TLS with " + endpoint.target + " failed: " + endpoint.tls.explain(e), e);
        }
        if (deadline - System.nanoTime() <= 0) {
            return timedOut(timeoutNanos);
        }
        boolean idle = responseBytes == 0 && answered > 0;
        return new HttpFailure(HttpFailure.Kind.CLOSED, "the connection to " + endpoint.target + " failed"
                + (when == null ? "" : " (" + when + ")") + ": " + describe(e)
                + (idle ? " (an idle keep-alive connection)" : ""), e, idle);
    }

    /**
     * A write that failed on a new TLS connection: with TLS 1.3 the server's refusal of the client
     * certificate is an alert that arrives after the handshake, and the write can fail on the
     * connection it closed before the alert is read. Reads it, so that the failure says why.
     */
    private IOException alertBehind(IOException writeFailure, long deadline) {
        if (!endpoint.target.tls() || answered > 0 || TlsSettings.isHandshakeFailure(writeFailure)) {
            return writeFailure;
        }
        try {
            socket.setSoTimeout(Math.min(100, remainingMillis(deadline)));
            in.read(buffer, 0, buffer.length);
        } catch (IOException readFailure) {
            if (TlsSettings.isHandshakeFailure(readFailure)) {
                return readFailure;
            }
        } catch (RuntimeException e) {
            // the write's failure stands
        }
        return writeFailure;
    }

    private static HttpFailure aborted() {
        return new HttpFailure(HttpFailure.Kind.ABORTED, "the client was closed", null);
    }

    private HttpFailure timedOut(long timeoutNanos) {
        String stage = responseBytes == 0 ? "the request was sent; no response"
                : "a response was under way after " + responseBytes + " bytes; the rest never came";
        return new HttpFailure(HttpFailure.Kind.TIMEOUT, "no complete response from " + endpoint.target + " within "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (" + stage + ")", null);
    }

    private HttpFailure closedBeforeAnswer() {
        boolean idle = answered > 0;
        return new HttpFailure(HttpFailure.Kind.CLOSED, endpoint.target + " closed the connection before answering"
                + (idle ? " (an idle keep-alive connection)" : ""), null, idle);
    }

    private HttpFailure closedMidResponse() {
        return new HttpFailure(HttpFailure.Kind.CLOSED, endpoint.target + " closed the connection in the middle of a response",
                null);
    }

    private HttpFailure protocol(String what) {
        return new HttpFailure(HttpFailure.Kind.PROTOCOL, endpoint.target + " sent " + what, null);
    }

    /** Closes the current socket (not the connection: the next request opens a new one). */
    private void shut() {
        Socket open = socket;
        socket = null;
        in = null;
        out = null;
        position = 0;
        limit = 0;
        if (open != null) {
            try {
                open.close();
            } catch (IOException e) {
                // closed either way
            }
        }
    }

    private static int remainingMillis(long deadline) {
        long millis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, millis));
    }

    private static boolean isAddressLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return true; // IPv6
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c != '.' && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String text) {
        return text.length() > 80 ? text.substring(0, 80) + "..." : text;
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
