package io.datanadhi.http;

import java.util.concurrent.CompletableFuture;

/** A request on its way: where it is, and the future its response or failure completes. */
final class Exchange {

    final Request request;
    final long timeoutNanos;
    final CompletableFuture<Response> result = new CompletableFuture<>();
    /** Runs once, on the event loop, before the future completes: the owner's bookkeeping. */
    private final Runnable onDone;
    /** Times it was handed to a connection. */
    int attempts;
    /** When its bytes went to the socket; 0 until then. */
    long writtenNanos;
    /** When it began to wait for a connection of a full pool. */
    long waitingSinceNanos;

    Exchange(Request request, long defaultTimeoutNanos, Runnable onDone) {
        this.request = request;
        this.timeoutNanos = request.timeoutNanos > 0 ? request.timeoutNanos : defaultTimeoutNanos;
        this.onDone = onDone;
    }

    boolean done() {
        return result.isDone();
    }

    void complete(Response response) {
        if (!result.isDone()) {
            finish();
            result.complete(response);
        }
    }

    void fail(HttpFailure failure) {
        if (!result.isDone()) {
            finish();
            result.completeExceptionally(failure);
        }
    }

    private void finish() {
        if (onDone != null) {
            onDone.run();
        }
    }
}
