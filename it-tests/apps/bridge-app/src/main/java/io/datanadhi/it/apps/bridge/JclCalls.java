package io.datanadhi.it.apps.bridge;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/** commons-logging's API: served by commons-logging itself or by spring-jcl, no MDC. */
final class JclCalls {
    private static final Log LOG = LogFactory.getLog("bridge.jcl");

    private JclCalls() {}

    static void run(int count) {
        for (int i = 0; i < count; i++) {
            LOG.info("bridge event " + i);
        }
        LOG.debug("bridge debug");
        LOG.warn("bridge failure", BridgeApp.failure());
    }
}
