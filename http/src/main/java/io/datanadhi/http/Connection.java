package io.datanadhi.http;

import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelFuture;
import io.grpc.netty.shaded.io.netty.channel.ChannelFutureListener;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.ChannelInitializer;
import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import io.grpc.netty.shaded.io.netty.handler.codec.DecoderResult;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpClientCodec;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpContent;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpDecoderConfig;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpResponse;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpUtil;
import io.grpc.netty.shaded.io.netty.handler.codec.http.LastHttpContent;
import io.grpc.netty.shaded.io.netty.handler.proxy.HttpProxyHandler;
import io.grpc.netty.shaded.io.netty.handler.proxy.ProxyConnectException;
import io.grpc.netty.shaded.io.netty.handler.proxy.ProxyConnectionEvent;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslHandler;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.grpc.netty.shaded.io.netty.util.NetUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * One keep-alive HTTP/1.1 connection, confined to its event loop. Requests are written in the
 * order they are added (pipelined when more than one is outstanding) and answered in that order;
 * the request at the head of the line has a deadline for the whole of its exchange, so a server
 * that never answers, drips, or sends a body without end fails it in bounded time. Any failure
 * closes the connection and fails every request on it: nothing is ever answered out of order.
 */
final class Connection {

    /** What the owner (a pool, a pipeline) hears. All on the event loop. */
    interface Listener {
        /** Nothing outstanding any more, and the connection stays open. */
        void idle(Connection connection);

        /** The connection is closed; every exchange on it is settled or handed to {@link #failed}. */
        void closed(Connection connection);

        /** An exchange failed; the owner may send it again or fail it. */
        void failed(Exchange exchange, HttpFailure failure);

        /** A response, for the owner's round-trip figure. */
        default void answered(Response response) {}

        /** Connected (proxy tunnel and TLS handshake done); requests waiting on it are written now. */
        default void ready(Connection connection) {}
    }

    /** The largest response body accepted; a larger one is a server gone wrong. */
    static final int MAX_RESPONSE_BODY = 1024 * 1024;
    /** How often owners look at their connections' deadlines: a deadline passes at most this late. */
    static final long DEADLINE_CHECK_MILLIS = 100;

    private final HttpTransport transport;
    private final Endpoint endpoint;
    private final EventLoop loop;
    private final Listener listener;
    /** Absolute-form requests to an HTTP proxy (an {@code http://} server behind a proxy). */
    private final boolean absoluteForm;
    private final String proxyAuthorization;
    private final ArrayDeque<Exchange> outstanding = new ArrayDeque<>();
    private Channel channel;
    /** The HTTP codec's place in the pipeline: requests are written from here, past its encoder. */
    private ChannelHandlerContext codec;
    private boolean ready;
    private boolean closed;
    /** The server said it closes after the current response ({@code Connection: close}). */
    private boolean closing;
    private int answered;
    private long idleSinceNanos = System.nanoTime();
    /** When the head of the line fails if its response is not complete (System.nanoTime); 0: nothing outstanding. */
    private long headDeadlineNanos;
    /** Why the connection is going down, once known; what its exchanges fail with. */
    private HttpFailure failure;

    // The response being read, for the head of the line.
    private int status = -1;
    private boolean keepAlive;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private long bodyBytes;
    /** Bytes read since the last complete response: the head of the line's, as far as anyone can tell. */
    private long bytesSinceAnswer;

    Connection(HttpTransport transport, Endpoint endpoint, EventLoop loop, Listener listener) {
        this.transport = transport;
        this.endpoint = endpoint;
        this.loop = loop;
        this.listener = listener;
        Proxies.Proxy proxy = endpoint.proxy;
        this.absoluteForm = proxy != null && !endpoint.target.tls();
        this.proxyAuthorization = proxy == null || proxy.username == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(
                        (proxy.username + ":" + proxy.password).getBytes(StandardCharsets.UTF_8));
    }

    // ---- state, for the owner ----

    int outstanding() {
        return outstanding.size();
    }

    /** Open, or opening, and not about to close: more requests may be added. */
    boolean usable() {
        return !closed && !closing && failure == null;
    }

    boolean reused() {
        return answered > 0;
    }

    /** Connected, tunnelled and through the handshake. */
    boolean isReady() {
        return ready;
    }

    long idleSinceNanos() {
        return idleSinceNanos;
    }

    // ---- opening ----

    /** Starts connecting; requests added meanwhile are written once the connection is ready. */
    void open() {
        Proxies.Proxy proxy = endpoint.proxy;
        String host = proxy != null ? proxy.host : endpoint.target.host();
        int port = proxy != null ? proxy.port : endpoint.target.port();
        transport.resolve(host, port).whenComplete((address, error) -> loop.execute(() -> {
            if (closed) {
                return;
            }
            if (error != null) {
                Throwable cause = error.getCause() != null ? error.getCause() : error;
                fail(new HttpFailure(HttpFailure.Kind.CONNECT, "cannot resolve " + host + ": " + cause.getMessage(), cause));
                return;
            }
            connect(address);
        }));
    }

