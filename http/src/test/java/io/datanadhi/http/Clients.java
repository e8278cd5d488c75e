package io.datanadhi.http;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/** What the client tests share: a transport, endpoints, and bounded waits. */
final class Clients {

    static final String[] JSON = {"Content-Type", "application/json"};

    private Clients() {}

    static HttpTransport transport() {
        AtomicInteger count = new AtomicInteger();
        return new HttpTransport(task -> {
            Thread thread = new Thread(task, "test-http-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }, 1);
    }

    static Endpoint endpoint(String url, Duration timeout) {
        return Endpoint.of(HttpTarget.parse(url), TlsSettings.jvm(), Proxies.none(), "datanadhi-test", timeout);
    }

    static Request post(String body) {
        return Request.post("/log", JSON, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The response, within a bound far above any deadline a test sets. */
    static Response answer(CompletableFuture<Response> result) throws Exception {
        return result.get(30, TimeUnit.SECONDS);
    }

    /** The failure, within the same bound; fails the test when a response came instead. */
    static HttpFailure failure(CompletableFuture<Response> result) throws InterruptedException, TimeoutException {
        try {
            Response response = result.get(30, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + response);
        } catch (ExecutionException e) {
            return HttpFailure.of(e);
        }
    }
}
