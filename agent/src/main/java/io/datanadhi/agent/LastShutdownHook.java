package io.datanadhi.agent;

import io.datanadhi.agent.diag.Diagnostics;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.Set;

/**
 * Runs the agent's shutdown after every application shutdown hook, so that what those hooks log
 * (Log4j flushing its async loggers, a framework's graceful shutdown) is still delivered.
 *
 * <p>The JVM runs its shutdown in slots, one after the other: slot 1 starts every hook given to
 * {@code Runtime.addShutdownHook} and waits for all of them. The agent registers its work in a
 * later, free slot through the JDK's internal {@code JavaLangAccess.registerShutdownHook}, made
 * accessible with {@link Instrumentation#redefineModule}. Where that is not possible the work is
 * an ordinary shutdown hook, running alongside the application's.
 */
final class LastShutdownHook {

    /** Slots 0 to 2 are the JDK's own (console, application hooks, delete-on-exit); 10 slots in all. */
    private static final int FIRST_FREE_SLOT = 3;
    private static final int SLOTS = 10;

    private LastShutdownHook() {}

    /** Returns how the work was registered: "after application hooks (slot N)" or "application hook". */
    static String register(Instrumentation inst, Runnable work, String threadName) {
        try {
            Class<?> secrets = sharedSecrets();
            exportToAgent(inst, secrets.getPackageName());
            for (int slot = SLOTS - 1; slot >= FIRST_FREE_SLOT; slot--) {
                if (register(secrets, slot, work)) {
                    return "after application hooks (slot " + slot + ")";
                }
                // Another agent or the JDK holds this slot: try the next one.
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            Diagnostics.debug("shutdown_slot_unavailable", "the agent's shutdown runs alongside the application's"
                    + " hooks: " + e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(work, threadName));
        return "application hook";
    }

    /** False when the slot is taken. */
    private static boolean register(Class<?> secrets, int slot, Runnable work) throws ReflectiveOperationException {
        if (secrets.getPackageName().equals("jdk.internal.access")) {
            try {
                JdkInternals.registerShutdownHook(slot, work);
                return true;
            } catch (IllegalStateException taken) {
                return false;
            }
        }
        // JDK 11: the same call by reflection, which costs nothing there.
        Object access = secrets.getMethod("getJavaLangAccess").invoke(null);
        Method register = Class.forName(secrets.getPackageName() + ".JavaLangAccess")
                .getMethod("registerShutdownHook", int.class, boolean.class, Runnable.class);
        try {
            register.invoke(access, slot, false, work);
            return true;
        } catch (java.lang.reflect.InvocationTargetException taken) {
            return false;
        }
    }

    private static Class<?> sharedSecrets() throws ClassNotFoundException {
        try {
            return Class.forName("jdk.internal.access.SharedSecrets"); // JDK 12 and later
        } catch (ClassNotFoundException e) {
            return Class.forName("jdk.internal.misc.SharedSecrets"); // JDK 11
        }
    }

    private static void exportToAgent(Instrumentation inst, String internalPackage) {
        inst.redefineModule(Object.class.getModule(), Set.of(),
                Map.of(internalPackage, Set.of(LastShutdownHook.class.getModule())), Map.of(), Set.of(), Map.of());
    }
}
