package io.datanadhi.agent.delivery;

import io.datanadhi.agent.AgentThreads;
import io.datanadhi.http.HttpTransport;
import java.util.concurrent.CompletableFuture;

/**
 * The threads of the agent's HTTP client: one Netty event loop carries every connection to the
 * primary and the fallback (serializing records is the workers' job), and Netty's lines go to the
 * agent's diagnostics, never through java.util.logging. Its threads are the agent's own, so
 * anything logged on them is never captured.
 *
 * <p>Loading Netty takes a few hundred milliseconds of class loading on a cold JVM; {@link #start()}
 * does it on a thread of its own when the records first need it ({@link OnDemandTransport}): a
 * near server's records go on blocking connections ({@link NearServerSender}).
 */
public final class HttpClients {

    private HttpClients() {}

    /** Made now, on the calling thread (command-line tools, tests). */
    public static HttpTransport transport() {
        QuietNetty.install(); // before any other Netty class logs
        return new HttpTransport(AgentThreads.factory("datanadhi-http"), 1);
    }

    /** Made on a thread of its own; the future completes with it, or with what prevented it. */
    public static CompletableFuture<HttpTransport> start() {
        CompletableFuture<HttpTransport> made = new CompletableFuture<>();
        AgentThreads.newThread("datanadhi-http-start", () -> {
            try {
                made.complete(transport());
            } catch (Throwable t) {
                made.completeExceptionally(t);
            }
        }).start();
        return made;
    }
}
