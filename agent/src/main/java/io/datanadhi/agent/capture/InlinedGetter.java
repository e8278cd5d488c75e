package io.datanadhi.agent.capture;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.util.function.Function;

/**
 * One of a framework's getters, called so that the JIT can compile it in. Method handles looked up
 * at run time and kept in instance fields are opaque to the JIT: each call is an out-of-line
 * invocation. The {@link #invoker()} of this call site, kept in a {@code static final} field, is a
 * constant; the first event read through it points the site at that event class's own getter,
 * behind a class check, which the JIT then inlines like a direct call. Events of any other class
 * (a second copy of the framework in another class loader) take the general path: the per-class
 * {@link HandleAccess} lookup.
 */
public final class InlinedGetter {

    /** Which getter of a {@link HandleAccess}: {@code (Object) int} or {@code (Object) Object}. */
    public enum Kind { LEVEL_VALUE, LOGGER_NAME }

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
    private volatile boolean bound;

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

    /** The first event class read stays bound; the site changes once, so compiled code is thrown away once. */
    private void bindOnce(Class<?> eventClass, HandleAccess access) {
        if (bound) {
            return;
        }
        synchronized (this) {
            if (bound) {
                return;
            }
            bound = true;
        }
        MethodHandle direct = kind == Kind.LEVEL_VALUE
                ? MethodHandles.filterReturnValue(access.level, access.levelValue)
                : access.loggerName;
        site.setTarget(MethodHandles.guardWithTest(SAME_CLASS.bindTo(eventClass), direct, general));
        MutableCallSite.syncAll(new MutableCallSite[] {site});
    }

    private static boolean sameClass(Class<?> expected, Object event) {
        return event.getClass() == expected;
    }
}
