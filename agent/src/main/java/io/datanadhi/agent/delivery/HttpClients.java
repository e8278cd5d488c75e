package io.datanadhi.agent.delivery;

import io.datanadhi.agent.AgentThreads;
import io.datanadhi.agent.diag.Diagnostics;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
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
    private final Instrumentation instrumentation;
    private volatile HttpClient client;

    /** @param instrumentation to stop the client's selector thread on JDK 17 (see {@link #close}); may be null */
    public HttpClients(Instrumentation instrumentation) {
        this.instrumentation = instrumentation;
    }

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

    /**
     * Stops the client. This matters at exit: a client's selector thread waits in native code, and
     * the JVM gives such threads 300 ms to return before it exits. JDK 21 has
     * {@code HttpClient.shutdownNow()}; on older JDKs the client's selector manager is shut down
     * through its package-private {@code shutdown()}, with the package opened to the agent only.
     */
    public void close() {
        HttpClient current = client;
        if (current != null) {
            try {
                HttpClient.class.getMethod("shutdownNow").invoke(current);
            } catch (NoSuchMethodException beforeJdk21) {
                stopBeforeJdk21(current);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // Best effort: at worst the JVM takes 300 ms longer to exit.
                Diagnostics.debug("http_client_stop_failed", "could not stop the HTTP client: " + e);
            }
        }
        executor.shutdownNow();
    }

    private void stopBeforeJdk21(HttpClient facade) {
        if (instrumentation == null) {
            return;
        }
        try {
            Module httpModule = HttpClient.class.getModule();
            instrumentation.redefineModule(httpModule, Set.of(), Map.of(),
                    Map.of("jdk.internal.net.http", Set.of(HttpClients.class.getModule())), Set.of(), Map.of());
            Field impl = facade.getClass().getDeclaredField("impl");
            impl.setAccessible(true);
            Object client = impl.get(facade);
            Field selectorManager = client.getClass().getDeclaredField("selmgr");
            selectorManager.setAccessible(true);
            Object selector = selectorManager.get(client);
            Method shutdown = selector.getClass().getDeclaredMethod("shutdown");
            shutdown.setAccessible(true);
            shutdown.invoke(selector);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Best effort, as above.
            Diagnostics.debug("http_client_stop_failed", "could not stop the HTTP client's selector: " + e);
        }
    }
}
