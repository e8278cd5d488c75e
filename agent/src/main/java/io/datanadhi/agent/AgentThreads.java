package io.datanadhi.agent;

import io.datanadhi.bootstrap.CaptureBridge;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The agent's own threads: daemon (they never keep the application alive) and marked so that
 * nothing logged on them, by the agent or by a library it uses, is ever captured.
 */
public final class AgentThreads {
    private AgentThreads() {}

    public static Thread newThread(String name, Runnable task) {
        Thread thread = new Thread(() -> {
            CaptureBridge.markAgentThread();
            task.run();
        }, name);
        thread.setDaemon(true);
        thread.setContextClassLoader(AgentThreads.class.getClassLoader());
        return thread;
    }

    /** A factory naming its threads {@code <prefix>-1}, {@code <prefix>-2}, ... */
    public static ThreadFactory factory(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return task -> newThread(prefix + "-" + counter.incrementAndGet(), task);
    }
}
