package io.datanadhi.it.apps.tracing;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** The tracing {@link Scenario} logged through Log4j 2 (console: the thread context's trace keys). */
public final class Log4j2TracingApp {

    private static final Logger LOG = LogManager.getLogger("com.acme.Traced");

    public static void main(String[] args) {
        Scenario.run(args, message -> LOG.info(message));
    }
}
