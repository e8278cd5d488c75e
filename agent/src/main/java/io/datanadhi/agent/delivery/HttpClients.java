package io.datanadhi.agent.delivery;

import io.datanadhi.agent.AgentThreads;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The agent's one HTTP client (JDK {@code java.net.http}, keep-alive), made on first use: it costs
 * about 150 ms to create (TLS set-up included), which must not delay start-up. Its threads are
 * the agent's own, so anything the JDK logs on them is never captured.
 */
public final class HttpClients {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final ExecutorService executor = Executors.newCachedThreadPool(AgentThreads.factory("datanadhi-http"));
    private volatile HttpClient client;

    public HttpClient client() {
        HttpClient current = client;
        if (current == null) {
            synchronized (this) {
                current = client;
                if (current == null) {
                    current = HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .connectTimeout(CONNECT_TIMEOUT)
                            .executor(executor)
                            .build();
                    client = current;
                }
            }
        }
        return current;
    }

    public void close() {
        executor.shutdownNow();
    }
}
