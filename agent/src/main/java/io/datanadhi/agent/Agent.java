package io.datanadhi.agent;

import java.io.File;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.function.Consumer;

/**
 * Entry point inside the agent's own class loader, made and called by the launcher from premain
 * or agentmain.
 *
 * <p>A JDK interface, because the launcher and the agent share no class of their own; and made
 * with its no-argument constructor then called through the interface, not a reflective call of a
 * static method: from JDK 18 on the first reflective call of a method with parameters generates
 * method handle classes for it (22 ms of the application's main thread on JDK 25, 2 ms this way).
 *
 * <p>It first puts the bootstrap classes into the bootstrap class loader, and only then touches
 * {@link AgentRuntime}, whose code refers to them: this class itself must never mention a
 * bootstrap class, or the verifier could look for it too early.
 */
public final class Agent implements Consumer<Object[]> {

    public Agent() {}

    /** {@code start}: the agent's arguments, the Instrumentation, the agent jar, and whether this is a late attach. */
    @Override
    public void accept(Object[] start) {
        try {
            start((String) start[0], (Instrumentation) start[1], (File) start[2], (Boolean) start[3]);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new UndeclaredThrowableException(e); // the launcher reports the cause
        }
    }

    static void start(String args, Instrumentation inst, File jar, boolean lateAttach) throws Exception {
        String how = BootstrapInjector.inject(inst, jar);
        AgentRuntime.start(args, inst, jar.toPath(), lateAttach, how);
    }
}
