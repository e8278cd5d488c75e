package io.datanadhi.echopost.server;

import io.datanadhi.proto.LogResponse;
import io.grpc.Context;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of the calls EchoPost holds, from the first byte of a call's message until its
 * answer is sent: arriving, parsed, or waiting for the disk. A call that finds the budget spent
 * is answered busy at once, before its message is read; one whose arriving bytes take the total
 * past it is answered busy there, its message dropped unread. Either way the client gets a
 * {@link LogResponse} with success=false and sends the records elsewhere.
 *
 * <p>Why: grpc-java gives HTTP/2 flow-control credit back as soon as it moves bytes into the
 * message being assembled, so flow control bounds only the bytes not yet looked at, never the
 * messages being assembled, and a unary call asks for its message the moment it starts. Fifty
 * parallel 3 MB calls were 150 MB of direct buffers in a process allowed 64 MB: Netty could not
 * allocate, the connection was closed, and every call on it ended UNAVAILABLE; or the 24 MB heap
 * ran out parsing them, and EchoPost exited. Counting the bytes that actually arrive (a stream
 * tracer sees them as they are read) refuses only when there is too much, not because many small
 * calls arrive at once.
 *
 * <p>Tracer and interceptor run on the connection's event loop (the server's executor is
 * direct); the total is shared by all of them.
 */
final class ReceiveBudget {

    private static final Context.Key<Arrival> ARRIVAL = Context.key("echopost-arrival");

    private final long limitBytes;
    private final AtomicLong held = new AtomicLong();
    private final LogResponse busy;

    ReceiveBudget(long limitBytes) {
        this.limitBytes = limitBytes;
        this.busy = LogResponse.newBuilder().setSuccess(false).setMessage("EchoPost is busy (" + limitBytes / (1024 * 1024)
                + " MB of calls arriving or waiting to be written): try again or elsewhere").build();
    }

    /** Bytes of the calls held now; 0 when none is. */
    long held() {
        return held.get();
    }

    /** Counts each call's bytes as they arrive, until its stream closes. */
    ServerStreamTracer.Factory tracer() {
        return new ServerStreamTracer.Factory() {
            @Override
            public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
                return new Arrival();
            }
        };
    }

    /** Refuses a call at once while the budget is spent; lets its tracer refuse it later. */
    ServerInterceptor interceptor() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                Arrival arrival = ARRIVAL.get();
                if (arrival == null) {
                    return next.startCall(call, headers); // not a stream of this server's transport
                }
                if (held.get() >= limitBytes) {
                    arrival.refused = true;
                    refuse(call);
                    return new ServerCall.Listener<Q>() {};
                }
                arrival.call = call;
                return new SimpleForwardingServerCallListener<Q>(next.startCall(call, headers)) {
                    @Override
                    public void onMessage(Q message) {
                        if (!arrival.refused) {
                            super.onMessage(message);
                        }
                    }

                    @Override
                    public void onHalfClose() {
                        if (!arrival.refused) {
                            super.onHalfClose();
                        }
                    }
                };
            }
        };
    }

    /**
     * The busy answer, as the store gives it when too much waits for the writer. The client
     * stops sending the message when it sees it (grpc-java resets the stream), and what still
     * arrives of it is dropped unread.
     */
    @SuppressWarnings("unchecked") // every method of logagent.LogAgent answers a LogResponse
    private <R> void refuse(ServerCall<?, R> call) {
        try {
            call.sendHeaders(new Metadata());
            call.sendMessage((R) busy);
            call.close(Status.OK, new Metadata());
        } catch (RuntimeException cancelled) {
            // The client went away first.
        }
    }

    /** One call: the bytes it holds, and whether it was answered busy. */
    private final class Arrival extends ServerStreamTracer {
        /** Only on the connection's event loop. */
        private long charged;
        volatile boolean refused;
        volatile ServerCall<?, ?> call;

        @Override
        public Context filterContext(Context context) {
            return context.withValue(ARRIVAL, this);
        }

        @Override
        public void inboundWireSize(long bytes) {
            if (refused) {
                return;
            }
            charged += bytes;
            if (held.addAndGet(bytes) > limitBytes && call != null) {
                refused = true;
                release();
                refuse(call);
            }
        }

        @Override
        public void streamClosed(Status status) {
            release();
        }

        private void release() {
            held.addAndGet(-charged);
            charged = 0;
        }
    }
}
