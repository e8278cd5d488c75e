package io.datanadhi.it.apps.bridge;

import java.util.logging.Level;
import java.util.logging.Logger;

/** java.util.logging's API, on the JDK's LogManager or on JBoss LogManager. */
final class JulCalls {
    private static final Logger LOG = Logger.getLogger("bridge.jul");

    private JulCalls() {}

    static void run(int count) {
        for (int i = 0; i < count; i++) {
            LOG.log(Level.INFO, "bridge event {0}", i);
        }
        LOG.fine("bridge debug");
        LOG.log(Level.WARNING, "bridge failure", BridgeApp.failure());
    }
}
