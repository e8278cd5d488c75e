package io.datanadhi.agent;

import java.io.File;
import java.lang.instrument.Instrumentation;

/** Entry point inside the agent's own class loader, called by the launcher. */
public final class Agent {
    private Agent() {}

    public static void start(String args, Instrumentation inst, File jar, boolean lateAttach) {
        // Filled in below.
    }
}
