package io.datanadhi.it.apps.bridge;

import org.apache.log4j.Logger;
import org.apache.log4j.MDC;

/** The Log4j 1.2 API, on the original log4j 1.2.17 or on reload4j. */
final class Log4j1Calls {
    private static final Logger LOG = Logger.getLogger("bridge.log4j1");

    private Log4j1Calls() {}

    static void run(int count) {
        for (int i = 0; i < count; i++) {
            MDC.put("request_id", "r-" + i);
            LOG.info("bridge event " + i);
            MDC.remove("request_id");
        }
        LOG.debug("bridge debug");
        LOG.warn("bridge failure", BridgeApp.failure());
    }
}
