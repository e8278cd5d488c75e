package io.datanadhi.it.apps.bridge;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

final class Slf4jCalls {
    private static final Logger LOG = LoggerFactory.getLogger("bridge.slf4j");

    private Slf4jCalls() {}

    static void run(int count) {
        for (int i = 0; i < count; i++) {
            MDC.put("request_id", "r-" + i);
            LOG.info("bridge event {}", i);
            MDC.remove("request_id");
        }
        LOG.debug("bridge debug");
        LOG.warn("bridge failure", BridgeApp.failure());
    }
}
