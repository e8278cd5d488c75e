package io.datanadhi.http.testing;

import io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelFutureListener;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInitializer;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.SimpleChannelInboundHandler;
import io.grpc.netty.shaded.io.netty.channel.group.ChannelGroup;
import io.grpc.netty.shaded.io.netty.channel.group.DefaultChannelGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.grpc.netty.shaded.io.netty.handler.codec.http.FullHttpRequest;
import io.grpc.netty.shaded.io.netty.handler.codec.http.FullHttpResponse;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpHeaderNames;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpObjectAggregator;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpResponseStatus;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpServerCodec;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpUtil;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpVersion;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslHandler;
import io.grpc.netty.shaded.io.netty.util.concurrent.GlobalEventExecutor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * A Data Nadhi server for tests and benchmarks, on 127.0.0.1: {@code GET /} for health,
 * {@code POST /log} and {@code POST /upload}, answered with statuses the test sets, each after
 * {@link #delayMillis} (a server that far away). It holds any number of requests at once, pipelined
 * ones included (each is answered its delay after it arrived, in order on its connection), over
 * plain HTTP or TLS (optionally requiring a client certificate). It can be stopped and started
 * again on the same port, keeping what it received.
 *
 * <pre>java -cp ... io.datanadhi.http.testing.TestServer [--port P] [--delay-ms D]</pre>
 * prints {@code listening P}; {@code GET /_stats} answers the counts as JSON.
 */
public final class TestServer implements AutoCloseable {

    /** One request with a body, as received. */
    public static final class Received {
        public final String method;
        public final String path;
        public final String userAgent;
        public final String apiKey;
        public final String contentEncoding;
        public final byte[] body;
        /** 0, 1, 2, ... in the order requests arrived, over every connection. */
        public final long arrival;
        /** Which connection it came on: 1, 2, ... */
        public final int connection;

        Received(String method, String path, String userAgent, String apiKey, String contentEncoding, byte[] body,
                long arrival, int connection) {
            this.method = method;
            this.path = path;
            this.userAgent = userAgent == null ? "" : userAgent;
            this.apiKey = apiKey;
            this.contentEncoding = contentEncoding;
            this.body = body;
            this.arrival = arrival;
            this.connection = connection;
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The JSON lines of an {@code /upload} (gunzipped), or the one body of a {@code /log}. */
        public List<String> lines() {
            String text;
            if ("gzip".equalsIgnoreCase(contentEncoding)) {
                try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new IllegalStateException("not gzip: " + e, e);
                }
            } else {
                text = text();
            }
            List<String> lines = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
            return lines;
        }

        /** Sent by EchoPost's replay rather than by the agent. */
        public boolean fromEchoPost() {
            return userAgent.startsWith("datanadhi-echopost");
        }

        @Override
        public String toString() {
            return method + " " + path + " " + text();
        }
    }

    public final AtomicInteger logStatus = new AtomicInteger(200);
    public final AtomicInteger healthStatus = new AtomicInteger(200);
    public final AtomicInteger delayMillis = new AtomicInteger();

    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2, daemonThreads(), NioIoHandler.newFactory());
    private final ChannelGroup open = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final SSLContext tls;
    private final boolean requireClientCertificate;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final AtomicLong arrivals = new AtomicLong();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicInteger mostOpenConnections = new AtomicInteger();
    private final AtomicLong posts = new AtomicLong();
    private volatile boolean keep = true;
    private volatile Consumer<Received> onReceived = r -> { };
    private final int port;
    private Channel listening;

    private TestServer(int port, SSLContext tls, boolean requireClientCertificate) throws IOException {
        this.tls = tls;
        this.requireClientCertificate = requireClientCertificate;
        this.listening = bind(port);
        this.port = ((InetSocketAddress) listening.localAddress()).getPort();
    }

    /** Plain HTTP on a free port. */
    public static TestServer start() throws IOException {
        return new TestServer(0, null, false);
    }

    public static TestServer start(int port) throws IOException {
        return new TestServer(port, null, false);
    }

    /** HTTPS with {@code certificate}; a client certificate signed by the same CA required if asked. */
    public static TestServer startTls(TestCertificates.KeyPair certificate, boolean requireClientCertificate)
            throws IOException {
        return new TestServer(0, certificate.serverContext(), requireClientCertificate);
    }

    public int port() {
        return port;
    }

    public String url() {
        return (tls != null ? "https" : "http") + "://127.0.0.1:" + port;
    }

    /** Stops keeping bodies (a benchmark's millions of records); counts and {@link #onReceived} go on. */
    public TestServer keepNothing() {
        keep = false;
        return this;
    }

    /** Called on the server's thread for every POST as it arrives, before it is answered. */
    public TestServer onReceived(Consumer<Received> listener) {
        this.onReceived = listener;
        return this;
    }

    /** POSTs in arrival order (while bodies are kept). */
    public List<Received> received() {
        return new ArrayList<>(received);
    }

    /** "GET / 200", "POST /log 503", ...: every request with the status it got. */
    public List<String> requests() {
        return new ArrayList<>(requests);
    }

    /** POSTs answered 2xx, whether kept or not. */
    public long posts() {
        return posts.get();
    }

    /** Connections accepted since start. */
    public int connectionsAccepted() {
        return connections.get();
    }

    /** The most connections open at once. */
    public int mostConnectionsOpen() {
        return mostOpenConnections.get();
    }

    /** Waits (bounded) until {@code count} POSTs were taken; false when the time ran out. */
    public boolean await(long count, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (posts.get() < count) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** The outage begins: the port closes and every open connection is cut. What was received is kept. */
    public synchronized void stop() {
        if (listening != null) {
            listening.close().syncUninterruptibly();
            listening = null;
        }
        open.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    /** The outage ends: listening again on the same port (retrying while it is released, at most 10 s). */
    public synchronized void restart() throws IOException, InterruptedException {
        if (listening != null) {
            return;
        }
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            try {
                listening = bind(port);
                return;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    @Override
    public void close() {
        stop();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    private Channel bind(int port) throws IOException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        open.add(ch);
                        int id = connections.incrementAndGet();
                        int now = openConnections.incrementAndGet();
                        mostOpenConnections.accumulateAndGet(now, Math::max);
                        ch.closeFuture().addListener(f -> openConnections.decrementAndGet());
                        if (tls != null) {
                            SSLEngine engine = tls.createSSLEngine();
                            engine.setUseClientMode(false);
                            engine.setNeedClientAuth(requireClientCertificate);
                            ch.pipeline().addLast(new SslHandler(engine));
                        }
                        ch.pipeline().addLast(new HttpServerCodec());
                        ch.pipeline().addLast(new HttpObjectAggregator(16 * 1024 * 1024));
                        ch.pipeline().addLast(new Answers(id));
                    }
                });
        try {
            return bootstrap.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).sync().channel();
        } catch (Exception e) {
            throw new IOException("cannot listen on port " + port + ": " + e, e);
        }
    }

    /** One connection: answers in order, each request its delay after it arrived. */
    private final class Answers extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final int connection;
        private final ArrayDeque<Pending> pending = new ArrayDeque<>();

        Answers(int connection) {
            this.connection = connection;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String method = request.method().name();
            String path = URI.create(request.uri()).getRawPath(); // absolute-form from a proxy too
            int status;
            byte[] reply;
            if (method.equals("GET") && path.equals("/_stats")) {
                status = 200;
                reply = stats().getBytes(StandardCharsets.UTF_8);
            } else if (method.equals("GET") && path.equals("/")) {
                status = healthStatus.get();
                reply = ("{\"status\":" + status + "}").getBytes(StandardCharsets.UTF_8);
            } else if (method.equals("POST") && (path.equals("/log") || path.equals("/upload"))) {
                status = logStatus.get();
                ByteBuf content = request.content();
                byte[] body = new byte[content.readableBytes()];
                content.getBytes(content.readerIndex(), body);
                Received one = new Received(method, path, request.headers().get(HttpHeaderNames.USER_AGENT),
                        request.headers().get("x-datanadhi-api-key"), request.headers().get(HttpHeaderNames.CONTENT_ENCODING),
                        body, arrivals.getAndIncrement(), connection);
                if (status / 100 == 2) {
                    if (keep) {
                        received.add(one);
                    }
                    posts.incrementAndGet();
                    onReceived.accept(one);
                }
                reply = ("{\"status\":" + status + "}").getBytes(StandardCharsets.UTF_8);
            } else {
                status = 404;
                reply = "{\"error\":\"not found\"}".getBytes(StandardCharsets.UTF_8);
            }
            if (keep) {
                requests.add(method + " " + path + " " + status);
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                    Unpooled.wrappedBuffer(reply));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, reply.length);
            Pending answer = new Pending(response, HttpUtil.isKeepAlive(request));
            pending.add(answer);
            int delay = delayMillis.get();
            if (delay > 0) {
                ctx.executor().schedule(() -> {
                    answer.ready = true;
                    flush(ctx);
                }, delay, TimeUnit.MILLISECONDS);
            } else {
                answer.ready = true;
                flush(ctx);
            }
        }

        private void flush(ChannelHandlerContext ctx) {
            boolean wrote = false;
            while (!pending.isEmpty() && pending.peek().ready) {
                Pending answer = pending.poll();
                wrote = true;
                if (answer.keepAlive) {
                    ctx.write(answer.response);
                } else {
                    ctx.writeAndFlush(answer.response).addListener(ChannelFutureListener.CLOSE);
                    pending.clear();
                    return;
                }
            }
            if (wrote) {
                ctx.flush();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static final class Pending {
        final FullHttpResponse response;
        final boolean keepAlive;
        boolean ready;

        Pending(FullHttpResponse response, boolean keepAlive) {
            this.response = response;
            this.keepAlive = keepAlive;
        }
    }

    private String stats() {
        return "{\"posts\":" + posts.get() + ",\"connections\":" + connections.get() + ",\"most_open\":"
                + mostOpenConnections.get() + "}";
    }

    private static java.util.concurrent.ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, "test-server-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Runs a server in its own JVM, for benchmarks. */
    public static void main(String[] args) throws Exception {
        int port = 0;
        int delay = 0;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port": port = Integer.parseInt(args[i + 1]); break;
                case "--delay-ms": delay = Integer.parseInt(args[i + 1]); break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        TestServer server = start(port).keepNothing();
        server.delayMillis.set(delay);
        System.out.println("listening " + server.port());
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the driver closes our stdin
        }
        server.close();
    }
}
