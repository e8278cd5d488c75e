package io.datanadhi.agent;

import java.io.File;
import java.lang.instrument.Instrumentation;

/**
 * Entry point inside the agent's own class loader, called by the launcher from premain or
 * agentmain.
 *
 * <p>It first puts the bootstrap classes into the bootstrap class loader, and only then touches
 * {@link AgentRuntime}, whose code refers to them: this class itself must never mention a
 * bootstrap class, or the verifier could look for it too early.
 */
public final class Agent {
    private Agent() {}

    public static void start(String args, Instrumentation inst, File jar, boolean lateAttach) throws Exception {
        String how = BootstrapInjector.inject(inst, jar);
        AgentRuntime.start(args, inst, jar.toPath(), lateAttach, how);
    }
}
