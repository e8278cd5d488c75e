package io.datanadhi.it.apps.bridge;

import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

final class JbossLoggingCalls {
    private static final Logger LOG = Logger.getLogger("bridge.jboss-logging");

    private JbossLoggingCalls() {}

    static void run(int count) {
        for (int i = 0; i < count; i++) {
            MDC.put("request_id", "r-" + i);
            LOG.infof("bridge event %d", i);
            MDC.remove("request_id");
        }
        LOG.debug("bridge debug");
        LOG.warn("bridge failure", BridgeApp.failure());
    }
}
