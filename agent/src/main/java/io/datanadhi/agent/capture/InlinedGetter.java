package io.datanadhi.agent.capture;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One of a framework's getters, called so that the JIT can compile it in. Method handles looked up
 * at run time and kept in instance fields are opaque to the JIT: each call is an out-of-line
 * invocation. The {@link #invoker()} of this call site, kept in a {@code static final} field, is a
 * constant; the first event read through it points the site at that event class's own getter,
 * behind a class check, which the JIT then inlines like a direct call, and so does the first event
 * of a second class (Log4j 2 logs a reusable mutable event on synchronous loggers and an
 * immutable one elsewhere, and an event logged while the agent starts is read from its immutable
 * copy). Events of any further class take the general path: the per-class {@link HandleAccess}
 * lookup.
 */
public final class InlinedGetter {

    /** Which getter of a {@link HandleAccess}: {@code (Object) int} or {@code (Object) Object}. */
    public enum Kind { LEVEL_VALUE, LOGGER_NAME }

    private static final int MAX_BOUND = 2;

    private static final MethodHandle SAME_CLASS;
    private static final MethodHandle GENERAL_INT;
    private static final MethodHandle GENERAL_OBJECT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            SAME_CLASS = lookup.findStatic(InlinedGetter.class, "sameClass",
                    MethodType.methodType(boolean.class, Class.class, Object.class));
            GENERAL_INT = lookup.findVirtual(InlinedGetter.class, "generalInt",
                    MethodType.methodType(int.class, Object.class));
            GENERAL_OBJECT = lookup.findVirtual(InlinedGetter.class, "generalObject",
                    MethodType.methodType(Object.class, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Kind kind;
    private final Function<Object, HandleAccess> accessOf;
    private final MethodHandle general;
    private final MutableCallSite site;
    /** The event classes the site is bound to, at most {@link #MAX_BOUND}; guarded by this. */
    private final List<Class<?>> boundClasses = new ArrayList<>();
    private volatile boolean full;

    public InlinedGetter(Kind kind, Function<Object, HandleAccess> accessOf) {
        this.kind = kind;
        this.accessOf = accessOf;
        this.general = (kind == Kind.LEVEL_VALUE ? GENERAL_INT : GENERAL_OBJECT).bindTo(this);
        this.site = new MutableCallSite(general);
    }

    /** {@code (Object) int} or {@code (Object) Object}; keep it in a {@code static final} field. */
    public MethodHandle invoker() {
        return site.dynamicInvoker();
    }

    private int generalInt(Object event) {
        HandleAccess access = accessOf.apply(event);
        bindOnce(event.getClass(), access);
        return access.levelValue(event);
    }

    private Object generalObject(Object event) {
        HandleAccess access = accessOf.apply(event);
        bindOnce(event.getClass(), access);
        return access.loggerName(event);
    }

    /**
     * The first {@link #MAX_BOUND} event classes read stay bound; the site changes at most that
     * often, so compiled code that inlined it is thrown away at most that often.
     */
    private void bindOnce(Class<?> eventClass, HandleAccess access) {
        if (full) {
            return;
        }
        synchronized (this) {
            if (full || boundClasses.contains(eventClass)) {
                return;
            }
            boundClasses.add(eventClass);
            full = boundClasses.size() == MAX_BOUND;
            MethodHandle direct = kind == Kind.LEVEL_VALUE
                    ? MethodHandles.filterReturnValue(access.level, access.levelValue)
                    : access.loggerName;
            // Each new class is tested first, then the classes bound before it, then the general path.
            site.setTarget(MethodHandles.guardWithTest(SAME_CLASS.bindTo(eventClass), direct, site.getTarget()));
        }
        MutableCallSite.syncAll(new MutableCallSite[] {site});
    }

    private static boolean sameClass(Class<?> expected, Object event) {
        return event.getClass() == expected;
    }
}
