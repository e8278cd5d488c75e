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
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One keep-alive HTTP/1.1 connection on a plain blocking socket, one request at a time, for a
 * thread that may wait for the answer. It exists for a server that is near: Netty's client
 * ({@link ConnectionPool}) costs a few hundred classes and on the order of 150 ms of CPU on a cold
 * JVM, which a short job should not pay for one record, and hands each request between threads
 * twice, which costs a near server's records about twice the CPU of a write and a read. Same
 * deadline for the whole exchange, same limits and the same {@link HttpFailure} kinds as
 * {@link Connection}. Direct connections only: an endpoint behind a proxy goes through the pool.
 */
public final class BlockingConnection implements AutoCloseable {

    /** The longest status line or header line accepted, and the most header bytes. */
    private static final int MAX_LINE = 8192;
    private static final int MAX_HEAD = 16 * 1024;

    /**
     * A socket unused for longer is closed and a new one opened before a request: servers close idle
     * keep-alive connections after a few seconds (Node.js after 5), some with an unasked-for 408.
     */
    static final long IDLE_REUSE_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Bodies up to this size go in one write with their head. */
    private static final int ONE_WRITE_BYTES = 16 * 1024;

    private final Endpoint endpoint;
    private final ThreadFactory lookups;
    /** Held for a whole exchange (or an opening); taken within the request's deadline. */
    private final ReentrantLock lock = new ReentrantLock();
    private final byte[] buffer = new byte[8192];
    private int position;
    private int limit;
    /** What {@link #close} closes from another thread: the channel, never the TLS socket. */
    private volatile SocketChannel channel;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    /** Responses completed on the current socket. */
    private int answered;
    /** The socket was open before this request: a close before any byte of the answer is the server's idle close. */
    private boolean reusing;
    private long lastUsedNanos;
    /** Bytes of the current response read so far. */
    private long responseBytes;
    private volatile boolean closed;

    /** @param lookups makes the thread of a host name lookup, which the deadline must be able to leave behind */
    public BlockingConnection(Endpoint endpoint, ThreadFactory lookups) {
        if (!supports(endpoint)) {
            throw new IllegalArgumentException("a blocking connection goes direct; " + endpoint + " is behind a proxy");
        }
        this.endpoint = endpoint;
        this.lookups = lookups;
    }

    /** True when this kind of connection can reach {@code endpoint}: no proxy in between. */
    public static boolean supports(Endpoint endpoint) {
        return endpoint.proxy == null;
    }

