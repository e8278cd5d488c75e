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
 *
 * <p>The site can have any shape whose first parameter is the object whose class selects the
 * handle ({@code (Object) Object} for a getter, {@code (Object, CapturedEvent) CharSequence} for
 * "format this message"): {@link #InlinedGetter(MethodType, Function, MethodHandle)}. Each
 * class's handle is made once, so the general path allocates nothing either.
 */
public final class InlinedGetter {

    /** Which getter of a {@link HandleAccess}: {@code (Object) int} or {@code (Object) Object}. */
    public enum Kind { LEVEL_VALUE, LOGGER_NAME }

    private static final int MAX_BOUND = 2;

    private static final MethodHandle SAME_CLASS;
    private static final MethodHandle DIRECT_FOR;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            SAME_CLASS = lookup.findStatic(InlinedGetter.class, "sameClass",
                    MethodType.methodType(boolean.class, Class.class, Object.class));
            DIRECT_FOR = lookup.findVirtual(InlinedGetter.class, "directFor",
                    MethodType.methodType(MethodHandle.class, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Each class's handle, made once: a class beyond the bound ones costs a lookup, nothing more. */
    private final ClassValue<MethodHandle> directs;
    /** A handle that is not worth a bound slot (the class has nothing to read): never bound. */
    private final MethodHandle unbound;
    private final MutableCallSite site;
    /** The classes the site is bound to, at most {@link #MAX_BOUND}; guarded by this. */
    private final List<Class<?>> boundClasses = new ArrayList<>();
    private volatile boolean full;

    /** A level's number or a logger's name, from the event class's {@link HandleAccess}. */
    public InlinedGetter(Kind kind, Function<Class<?>, ? extends HandleAccess> accessOf) {
        this(kind == Kind.LEVEL_VALUE ? MethodType.methodType(int.class, Object.class) : FrameworkApi.GETTER,
                type -> {
                    HandleAccess access = accessOf.apply(type);
                    return kind == Kind.LEVEL_VALUE
                            ? MethodHandles.filterReturnValue(access.level, access.levelValue)
                            : access.loggerName;
                }, null);
    }

    /**
     * @param type the site's shape; its first parameter is {@code Object}, the object whose class
     *     selects the handle
     * @param directFor the handle for a class, exactly of {@code type}; asked once per class
     * @param unbound a handle {@code directFor} may give that is not bound into the site (the
     *     slots are kept for classes worth inlining), or null
     */
    public InlinedGetter(MethodType type, Function<Class<?>, MethodHandle> directFor, MethodHandle unbound) {
        this.directs = new ClassValue<>() {
            @Override
            protected MethodHandle computeValue(Class<?> c) {
                return directFor.apply(c);
            }
        };
        this.unbound = unbound;
        MethodHandle find = DIRECT_FOR.bindTo(this);
        if (type.parameterCount() > 1) {
            find = MethodHandles.dropArguments(find, 1, type.parameterList().subList(1, type.parameterCount()));
        }
        // general(args) = directFor(args[0].getClass()).invokeExact(args)
        MethodHandle general = MethodHandles.foldArguments(MethodHandles.exactInvoker(type), find);
        this.site = new MutableCallSite(general);
    }

    /** Of the site's type; keep it in a {@code static final} field. */
    public MethodHandle invoker() {
        return site.dynamicInvoker();
    }

    private MethodHandle directFor(Object target) {
        Class<?> type = target.getClass();
        MethodHandle direct = directs.get(type);
        if (!full && direct != unbound) {
            bindOnce(type, direct);
        }
        return direct;
    }

    /**
     * The first {@link #MAX_BOUND} classes read stay bound; the site changes at most that often, so
     * compiled code that inlined it is thrown away at most that often.
     */
    private void bindOnce(Class<?> type, MethodHandle direct) {
        synchronized (this) {
            if (full || boundClasses.contains(type)) {
                return;
            }
            boundClasses.add(type);
            full = boundClasses.size() == MAX_BOUND;
            // Each new class is tested first, then the classes bound before it, then the general path.
            site.setTarget(MethodHandles.guardWithTest(SAME_CLASS.bindTo(type), direct, site.getTarget()));
        }
        MutableCallSite.syncAll(new MutableCallSite[] {site});
    }

    private static boolean sameClass(Class<?> expected, Object target) {
        return target.getClass() == expected;
    }
}
