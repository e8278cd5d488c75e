package io.datanadhi.bootstrap;

/**
 * Static entry points called by the hooks that the agent inserts into logging frameworks. The
 * hooks themselves are one static call each; everything else happens here or in the agent.
 *
 * <p>Exactly-once capture across bridges (jul-to-slf4j, log4j-to-slf4j, ...) uses a per-thread
 * call depth shared by every hook. The first hook that decides an event is really logged
 * <em>claims</em> it; anything logged further down the same call (a bridge forwarding the event
 * to another framework, or an appender logging on its own) is not captured again. A hook that can
 * only decide on its way out (JUL, whose handlers may forward to another framework) captures at
 * exit, and only when it is the outermost hook and no other framework received the event.
 *
 * <p>Nothing here throws or blocks.
 */
public final class CaptureBridge {

    private static volatile CaptureSink sink;

    /** Set by the first agent start in this JVM; a later attach finds it and does nothing. */
    private static final java.util.concurrent.atomic.AtomicBoolean STARTED =
            new java.util.concurrent.atomic.AtomicBoolean();

    private static final ThreadLocal<ThreadState> STATE = new ThreadLocal<ThreadState>() {
        @Override
        protected ThreadState initialValue() {
            return new ThreadState();
        }
    };

    private CaptureBridge() {}

    /**
     * True for the first agent start in this JVM, false when an agent is already running (the
     * same jar attached twice, or attached to a JVM started with it).
     */
    public static boolean claimStart() {
        return STARTED.compareAndSet(false, true);
    }

    /** Installs (or replaces) the agent's sink. A null sink turns capture off. */
    public static void install(CaptureSink newSink) {
        sink = newSink;
    }

    /**
     * Marks the current thread as one of the agent's own: nothing it logs is ever captured,
     * whichever library logs it.
     */
    public static void markAgentThread() {
        STATE.get().agentThread = true;
    }

    /**
     * Hook at the entry of a method that is called once per event after the framework decided to
     * log it (Logback's {@code callAppenders}). Returns this thread's state, which the hook keeps
     * in a local variable and passes to {@link #exit(Object)}: one thread-local lookup per event.
     */
    public static Object enter(String framework, Object event, Object logger) {
        try {
            ThreadState s = STATE.get();
            s.depth++;
            if (!s.claimed && !s.agentThread && event != null) {
                CaptureSink current = sink;
                if (current != null) {
                    s.claimed = true;
                    publish(current, s, framework, event, logger);
                }
            }
            return s;
        } catch (Throwable ignored) {
            return null; // The application comes first.
        }
    }

    /**
     * {@link #enter}, unless this invocation of the hooked method entered already: a hook placed
     * before a call that may run several times per event (in a loop) calls this with the state it
     * holds, null the first time.
     */
    public static Object enterOnce(Object state, String framework, Object event, Object logger) {
        return state != null ? state : enter(framework, event, logger);
    }

    /** Leaves a hook entered with {@link #enter}; {@code state} is what it returned. */
    public static void exit(Object state) {
        try {
            if (state != null) {
                leave((ThreadState) state);
            }
        } catch (Throwable ignored) {
            // The application comes first.
        }
    }

    /**
     * Hook at the entry of a method that may capture on its way out ({@link #exitOuter}); returns
     * the state to pass there.
     */
    public static Object enterOuter() {
        try {
            ThreadState s = STATE.get();
            s.depth++;
            return s;
        } catch (Throwable ignored) {
            return null; // The application comes first.
        }
    }

    /**
     * Hook at every exit of a method entered with {@link #enterOuter}: captures the event when
     * this is the outermost hook and no other hook claimed or received it.
     */
    public static void exitOuter(Object state, String framework, Object event, Object logger) {
        try {
            if (state == null) {
                return;
            }
            ThreadState s = (ThreadState) state;
            if (s.depth == 1 && !s.claimed && !s.forwarded && !s.agentThread && event != null) {
                CaptureSink current = sink;
                if (current != null) {
                    s.claimed = true;
                    publish(current, s, framework, event, logger);
                }
            }
            leave(s);
        } catch (Throwable ignored) {
            // The application comes first.
        }
    }

    /**
     * Hook at the entry of a framework's method used by bridges from other frameworks: the event
     * being logged by an enclosing hook was handed to this framework, which makes its own level
     * decision and captures the event itself if it logs it.
     */
    public static void markForwarded() {
        try {
            ThreadState s = STATE.get();
            if (s.depth > 0) {
                s.forwarded = true;
            }
        } catch (Throwable ignored) {
            // The application comes first.
        }
    }

    /** The current thread's state, as {@link #enter} returns it; for tests. */
    static Object state() {
        return STATE.get();
    }

    private static void publish(CaptureSink current, ThreadState s, String framework, Object event, Object logger) {
        try {
            current.accept(s.event, framework, event, logger);
        } catch (Throwable ignored) {
            // A failure in the agent never reaches the application.
        }
    }

    private static void leave(ThreadState s) {
        if (--s.depth <= 0) {
            s.depth = 0;
            s.claimed = false;
            s.forwarded = false;
        }
    }

    private static final class ThreadState {
        int depth;
        boolean claimed;
        boolean forwarded;
        boolean agentThread;
        final CapturedEvent event = new CapturedEvent();
    }
}
