package io.datanadhi.echopost.server;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The gRPC server on a UNIX domain socket (grpc-netty-shaded, epoll), mode 0600. */
public final class SocketServer {

    /** sun_path holds 108 bytes on Linux, the terminating NUL included. */
    public static final int MAX_SOCKET_PATH_BYTES = 107;
    /** The largest call accepted; clients split larger batches. Keeps EchoPost's heap small. */
    public static final int MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
    /**
     * The calls held at once, by the bytes of their messages, from arriving until answered; more
     * is answered busy (see {@link ReceiveBudget}). Two of the largest, or many small ones:
     * within the 64 MB of direct memory and 24 MB of heap the agent gives EchoPost.
     */
    public static final long MAX_HELD_BYTES = 8L * 1024 * 1024;
    /**
     * HTTP/2's own default, fixed: what a connection may send ahead of EchoPost reading it. The
     * grpc-java default (1 MB, grown up to 8 MB) let the messages of calls about to be refused
     * pile up in direct memory.
     */
    static final int FLOW_CONTROL_WINDOW = 64 * 1024;

    private final Path socket;
    private final Server server;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;

    private SocketServer(Path socket, Server server, EventLoopGroup boss, EventLoopGroup workers) {
        this.socket = socket;
        this.server = server;
        this.boss = boss;
        this.workers = workers;
    }

    /** Why the socket cannot be used at this path, or null when it can. */
    public static String checkPath(Path socket) {
        int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_SOCKET_PATH_BYTES) {
            return "the socket path " + socket + " is " + length + " bytes; UNIX sockets allow at most "
                    + MAX_SOCKET_PATH_BYTES + " (use a shorter -datanadhi directory)";
        }
        if (!Epoll.isAvailable()) {
            return "UNIX domain sockets need the epoll transport, which is not available here: "
                    + Epoll.unavailabilityCause();
        }
        return null;
    }

    /**
     * Listens on {@code socket}. A connection that has not begun HTTP/2 (its first SETTINGS
     * frame) within {@code handshakeTimeout} is closed; so is one with no call for
     * {@code idleTimeout} (a GOAWAY first: a client such as the agent's reconnects on its next call).
     */
    public static SocketServer start(Path socket, BindableService service, Duration idleTimeout,
            Duration handshakeTimeout) throws IOException {
        Files.deleteIfExists(socket); // stale: we hold the directory's lock
        ReceiveBudget budget = new ReceiveBudget(MAX_HELD_BYTES);
        EventLoopGroup boss = new EpollEventLoopGroup(1, named("echopost-accept"));
        EventLoopGroup workers = new EpollEventLoopGroup(2, named("echopost-io"));
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .directExecutor()
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .flowControlWindow(FLOW_CONTROL_WINDOW)
                .addStreamTracerFactory(budget.tracer())
                .addService(ServerInterceptors.intercept(service, budget.interceptor()))
                .handshakeTimeout(handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .maxConnectionIdle(idleTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .build();
        try {
            server.start();
        } catch (IOException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        }
        return new SocketServer(socket, server, boss, workers);
    }

    /** Stops accepting calls; those in progress finish (up to {@code timeoutMillis}). */
    public void stop(long timeoutMillis) {
        server.shutdown();
        try {
            if (!server.awaitTermination(timeoutMillis, TimeUnit.MILLISECONDS)) {
                server.shutdownNow();
                server.awaitTermination(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // The next instance removes a stale socket.
        }
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, prefix + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
