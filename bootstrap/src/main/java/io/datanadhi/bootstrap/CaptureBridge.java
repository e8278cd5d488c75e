package io.datanadhi.bootstrap;

/**
 * Static entry points for advice code inlined into logging frameworks.
 *
 * <p>Exactly-once capture across bridges (jul-to-slf4j, log4j-to-slf4j, ...) uses a per-thread
 * call depth shared by every hook. The first hook that decides an event is really logged
 * <em>claims</em> it; anything logged further down the same call (a bridge forwarding the event
 * to another framework, or an appender logging on its own) is not captured again. A hook that can
 * only decide on its way out (JUL, whose handlers may forward to another framework) captures at
 * exit, and only when it is the outermost hook and no other framework took the event.
 *
 * <p>Nothing here throws or blocks; advice additionally runs with {@code suppress = Throwable}.
 */
public final class CaptureBridge {

    private static volatile CaptureSink sink;

    private static final ThreadLocal<ThreadState> STATE = new ThreadLocal<ThreadState>() {
        @Override
        protected ThreadState initialValue() {
            return new ThreadState();
        }
    };

    private CaptureBridge() {}

    /** Installs (or replaces) the agent's sink. A null sink turns capture off. */
    public static void install(CaptureSink newSink) {
        sink = newSink;
    }

    public static boolean installed() {
        return sink != null;
    }

    /**
     * Marks the current thread as one of the agent's own: nothing it logs is ever captured,
     * whichever library logs it.
     */
    public static void markAgentThread() {
        STATE.get().agentThread = true;
    }

    public static boolean isAgentThread() {
        return STATE.get().agentThread;
    }

    /**
     * Enters a hook that captures on entry. Returns the carrier to fill when this hook claims the
     * event, else null. Must be paired with {@link #exit()}.
     */
    public static CapturedEvent enterAndClaim() {
        ThreadState s = STATE.get();
        s.depth++;
        if (s.claimed || s.agentThread || sink == null) {
            return null;
        }
        s.claimed = true;
        return s.event;
    }

    /** Enters a hook that may capture on exit. Must be paired with {@link #claimAtExit()}. */
    public static void enter() {
        STATE.get().depth++;
    }

    /**
     * Leaves a hook entered with {@link #enter()}. Returns the carrier to fill when this hook is
     * the outermost one and no other hook claimed or received the event, else null. Either way
     * the hook has been left when this returns.
     */
    public static CapturedEvent claimAtExit() {
        ThreadState s = STATE.get();
        CapturedEvent result = null;
        if (s.depth == 1 && !s.claimed && !s.forwarded && !s.agentThread && sink != null) {
            result = s.event;
        }
        leave(s);
        return result;
    }

    /** Leaves a hook entered with {@link #enterAndClaim()}. */
    public static void exit() {
        leave(STATE.get());
    }

    /**
     * Notes that the event being logged by an enclosing hook was handed to another framework,
     * which makes its own level decision and captures it itself if it logs it.
     */
    public static void markForwarded() {
        ThreadState s = STATE.get();
        if (s.depth > 0) {
            s.forwarded = true;
        }
    }

    /** Hands a filled carrier to the agent, then clears it. Never throws. */
    public static void publish(CapturedEvent event) {
        CaptureSink current = sink;
        try {
            if (current != null) {
                current.accept(event);
            }
        } catch (Throwable ignored) {
            // The application comes first: a failure in the agent never reaches it.
        } finally {
            event.clear();
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
