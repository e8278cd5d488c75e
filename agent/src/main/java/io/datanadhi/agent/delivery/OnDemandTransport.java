package io.datanadhi.agent.delivery;

import io.datanadhi.http.HttpTransport;
import java.util.concurrent.CompletableFuture;

/**
 * The HTTP client's threads (Netty), started the first time something asks for them, on a thread
 * of their own ({@link HttpClients#start()}), or given already started. A short job, or a service
 * whose near server's records all go on the primary's blocking connections
 * ({@link NearServerSender}), never starts them.
 */
final class OnDemandTransport {

    private CompletableFuture<HttpTransport> started;
    private boolean closed;

    /** @param started the client, already under way; null to start it when first asked for */
    OnDemandTransport(CompletableFuture<HttpTransport> started) {
        this.started = started;
    }

    /** The client, started now if it is not yet; after {@link #close} a failed future. */
    synchronized CompletableFuture<HttpTransport> get() {
        if (started == null) {
            started = closed ? CompletableFuture.failedFuture(new IllegalStateException("delivery has stopped"))
                    : HttpClients.start();
        }
        return started;
    }

    /** Started and made: requests sent now do not wait for it. */
    synchronized boolean ready() {
        return started != null && started.isDone() && !started.isCompletedExceptionally();
    }

    /** Stops the client if it was started (waiting at most {@code millis} for its threads); nothing starts it again. */
    void close(long millis) {
        CompletableFuture<HttpTransport> made;
        synchronized (this) {
            closed = true;
            made = started;
        }
        if (made != null) {
            made.thenAccept(transport -> transport.close(millis));
        }
    }
}
