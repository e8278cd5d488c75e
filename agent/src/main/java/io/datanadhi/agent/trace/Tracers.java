package io.datanadhi.agent.trace;

import io.datanadhi.agent.AgentThreads;
import io.datanadhi.agent.diag.Diagnostics;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The tracers running in this JVM beside the agent (OpenTelemetry, Elastic APM, Datadog), found
 * when their classes load, and read for the trace an event was logged in.
 *
 * <p>Nothing is looked up while no tracer is there: the class transformer already sees every
 * class by name, and a few names say a tracer has arrived. A tracer's classes are then looked up
 * on a short-lived thread of the agent's (never inside the class definition that revealed them),
 * and from then on an event a rule keeps costs one call per tracer.
 */
public final class Tracers {

    /** Application class loaders whose tracer API is read; past this the oldest goes (a redeployed web app's). */
    static final int MAX_APPLICATION_SOURCES = 4;

    enum Kind { OPENTELEMETRY_AGENT, OPENTELEMETRY_API, ELASTIC_API, DATADOG }

    private static final Map<String, Kind> BY_INTERNAL_NAME = new HashMap<>();
    private static final Map<String, Kind> BY_BINARY_NAME = new HashMap<>();

    static {
        watch("io/opentelemetry/javaagent/bootstrap/AgentInitializer", Kind.OPENTELEMETRY_AGENT);
        watch("io/opentelemetry/javaagent/bootstrap/Java8BytecodeBridge", Kind.OPENTELEMETRY_AGENT);
        // Not the API's Span: LazyStorage loads when the application first uses its context, so
        // reading the current span never picks the context storage before the application does
        // (a wrapper it adds later would be refused).
        watch("io/opentelemetry/context/LazyStorage", Kind.OPENTELEMETRY_API);
        watch("co/elastic/apm/api/ElasticApm", Kind.ELASTIC_API);
        watch("datadog/trace/api/CorrelationIdentifier", Kind.DATADOG);
        watch("datadog/trace/bootstrap/Agent", Kind.DATADOG);
    }

    private static final TraceSource[] NONE = {};
    private static volatile TraceSource[] sources = NONE;

    private static final ConcurrentLinkedQueue<Sighting> SIGHTINGS = new ConcurrentLinkedQueue<>();
    /** A tracer's classes were seen and not looked up yet. */
    private static volatile boolean pending;
    private static final AtomicBoolean RESOLVING = new AtomicBoolean();
    /** Guarded by {@link #LOCK}: what was found, in the order found. */
    private static final List<Found> FOUND = new ArrayList<>();
    /**
     * Held while tracers are looked up (class loading) and published. A logging thread waits for
     * it at most {@link #LOOKUP_WAIT_NANOS}, and only in the {@link #WAITING_PERIOD_NANOS}
     * after a sighting: the thread holding it may itself wait for a class loader that logs while it
     * loads.
     */
    private static final ReentrantLock LOCK = new ReentrantLock();
    /** What a failing tracer's drop may wait for the lock. */
    private static final long LOGGING_THREAD_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /**
     * What a logging thread may wait for a lookup under way, after a sighting: a lookup makes the
     * tracer's method handles, 1 to 15 ms on JDK 25 where they are the first the JVM makes
     * ({@code tracer_found} says how long it took).
     */
    private static final long LOOKUP_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(25);
    /** After a sighting, how long logging threads may wait (each at most the above) for its lookup. */
    private static final long WAITING_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static volatile long sightedAt;

    private Tracers() {}

    private static void watch(String internalName, Kind kind) {
        BY_INTERNAL_NAME.put(internalName, kind);
        BY_BINARY_NAME.put(internalName.replace('/', '.'), kind);
    }

    /** Whether any tracer is there (or about to be read); records of a JVM without one are made as before. */
    public static boolean active() {
        return pending || sources.length != 0;
    }

    /**
     * The trace the current thread is in, from the first tracer that has one; false when none has
     * (or none is there: one volatile read). Never throws: a tracer that fails is dropped, once.
     */
    public static boolean read(TraceIds out) {
        if (pending) {
            resolveHere();
        }
        TraceSource[] current = sources;
        for (TraceSource source : current) {
            try {
                if (source.read(out) && !TraceSource.isNone(out.traceId)) {
                    return true;
                }
            } catch (Throwable t) {
                dropFailed(source, t);
            }
        }
        out.clear();
        return false;
    }

