package io.datanadhi.agent;

import io.datanadhi.bootstrap.CaptureBridge;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The agent's own threads: daemon (they never keep the application alive) and marked so that
 * nothing logged on them, by the agent or by a library it uses, is ever captured.
 *
 * <p>Here and on the rest of the start-up path the agent writes classes, not lambdas: each lambda
 * is a class the JVM spins at its first use (about half a millisecond on JDK 25, and work for
 * the JIT), where a class is read from the jar.
 */
public final class AgentThreads {
    private AgentThreads() {}

    public static Thread newThread(String name, Runnable task) {
        Thread thread = new MarkedThread(task, name);
        thread.setDaemon(true);
        thread.setContextClassLoader(AgentThreads.class.getClassLoader());
        return thread;
    }

    /** A factory naming its threads {@code <prefix>-1}, {@code <prefix>-2}, ... */
    public static ThreadFactory factory(String prefix) {
        return new NumberedFactory(prefix);
    }

    private static final class MarkedThread extends Thread {
        private final Runnable task;

        MarkedThread(Runnable task, String name) {
            super(name);
            this.task = task;
        }

        @Override
        public void run() {
            CaptureBridge.markAgentThread();
            task.run();
        }
    }

    private static final class NumberedFactory implements ThreadFactory {
        private final String prefix;
        private final AtomicInteger counter = new AtomicInteger();

        NumberedFactory(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Thread newThread(Runnable task) {
            return AgentThreads.newThread(prefix + "-" + counter.incrementAndGet(), task);
        }
    }
}
