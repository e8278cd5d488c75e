package io.datanadhi.http;

import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests pipelined on one keep-alive connection, for senders that must keep their order on
 * the wire (EchoPost's replay, {@code replay-dropped}): requests are written in the order
 * {@link #send} is called and responses complete in that order; servers answer pipelined
 * requests in order (RFC 9112, section 9.3.2). Each request's deadline runs from the moment it is
 * at the head of the line. When the connection fails, every request on it fails, in order; the
 * next {@link #send} opens a new connection. Whoever sends decides what to send again.
 */
public final class PipelinedConnection implements AutoCloseable {

    private final HttpTransport transport;
    private final Endpoint endpoint;
    private final EventLoop loop;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Connection.Listener listener = new Connection.Listener() {
        @Override
        public void idle(Connection connection) {
            // stays open for the next request
        }

        @Override
        public void closed(Connection connection) {
            if (current == connection) {
                current = null;
            }
        }

        @Override
        public void failed(Exchange exchange, HttpFailure failure) {
            exchange.fail(failure);
        }
    };
    private Connection current;
    private io.grpc.netty.shaded.io.netty.util.concurrent.ScheduledFuture<?> deadlines;
    private boolean closed;

    public PipelinedConnection(HttpTransport transport, Endpoint endpoint) {
        this.transport = transport;
        this.endpoint = endpoint;
        this.loop = transport.nextLoop();
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /** Requests sent and not yet settled. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Queues a request behind those sent before it; never blocks. */
    public CompletableFuture<Response> send(Request request) {
        inFlight.incrementAndGet();
        Exchange exchange = new Exchange(request, endpoint.timeoutNanos, inFlight::decrementAndGet);
        try {
            loop.execute(() -> dispatch(exchange));
        } catch (RejectedExecutionException stopped) {
            exchange.fail(new HttpFailure(HttpFailure.Kind.ABORTED, "the HTTP client is closed", stopped));
        }
        return exchange.result;
    }

    private void dispatch(Exchange exchange) {
        if (closed) {
            exchange.fail(new HttpFailure(HttpFailure.Kind.ABORTED, "the HTTP client is closed", null));
            return;
        }
        if (current == null || !current.usable()) {
            current = new Connection(transport, endpoint, loop, listener);
            current.open();
            if (deadlines == null) {
                deadlines = loop.scheduleWithFixedDelay(this::checkDeadline, Connection.DEADLINE_CHECK_MILLIS,
                        Connection.DEADLINE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
            }
        }
        current.add(exchange);
    }

    private void checkDeadline() {
        if (current != null) {
            current.checkDeadline(System.nanoTime());
        }
    }

    /** Closes the connection; what is in flight fails as {@link HttpFailure.Kind#ABORTED}. Waits at most 1 s. */
    @Override
    public void close() {
        CountDownLatch done = new CountDownLatch(1);
        try {
            loop.execute(() -> {
                try {
                    closed = true;
                    if (deadlines != null) {
                        deadlines.cancel(false);
                    }
                    if (current != null) {
                        current.close(new HttpFailure(HttpFailure.Kind.ABORTED, "the HTTP client was closed", null));
                    }
                } finally {
                    done.countDown();
                }
            });
            done.await(1, TimeUnit.SECONDS);
        } catch (RejectedExecutionException alreadyStopped) {
            // nothing is open
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