    private void connect(InetSocketAddress address) {
        SSLContext tls = null;
        if (endpoint.target.tls()) {
            try {
                tls = endpoint.tls.context();
            } catch (TlsSettings.Invalid e) {
                fail(new HttpFailure(HttpFailure.Kind.TLS, "TLS with " + endpoint.target + " cannot be set up: "
                        + e.getMessage(), e));
                return;
            }
        }
        SSLContext context = tls;
        Proxies.Proxy proxy = endpoint.proxy;
        boolean tunnel = proxy != null && endpoint.target.tls();
        ChannelFuture connecting = transport.bootstrap(loop, endpoint.timeoutNanos).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (tunnel) {
                    HttpProxyHandler handler = proxy.username == null ? new HttpProxyHandler(address)
                            : new HttpProxyHandler(address, proxy.username, proxy.password);
                    handler.setConnectTimeoutMillis(TimeUnit.NANOSECONDS.toMillis(endpoint.timeoutNanos));
                    ch.pipeline().addLast("proxy", handler);
                } else if (context != null) {
                    ch.pipeline().addLast("tls", sslHandler(context));
                }
                ch.pipeline().addLast("bytes", new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof ByteBuf) {
                            bytesSinceAnswer += ((ByteBuf) msg).readableBytes();
                        }
                        ctx.fireChannelRead(msg);
                    }
                });
                ch.pipeline().addLast("http", new HttpClientCodec(new HttpDecoderConfig()
                        .setMaxInitialLineLength(8192).setMaxHeaderSize(16 * 1024).setMaxChunkSize(64 * 1024), false, false));
                ch.pipeline().addLast("exchanges", new Responses(context));
                codec = ch.pipeline().context("http");
            }
        }).connect(tunnel
                // the proxy resolves the server's name; its own address is resolved above
                ? InetSocketAddress.createUnresolved(endpoint.target.host(), endpoint.target.port())
                : address);
        channel = connecting.channel();
        connecting.addListener((ChannelFutureListener) future -> {
            if (!future.isSuccess() && !closed) {
                Throwable cause = future.cause();
                fail(tunnel && cause instanceof ProxyConnectException ? proxyFailure(cause)
                        : new HttpFailure(HttpFailure.Kind.CONNECT, "cannot connect to "
                                + (proxy != null ? "the proxy " + proxy : endpoint.target) + ": " + HttpFailure.describe(cause), cause));
            } else if (future.isSuccess() && !tunnel && context == null) {
                becomeReady();
            }
        });
    }

    private SslHandler sslHandler(SSLContext context) {
        String host = endpoint.target.host();
        SSLEngine engine = context.createSSLEngine(host, endpoint.target.port());
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS"); // host name verification, always
        if (!NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host)) {
            parameters.setServerNames(List.of(new SNIHostName(host)));
        }
        engine.setSSLParameters(parameters);
        SslHandler handler = new SslHandler(engine);
        handler.setHandshakeTimeoutMillis(TimeUnit.NANOSECONDS.toMillis(endpoint.timeoutNanos));
        return handler;
    }

    private void becomeReady() {
        if (closed || ready) {
            return;
        }
        ready = true;
        listener.ready(this);
        for (Exchange exchange : outstanding) {
            write(exchange);
        }
        channel.flush();
        if (outstanding.isEmpty()) {
            idleSinceNanos = System.nanoTime();
            listener.idle(this); // opened ahead of any request
        }
    }

    // ---- requests ----

    /** Adds a request; it is written now if the connection is ready, else once it is. */
    void add(Exchange exchange) {
        exchange.attempts++;
        outstanding.add(exchange);
        if (outstanding.size() == 1) {
            startDeadline();
        }
        if (ready) {
            write(exchange);
            channel.flush();
        }
    }

    /** Writes a request as bytes ({@link Request#head}), past the HTTP codec, whose decoder still reads the responses. */
    private void write(Exchange exchange) {
        Request request = exchange.request;
        String target = absoluteForm ? endpoint.target.absolute(request.path) : endpoint.target.path(request.path);
        byte[] headBytes = request.head(target, endpoint, absoluteForm ? proxyAuthorization : null);
        ByteBuf bytes = request.body == null || request.body.length == 0 ? Unpooled.wrappedBuffer(headBytes)
                : Unpooled.wrappedBuffer(headBytes, request.body);
        exchange.writtenNanos = System.nanoTime();
        codec.write(bytes).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
    }

    private void startDeadline() {
        Exchange head = outstanding.peek();
        headDeadlineNanos = head == null ? 0 : Math.max(1, System.nanoTime() + head.timeoutNanos);
    }

    private void cancelDeadline() {
        headDeadlineNanos = 0;
    }

    /**
     * The owner's periodic look (every {@link #DEADLINE_CHECK_MILLIS}): fails the head of the line,
     * and with it the connection, once its deadline has passed. One sweep over a few hundred
     * connections costs less than a timer per request.
     */
    void checkDeadline(long nowNanos) {
        Exchange head = outstanding.peek();
        if (head != null && headDeadlineNanos != 0 && nowNanos - headDeadlineNanos >= 0 && !closed) {
            fail(new HttpFailure(HttpFailure.Kind.TIMEOUT, "no complete response from " + endpoint.target
                    + " within " + TimeUnit.NANOSECONDS.toMillis(head.timeoutNanos) + " ms (" + stage() + ")", null));
        }
    }

    /** Where the head of the line was when its deadline passed. */
    private String stage() {
        if (!ready) {
            if (channel == null || !channel.isActive()) {
                return "still connecting" + (endpoint.proxy != null ? " to the proxy" : "");
            }
            return endpoint.proxy != null && endpoint.target.tls() ? "the proxy tunnel or the TLS handshake did not complete"
                    : "the TLS handshake did not complete";
        }
        if (bytesSinceAnswer == 0) {
            return "the request was sent; no response";
        }
        if (status < 0) {
            return "the response's headers did not end after " + bytesSinceAnswer + " bytes";
        }
        return "HTTP " + status + ", " + bodyBytes + " bytes of its body received, the rest never came";
    }

    // ---- closing ----

    /** Closes the connection; what is outstanding fails with {@code why}. */
    void close(HttpFailure why) {
        fail(why);
    }

    /** Closes the connection at once. Every exchange on it fails with {@code why}. */
    private void fail(HttpFailure why) {
        if (failure == null) {
            failure = why;
        }
        shutDown();
    }

    private void shutDown() {
        if (closed) {
            return;
        }
        closed = true;
        cancelDeadline();
        if (channel != null) {
            channel.close();
        }
        HttpFailure why = failure != null ? failure
                : new HttpFailure(HttpFailure.Kind.CLOSED, endpoint.target + " closed the connection", null);
        Exchange head = outstanding.poll();
        if (head != null) {
            listener.failed(head, why);
        }
        while (!outstanding.isEmpty()) {
            // Behind the head of the line: failed with it, whatever the server did with them. One
            // never written, or written after the server announced its close, was not answered.
            Exchange exchange = outstanding.poll();
            HttpFailure.Kind kind = why.kind() == HttpFailure.Kind.ABORTED ? HttpFailure.Kind.ABORTED : HttpFailure.Kind.CLOSED;
            listener.failed(exchange, new HttpFailure(kind, why.getMessage() + " (on the same connection, before this request)",
                    why, why.unanswered() || exchange.writtenNanos == 0));
        }
        listener.closed(this);
    }

    private HttpFailure proxyFailure(Throwable cause) {
        // Netty's message is "http, basic, /10.0.0.1:3128 => host:443, status: 407 Proxy ...": the status is the news.
        String message = String.valueOf(cause.getMessage());
        int status = message.indexOf("status: ");
        String why = status >= 0 ? "HTTP " + message.substring(status + 8)
                : message.contains("timeout") ? "it did not answer in time" : HttpFailure.describe(cause);
        String hint = why.startsWith("HTTP 407") ? " (give the user and password in the proxy URL)" : "";
        return new HttpFailure(HttpFailure.Kind.PROXY, "the proxy " + endpoint.proxy + " did not open a tunnel to "
                + endpoint.target + ": " + why + hint, cause);
    }

    // ---- responses ----

    private void responseHead(HttpResponse response) {
        Exchange head = outstanding.peek();
        if (head == null) {
            fail(new HttpFailure(HttpFailure.Kind.PROTOCOL, endpoint.target + " sent a response nobody asked for: HTTP "
                    + response.status().code(), null));
            return;
        }
        if (response.decoderResult().isFailure()) {
            fail(protocol("a malformed response", response.decoderResult()));
            return;
        }
        int code = response.status().code();
        if (code >= 100 && code < 200 && code != 101) {
            return; // interim: the final response follows
        }
        status = code;
        keepAlive = HttpUtil.isKeepAlive(response);
        body.reset();
        bodyBytes = 0;
    }

    private void responseContent(HttpContent content) {
        Exchange head = outstanding.peek();
        if (head == null || status < 0) {
            if (content instanceof LastHttpContent && status < 0) {
                return; // the end of an interim response
            }
            fail(new HttpFailure(HttpFailure.Kind.PROTOCOL, endpoint.target + " sent a body without a response", null));
            return;
        }
        if (content.decoderResult().isFailure()) {
            fail(protocol("a malformed response body", content.decoderResult()));
            return;
        }
        ByteBuf bytes = content.content();
        int readable = bytes.readableBytes();
        bodyBytes += readable;
        if (bodyBytes > MAX_RESPONSE_BODY) {
            fail(new HttpFailure(HttpFailure.Kind.PROTOCOL, endpoint.target + " sent a response body over "
                    + MAX_RESPONSE_BODY / 1024 + " KB (HTTP " + status + ")", null));
            return;
        }
        int keep = Math.min(readable, Response.MAX_BODY_KEPT - body.size());
        if (keep > 0) {
            byte[] kept = new byte[keep];
            bytes.getBytes(bytes.readerIndex(), kept);
            body.write(kept, 0, keep);
        }
        if (content instanceof LastHttpContent) {
            if (absoluteForm && status == 407) {
                // The proxy's answer, not the server's: the record was never offered to the server.
                fail(new HttpFailure(HttpFailure.Kind.PROXY, "the proxy " + endpoint.proxy + " refused the request: HTTP 407"
                        + " Proxy Authentication Required (give the user and password in the proxy URL)", null));
                return;
            }
            Exchange done = outstanding.poll();
            long now = System.nanoTime();
            Response response = new Response(status, body.toString(StandardCharsets.UTF_8),
                    done.writtenNanos == 0 ? 0 : now - done.writtenNanos);
            answered++;
            status = -1;
            bytesSinceAnswer = 0;
            if (!keepAlive) {
                closing = true;
                failure = new HttpFailure(HttpFailure.Kind.CLOSED, endpoint.target
                        + " closed the connection after an earlier response (Connection: close)", null, true);
            }
            if (outstanding.isEmpty()) {
                cancelDeadline();
                idleSinceNanos = now;
            } else {
                startDeadline();
            }
            listener.answered(response);
            done.complete(response);
            if (closing) {
                shutDown();
            } else if (outstanding.isEmpty() && !closed) {
                listener.idle(this);
            }
        }
    }

    private HttpFailure protocol(String what, DecoderResult result) {
        Throwable cause = result.cause();
        return new HttpFailure(HttpFailure.Kind.PROTOCOL, endpoint.target + " sent " + what + ": "
                + (cause == null ? "unparsable" : HttpFailure.describe(cause)), cause);
    }

    /** The last handler: responses to exchanges, and the connection's life. */
    private final class Responses extends ChannelInboundHandlerAdapter {
        private final SSLContext tls;

        Responses(SSLContext tls) {
            this.tls = tls;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (closed) {
                    return;
                }
                if (msg instanceof HttpResponse) {
                    responseHead((HttpResponse) msg);
                }
                if (msg instanceof HttpContent && !closed) {
                    responseContent((HttpContent) msg);
                }
            } finally {
                io.grpc.netty.shaded.io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof ProxyConnectionEvent) {
                ctx.pipeline().addAfter("proxy", "tls", sslHandler(tls));
            } else if (event instanceof SslHandshakeCompletionEvent) {
                SslHandshakeCompletionEvent handshake = (SslHandshakeCompletionEvent) event;
                if (handshake.isSuccess()) {
                    becomeReady();
                } else {
                    fail(tlsFailure(handshake.cause()));
                }
            }
            super.userEventTriggered(ctx, event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (closed) {
                return;
            }
            if (cause instanceof ProxyConnectException) {
                fail(proxyFailure(cause));
            } else if (tls != null && TlsSettings.isHandshakeFailure(cause)) {
                // Also once ready: with TLS 1.3 a refused client certificate is known only after the handshake.
                fail(tlsFailure(cause));
            } else if (cause instanceof io.grpc.netty.shaded.io.netty.handler.codec.DecoderException) {
                fail(new HttpFailure(HttpFailure.Kind.PROTOCOL, endpoint.target + " sent what is not HTTP: " + HttpFailure.describe(cause),
                        cause));
            } else {
                fail(new HttpFailure(HttpFailure.Kind.CLOSED, "the connection to " + endpoint.target + " failed: "
                        + HttpFailure.describe(cause), cause, bytesSinceAnswer == 0 && reused()));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (!closed) {
                String when = !ready ? "before it was ready"
                        : bytesSinceAnswer > 0 ? "in the middle of a response" : "before answering";
                boolean idle = bytesSinceAnswer == 0 && reused();
                fail(new HttpFailure(HttpFailure.Kind.CLOSED, endpoint.target + " closed the connection " + when
                        + (idle ? " (an idle keep-alive connection)" : ""), null, idle));
            }
            super.channelInactive(ctx);
        }

        private HttpFailure tlsFailure(Throwable cause) {
            return new HttpFailure(HttpFailure.Kind.TLS, "TLS with " + endpoint.target + " failed: "
                    + endpoint.tls.explain(cause), cause);
        }
    }
}
