package io.datanadhi.it.apps.tracing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The tracing {@link Scenario} logged through SLF4J on Logback (console: the MDC's trace keys). */
public final class LogbackTracingApp {

    private static final Logger LOG = LoggerFactory.getLogger("com.acme.Traced");

    public static void main(String[] args) {
        Scenario.run(args, LOG::info);
    }
}
