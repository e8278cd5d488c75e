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
 * <p>A platform thread keeps its state in a thread-local for its life. A virtual thread usually
 * lives for one task and logs a few times: a thread-local would give each one a map, an entry and a
 * state of its own (about 200 bytes and 150 ns, the largest part of what the agent adds to a task
 * that logs once). It borrows one of a shared set of states ({@link Lent}) instead, for the length of the outermost
 * hooked call, and finds it again by identity in nested hooks, also after it unmounted inside an
 * appender and resumed on another carrier; when none is free it falls back to the thread-local.
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

    /** {@code java.lang.VirtualThread} where the JVM has virtual threads (Java 21 and later), else null. */
    private static final Class<?> VIRTUAL_THREAD = virtualThreadClass();

    /** A lent state's owner when no thread has it; thread ids start at 1. */
    private static final long FREE = 0L;
    /**
     * Virtual threads on a thread-local state: inside a hook because no lent state was free, or
     * marked as the agent's own (the thread that calls {@code System.exit} runs the agent's
     * shutdown). While there are none, a virtual thread outside a hook knows it without a
     * thread-local lookup, which would make the thread's map.
     */
    private static final java.util.concurrent.atomic.AtomicInteger ON_THREAD_LOCAL =
            new java.util.concurrent.atomic.AtomicInteger();

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
        ThreadState s = STATE.get();
        if (!s.agentThread) {
            s.agentThread = true;
            if (Thread.currentThread().getClass() == VIRTUAL_THREAD) {
                ON_THREAD_LOCAL.incrementAndGet(); // for good: its hooks use this state from now on
            }
        }
    }

    /**
     * Hook at the entry of a method that is called once per event after the framework decided to
     * log it (Logback's {@code callAppenders}). Returns this thread's state, which the hook keeps
     * in a local variable and passes to {@link #exit(Object)}: one thread-local lookup per event.
     */
    public static Object enter(String framework, Object event, Object logger) {
        try {
            ThreadState s = current();
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
            if (state != null && mine((ThreadState) state)) {
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
            ThreadState s = current();
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
            if (!mine(s)) {
                return;
            }
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
            ThreadState s = inHook();
            if (s != null && s.depth > 0) {
                s.forwarded = true;
            }
        } catch (Throwable ignored) {
            // The application comes first.
        }
    }

    /** The current thread's state, as {@link #enter} returns it (null on a virtual thread outside any hook); for tests. */
    static Object state() {
        return inHook();
    }

    /** A lent state some thread holds, or null; for tests. */
    static Object aLentStateInUse() {
        for (ThreadState s : Lent.STATES) {
            if (s.owner != FREE) {
                return s;
            }
        }
        return null;
    }

    /** Lent states in use; for tests. */
    static int statesInUse() {
        int inUse = 0;
        for (ThreadState s : Lent.STATES) {
            if (s.owner != FREE) {
                inUse++;
            }
        }
        return inUse;
    }

    /** This thread's state, to enter a hook with: the one it is in, else a free one. */
    private static ThreadState current() {
        Thread thread = Thread.currentThread();
        if (thread.getClass() != VIRTUAL_THREAD) {
            return STATE.get();
        }
        long id = id(thread);
        int first = Lent.firstProbe(id);
        ThreadState s = held(id, first);
        return s != null ? s : borrow(id, first);
    }

    /** This thread's state if it is inside a hook (or the agent's); a platform thread's in any case. */
    private static ThreadState inHook() {
        Thread thread = Thread.currentThread();
        if (thread.getClass() != VIRTUAL_THREAD) {
            return STATE.get();
        }
        long id = id(thread);
        return held(id, Lent.firstProbe(id));
    }

    /** The state a virtual thread holds inside a hook (or its own, marked as the agent's), else null. */
    private static ThreadState held(long id, int first) {
        ThreadState[] lent = Lent.STATES;
        for (int i = 0; i < Lent.PROBES; i++) {
            ThreadState s = lent[(first + i) & (Lent.SIZE - 1)];
            if (s.owner == id) {
                return s;
            }
        }
        if (ON_THREAD_LOCAL.get() != 0) {
            ThreadState own = STATE.get();
            if (own.depth > 0 || own.agentThread) {
                return own;
            }
        }
        return null;
    }

    /** A state for a virtual thread outside any hook: a lent one if one is free, else its own. */
    private static ThreadState borrow(long id, int first) {
        ThreadState[] lent = Lent.STATES;
        for (int i = 0; i < Lent.PROBES; i++) {
            ThreadState s = lent[(first + i) & (Lent.SIZE - 1)];
            if (s.owner == FREE && Lent.OWNER.compareAndSet(s, FREE, id)) {
                return s;
            }
        }
        ThreadState own = STATE.get();
        own.counted = true;
        ON_THREAD_LOCAL.incrementAndGet();
        return own;
    }

    /**
     * False for a lent state that the current thread does not hold: an exit without its entry
     * (none is known) must not leave, or capture with, another thread's state.
     */
    private static boolean mine(ThreadState s) {
        return !s.lent || s.owner == id(Thread.currentThread());
    }

    /** A thread's id: never reused while the JVM runs, and a long, which the GC does not trace. */
    @SuppressWarnings("deprecation") // threadId() is Java 19; getId() returns the same
    private static long id(Thread thread) {
        return thread.getId();
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
            if (s.lent) {
                Lent.OWNER.setRelease(s, FREE);
            } else if (s.counted) {
                s.counted = false;
                ON_THREAD_LOCAL.decrementAndGet();
            }
        }
    }

    private static Class<?> virtualThreadClass() {
        try {
            return Class.forName("java.lang.VirtualThread", false, null);
        } catch (Throwable notThere) {
            return null;
        }
    }

    /**
     * The states lent to virtual threads, made the first time a virtual thread logs. A thread may
     * use {@link #PROBES} of them from the one its id selects: with {@link #SIZE} states, a few
     * hundred threads can be inside a hook at once (parked in an appender) before one has to
     * use a thread-local. Each keeps its scratch (a text buffer, a record view) for the next.
     */
    private static final class Lent {
        /** A power of two. */
        static final int SIZE = 512;
        static final int PROBES = 8;
        static final ThreadState[] STATES = new ThreadState[SIZE];
        static final java.lang.invoke.VarHandle OWNER;

        static {
            for (int i = 0; i < SIZE; i++) {
                STATES[i] = new ThreadState(true);
            }
            try {
                OWNER = java.lang.invoke.MethodHandles.lookup().findVarHandle(ThreadState.class, "owner", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** Spreads consecutive thread ids over the states. */
        static int firstProbe(long id) {
            return (int) ((id * 0x9E3779B97F4A7C15L) >>> 32);
        }
    }

    private static final class ThreadState {
        int depth;
        boolean claimed;
        boolean forwarded;
        boolean agentThread;
        /** One of {@link Lent}'s: {@link #owner} is the id of the virtual thread in a hook on it, or {@link #FREE}. */
        final boolean lent;
        volatile long owner;
        /** A virtual thread's own state, counted in {@link #ON_THREAD_LOCAL} while it is in a hook. */
        boolean counted;
        /** The thread's scratch; a lent state's passes from one virtual thread to the next. */
        final CapturedEvent event = new CapturedEvent();

        ThreadState() {
            this(false);
        }

        ThreadState(boolean lent) {
            this.lent = lent;
        }
    }
}