    /** For every class the transformer sees and does not hook: one hash lookup. */
    public static void noticeLoading(ClassLoader loader, String internalName) {
        Kind kind = BY_INTERNAL_NAME.get(internalName);
        if (kind != null) {
            sighted(kind, loader);
        }
    }

    /** For the classes already loaded when the agent starts (a tracer attached before it). */
    public static void noticeLoaded(Class<?> type) {
        Kind kind = BY_BINARY_NAME.get(type.getName());
        if (kind != null) {
            sighted(kind, type.getClassLoader());
        }
    }

    private static void sighted(Kind kind, ClassLoader loader) {
        if (kind == Kind.OPENTELEMETRY_AGENT ? loader != null
                : loader == null && (kind == Kind.OPENTELEMETRY_API || kind == Kind.ELASTIC_API)) {
            return; // the agent's bridge is boot-loaded; an API in the boot loader is no application's
        }
        SIGHTINGS.add(new Sighting(kind, loader));
        sightedAt = System.nanoTime();
        pending = true;
        if (RESOLVING.compareAndSet(false, true)) {
            AgentThreads.newThread("datanadhi-tracers", Tracers::resolveSightings).start();
        }
    }

    private static void resolveSightings() {
        do {
            drain();
            RESOLVING.set(false);
        } while (!SIGHTINGS.isEmpty() && RESOLVING.compareAndSet(false, true));
    }

    /**
     * Looks up what was seen, under the lock {@link #resolve} takes: an event's own look waits for
     * the agent's thread to finish a lookup it began, instead of finding nothing and going on.
     */
    private static void drain() {
        LOCK.lock();
        try {
            drainLocked();
        } finally {
            LOCK.unlock();
        }
    }

    private static void drainLocked() {
        Sighting next;
        while ((next = SIGHTINGS.poll()) != null) {
            resolve(next.kind, next.loader);
        }
        if (SIGHTINGS.isEmpty()) {
            pending = false; // one added meanwhile: the agent's thread looks again
        }
    }

    /**
     * The first event a rule keeps after a tracer's classes were seen looks the tracer up itself:
     * an application typically loads its tracer's API and logs in a span at once, before the
     * agent's thread is done. Not from inside a class's definition (a transformer that logs):
     * looking the class up there could define it twice.
     */
    private static void resolveHere() {
        // Waiting for the agent's thread is worth it only just after the sighting (the events an
        // application logs as it starts its first span); later a logging thread never waits.
        long wait = Math.min(LOOKUP_WAIT_NANOS, sightedAt + WAITING_PERIOD_NANOS - System.nanoTime());
        // Inside a class's definition the lookup is left to the agent's thread: no waiting for it
        // there (that thread may itself wait for the class loader this one holds).
        if (wait > 0 && insideClassDefinition()) {
            return;
        }
        try {
            if (!(wait > 0 ? LOCK.tryLock(wait, TimeUnit.NANOSECONDS) : LOCK.tryLock())) {
                return; // the agent's thread is at it: this event goes without
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            if (wait > 0 || !insideClassDefinition()) {
                drainLocked();
            } // else the agent's thread does it
        } finally {
            LOCK.unlock();
        }
    }

    private static boolean insideClassDefinition() {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(frame ->
                frame.getClassName().equals("sun.instrument.InstrumentationImpl")
                        || (frame.getClassName().equals("java.lang.ClassLoader") && frame.getMethodName().startsWith("define"))));
    }