    /** Connects now (and shakes hands, for TLS), so that the first request finds the connection open. */
    public void open() throws HttpFailure {
        long deadline = System.nanoTime() + endpoint.timeoutNanos;
        lockWithin(deadline, endpoint.timeoutNanos);
        try {
            if (closed) {
                throw aborted();
            }
            if (socket == null) {
                connect(deadline, endpoint.timeoutNanos);
                lastUsedNanos = System.nanoTime();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Open and reusable: the last exchange on it succeeded and the server did not announce a close. */
    public boolean isOpen() {
        return channel != null && !closed;
    }

    /**
     * Sends {@code request} and reads its whole response, within the request's deadline (the
     * endpoint's unless it has its own), waiting for the connection included. A socket idle for
     * more than {@link #IDLE_REUSE_NANOS}, or holding bytes nobody asked for, is replaced first;
     * one the server closed before answering is replaced once. Any failure closes the socket.
     */
    public Response send(Request request) throws HttpFailure {
        long timeoutNanos = request.timeoutNanos != 0 ? request.timeoutNanos : endpoint.timeoutNanos;
        long deadline = System.nanoTime() + timeoutNanos;
        lockWithin(deadline, timeoutNanos);
        try {
            if (socket != null && (System.nanoTime() - lastUsedNanos > IDLE_REUSE_NANOS || unaskedBytes())) {
                shut();
            }
            reusing = socket != null;
            try {
                return exchange(request, deadline, timeoutNanos);
            } catch (HttpFailure failure) {
                shut();
                if (failure.unanswered() && !closed) {
                    reusing = false;
                    try {
                        return exchange(request, deadline, timeoutNanos);
                    } catch (HttpFailure again) {
                        shut();
                        throw again;
                    }
                }
                throw failure;
            }
        } finally {
            lastUsedNanos = System.nanoTime();
            lock.unlock();
        }
    }

    /** Closes the connection; a request or an opening under way on another thread fails: {@code ABORTED}. */
    @Override
    public void close() {
        closed = true;
        SocketChannel open = channel; // closing the channel is what unblocks a read, a write or a handshake
        if (open != null) {
            try {
                open.close();
            } catch (IOException e) {
                // closed either way
            }
        }
    }

    private void lockWithin(long deadline, long timeoutNanos) throws HttpFailure {
        try {
            if (!lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw timeout(timeoutNanos, "the connection was still being opened", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw aborted();
        }
    }

    /** A plain socket with bytes waiting before a request: a server's unasked-for answer (a 408 before it closes). */
    private boolean unaskedBytes() {
        if (endpoint.target.tls()) {
            return false; // TLS 1.3 session tickets wait there too; the idle rule covers TLS
        }
        try {
            return in.available() > 0;
        } catch (IOException e) {
            return true;
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
            byte[] head = request.head(endpoint.target.path(request.path), endpoint, null);
            int bodyLength = request.bodyLength();
            if (bodyLength > 0 && bodyLength <= ONE_WRITE_BYTES) {
                byte[] all = Arrays.copyOf(head, head.length + bodyLength);
                System.arraycopy(request.body, 0, all, head.length, bodyLength);
                out.write(all); // one segment for a small record
            } else {
                out.write(head);
                if (bodyLength > 0) {
                    out.write(request.body);
                }
            }
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
                throw new HttpFailure(HttpFailure.Kind.TLS, "TLS with " + target + " cannot be set up: " + e.getMessage(),
                        e);
            }
        }
        InetAddress server = resolve(target.host(), deadline, timeoutNanos);
        InetSocketAddress address = new InetSocketAddress(server, target.port());
        answered = 0;
        position = 0;
        limit = 0;
        Socket plain;
        try {
            // A channel's socket, as Netty's: never a SOCKS proxy from the JVM's ProxySelector or
            // socksProxyHost, and no application-wide SocketImplFactory.
            SocketChannel opened = SocketChannel.open();
            channel = opened;
            plain = opened.socket();
        } catch (IOException e) {
            throw new HttpFailure(HttpFailure.Kind.CONNECT, "cannot connect to " + target + ": " + HttpFailure.describe(e), e);
        }
        socket = plain;
        if (closed) { // closed before there was a channel to close
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
                    "cannot connect to " + target + ": " + HttpFailure.describe(e), e);
        }
        Socket connected = plain;
        if (context != null) {
            try {
                SSLSocket tls = (SSLSocket) context.getSocketFactory()
                        .createSocket(plain, target.host(), target.port(), true);
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
                throw timeout(timeoutNanos, "the TLS handshake did not complete", e);
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
            throw new HttpFailure(HttpFailure.Kind.CONNECT, "cannot connect to " + target + ": " + HttpFailure.describe(e), e);
        }
    }

    /**
     * The server's address; a name is looked up on a thread of its own, so that a resolver that
     * does not answer fails the request at its deadline instead of holding the caller.
     */
    private InetAddress resolve(String host, long deadline, long timeoutNanos) throws HttpFailure {
        try {
            if (isAddressLiteral(host)) {
                return InetAddress.getByName(host); // no lookup
            }
        } catch (UnknownHostException e) {
            throw new HttpFailure(HttpFailure.Kind.CONNECT, "cannot resolve " + host + ": " + e.getMessage(), e);
        }
        CompletableFuture<InetAddress> lookup = new CompletableFuture<>();
        lookups.newThread(() -> {
            try {
                lookup.complete(InetAddress.getByName(host));
            } catch (Throwable t) {
                lookup.completeExceptionally(t);
            }
        }).start();
        try {
            return lookup.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new HttpFailure(HttpFailure.Kind.CONNECT, "cannot resolve " + host + " within "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new HttpFailure(HttpFailure.Kind.CONNECT, "cannot resolve " + host + ": " + cause.getMessage(),
                    cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw aborted();
        }
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
                for (String header = line(deadline, timeoutNanos); !header.isEmpty();
                        header = line(deadline, timeoutNanos)) {
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
                if (status >= 100 && status < 200 && status != 101) {
                    continue; // interim: the final response follows
                }
                boolean keepAlive = http10 ? connection != null && connection.contains("keep-alive")
                        : connection == null || !connection.contains("close");
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

    private void chunkedBody(ByteArrayOutputStream body, int status, long deadline, long timeoutNanos)
            throws IOException {
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
        if (closed || e instanceof ClosedByInterruptException || Thread.currentThread().isInterrupted()) {
            return new HttpFailure(HttpFailure.Kind.ABORTED, "the client was closed", e);
        }
        if (endpoint.target.tls() && TlsSettings.isHandshakeFailure(e)) {
            // With TLS 1.3 a refused client certificate is known only at the first read, after the handshake.
            return new HttpFailure(HttpFailure.Kind.TLS, "TLS with " + endpoint.target + " failed: " + endpoint.tls.explain(e), e);
        }
        if (deadline - System.nanoTime() <= 0) {
            return timedOut(timeoutNanos);
        }
        boolean idle = responseBytes == 0 && reusing;
        return new HttpFailure(HttpFailure.Kind.CLOSED, "the connection to " + endpoint.target + " failed"
                + (when == null ? "" : " (" + when + ")") + ": " + HttpFailure.describe(e)
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
        return timeout(timeoutNanos, responseBytes == 0 ? "the request was sent; no response"
                : "a response was under way after " + responseBytes + " bytes; the rest never came", null);
    }

    /** The deadline passed; {@code stage} says where the exchange was, as {@link Connection} says it. */
    private HttpFailure timeout(long timeoutNanos, String stage, Throwable cause) {
        return new HttpFailure(HttpFailure.Kind.TIMEOUT, "no complete response from " + endpoint.target + " within "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (" + stage + ")", cause);
    }

    private HttpFailure closedBeforeAnswer() {
        boolean idle = reusing;
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
        SocketChannel open = channel;
        channel = null;
        socket = null;
        in = null;
        out = null;
        position = 0;
        limit = 0;
        if (open != null) {
            try {
                open.close(); // no TLS close_notify: it is a write, and the server gets a closed connection either way
            } catch (IOException e) {
                // closed either way
            }
        }
    }

    private static int remainingMillis(long deadline) {
        long millis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, millis));
    }

    /** An IPv6 literal, or a dotted-quad IPv4 one: no name to look up, no SNI. */
    private static boolean isAddressLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return true;
        }
        int parts = 0;
        int value = -1;
        for (int i = 0; i <= host.length(); i++) {
            char c = i < host.length() ? host.charAt(i) : '.';
            if (c == '.') {
                if (value < 0 || value > 255) {
                    return false;
                }
                parts++;
                value = -1;
            } else if (c >= '0' && c <= '9') {
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255) {
                    return false;
                }
            } else {
                return false;
            }
        }
        return parts == 4;
    }

    private static String abbreviate(String text) {
        return text.length() > 80 ? text.substring(0, 80) + "..." : text;
    }
}
