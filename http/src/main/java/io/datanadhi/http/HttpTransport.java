package io.datanadhi.http;

import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.grpc.netty.shaded.io.netty.buffer.AbstractByteBufAllocator;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.UnpooledDirectByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.UnpooledHeapByteBuf;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.resolver.NoopAddressResolverGroup;
import io.grpc.netty.shaded.io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads behind every connection: Netty event loops (NIO, so it runs on every OS and JDK),
 * and one small pool for name lookups, which block and must never run on an event loop. Buffers
 * are plain heap arrays: a few hundred small requests in flight need no pooled memory.
 */
public final class HttpTransport implements AutoCloseable {

    private final EventLoopGroup loops;
    private final ThreadPoolExecutor lookups;
    private final HeapBuffers allocator = new HeapBuffers();

    /** @param threads makes the event loop and lookup threads (daemon threads, for an agent) */
    public HttpTransport(ThreadFactory threads, int eventLoops) {
        this.loops = new MultiThreadIoEventLoopGroup(eventLoops, threads, NioIoHandler.newFactory());
        this.lookups = new ThreadPoolExecutor(0, 2, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
    }

    EventLoop nextLoop() {
        return loops.next();
    }

    Bootstrap bootstrap(EventLoop loop, long connectTimeoutNanos) {
        return new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .resolver(NoopAddressResolverGroup.INSTANCE) // addresses come resolved, or go unresolved to a proxy
                .option(ChannelOption.ALLOCATOR, allocator)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(connectTimeoutNanos))));
    }

    /** Resolves {@code host} off the event loops; an address literal at once. */
    CompletableFuture<InetSocketAddress> resolve(String host, int port) {
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
        if (literal != null) {
            try {
                return CompletableFuture.completedFuture(new InetSocketAddress(InetAddress.getByAddress(host, literal), port));
            } catch (UnknownHostException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new InetSocketAddress(InetAddress.getByName(host), port);
            } catch (UnknownHostException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, lookups);
    }

    /**
     * Heap buffers, reads included: Netty reads into direct buffers where it can free them, and
     * unpooled that is an allocation and a free per read; the JDK copies a heap buffer's bytes
     * through a direct buffer it keeps per thread. (A pooled allocator would keep megabytes in
     * the application's JVM for a few hundred small requests.)
     */
    private static final class HeapBuffers extends AbstractByteBufAllocator {
        HeapBuffers() {
            super(false);
        }

        @Override
        public ByteBuf ioBuffer() {
            return heapBuffer();
        }

        @Override
        public ByteBuf ioBuffer(int initialCapacity) {
            return heapBuffer(initialCapacity);
        }

        @Override
        public ByteBuf ioBuffer(int initialCapacity, int maxCapacity) {
            return heapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    /** Stops the threads; connections still open are closed. Waits at most {@code millis}. */
    public void close(long millis) {
        lookups.shutdownNow();
        try {
            loops.shutdownGracefully(0, millis, TimeUnit.MILLISECONDS).await(millis + 100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(1000);
    }
}