    /** Looks the tracer up; visible for tests, which resolve on their own thread. */
    static void resolve(Kind kind, ClassLoader loader) {
        LOCK.lock();
        try {
            for (Found found : FOUND) {
                if (found.kind == kind && found.isFrom(loader)) {
                    return;
                }
            }
            TraceSource source;
            long start = System.nanoTime();
            try {
                switch (kind) {
                    case OPENTELEMETRY_AGENT:
                        source = OpenTelemetrySource.agent();
                        break;
                    case OPENTELEMETRY_API:
                        source = OpenTelemetrySource.api(loader);
                        break;
                    case ELASTIC_API:
                        source = ElasticApmSource.api(loader);
                        break;
                    default:
                        source = DatadogSource.in(loader);
                }
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                FOUND.add(new Found(kind, loader, null));
                Diagnostics.warn("tracer_unreadable", "a tracer (" + kind.name().toLowerCase(Locale.ROOT) + ") is in this JVM but "
                        + "its current trace cannot be read; records get the trace id from the context keys "
                        + "(log.trace_id_keys) or a random one", e, "tracer", kind.name().toLowerCase(Locale.ROOT));
                return;
            }
            FOUND.add(new Found(kind, loader, source));
            publish();
            if (Arrays.asList(sources).contains(source)) {
                Diagnostics.info("tracer_found", source.name() + " is in this JVM: records logged in one of its traces "
                        + "carry its trace id and span id", "tracer", source.name(),
                        "class_loader", loader == null ? "bootstrap" : String.valueOf(loader),
                        "lookup_millis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
        } finally {
            LOCK.unlock();
        }
    }

    /**
     * The agent's sources first, then the applications' newest first, at most
     * {@link #MAX_APPLICATION_SOURCES} (older ones are let go, and their class loaders with them);
     * the OpenTelemetry API is left out where its agent is there (the agent bridges the
     * application's API to its own context).
     */
    private static void publish() {
        boolean otelAgent = false;
        List<TraceSource> all = new ArrayList<>();
        for (Found found : FOUND) {
            if (found.source != null && found.boot) {
                all.add(found.source);
                otelAgent |= found.kind == Kind.OPENTELEMETRY_AGENT;
            }
        }
        int kept = 0;
        for (int i = FOUND.size() - 1; i >= 0; i--) {
            Found found = FOUND.get(i);
            if (found.source == null || found.boot || (otelAgent && found.kind == Kind.OPENTELEMETRY_API)) {
                continue;
            }
            if (kept++ < MAX_APPLICATION_SOURCES) {
                all.add(found.source);
            } else {
                FOUND.set(i, found.without());
            }
        }
        sources = all.toArray(NONE);
    }

    private static int indexOf(TraceSource source) {
        for (int i = 0; i < FOUND.size(); i++) {
            if (FOUND.get(i).source == source) {
                return i;
            }
        }
        return -1;
    }

    private static void dropFailed(TraceSource failed, Throwable t) {
        if (t instanceof VirtualMachineError) {
            return; // a deep stack or a full heap here says nothing about the tracer
        }
        try {
            if (!LOCK.tryLock(LOGGING_THREAD_WAIT_NANOS, TimeUnit.NANOSECONDS)) {
                return; // dropped at its next failure
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            int i = indexOf(failed);
            if (i < 0) {
                return; // dropped already, by another thread
            }
            FOUND.set(i, FOUND.get(i).without());
            publish();
        } finally {
            LOCK.unlock();
        }
        Diagnostics.warn("tracer_unreadable", failed.name() + " failed when asked for the current trace; it is no "
                + "longer read, records get the trace id from the context keys (log.trace_id_keys) or a random one",
                t, "tracer", failed.name());
    }

    /** What the tests found; for tests. */
    static TraceSource[] sources() {
        return sources;
    }

    /** Forgets every tracer; for tests. */
    static void reset() {
        LOCK.lock();
        try {
            SIGHTINGS.clear();
            pending = false;
            FOUND.clear();
            sources = NONE;
        } finally {
            LOCK.unlock();
        }
    }

    private static final class Sighting {
        final Kind kind;
        final ClassLoader loader;

        Sighting(Kind kind, ClassLoader loader) {
            this.kind = kind;
            this.loader = loader;
        }
    }

    /**
     * A tracer looked up: its source, or null when it could not be read or was let go. The class
     * loader is held weakly: a source let go must not keep a web application's loader alive.
     */
    private static final class Found {
        final Kind kind;
        final boolean boot;
        final WeakReference<ClassLoader> loader;
        final TraceSource source;

        Found(Kind kind, ClassLoader loader, TraceSource source) {
            this(kind, loader == null, new WeakReference<>(loader), source);
        }

        private Found(Kind kind, boolean boot, WeakReference<ClassLoader> loader, TraceSource source) {
            this.kind = kind;
            this.boot = boot;
            this.loader = loader;
            this.source = source;
        }

        boolean isFrom(ClassLoader other) {
            return other == null ? boot : loader.get() == other;
        }

        Found without() {
            return new Found(kind, boot, loader, null);
        }
    }
}
