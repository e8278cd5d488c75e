package io.datanadhi.it.apps.bridge;

import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * Logs through one logging API; which backend receives it is decided by the class path the test
 * puts together. Usage: {@code BridgeApp <api> <setup> <count>}.
 *
 * <ul>
 *   <li>api: {@code slf4j}, {@code jcl} (commons-logging or spring-jcl), {@code jboss-logging},
 *       {@code jul}, {@code log4j1};
 *   <li>setup: {@code none} (the backend reads its file: logback.xml, log4j2.xml,
 *       log4j.properties), {@code jul} (two JUL handlers, set up here), {@code late-jboss-manager}
 *       (the app installs JBoss LogManager as the JUL manager itself, after the agent started,
 *       as application servers do; then two handlers).
 * </ul>
 *
 * Each API logs {@code count} INFO events "bridge event i" (with MDC {@code request_id=r-i} where
 * the API has an MDC), one DEBUG event below the threshold, and one WARN event with an exception.
 * Every backend is configured with two appenders for the logger, one on it and one on the root.
 */
public final class BridgeApp {

    /** JUL holds loggers weakly; the configured one must survive until the events are logged. */
    private static Logger bridgeLogger;

    private BridgeApp() {}

    public static void main(String[] args) {
        String api = args[0];
        String setup = args[1];
        int count = Integer.parseInt(args[2]);
        if (setup.equals("late-jboss-manager")) {
            System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        }
        if (setup.equals("jul") || setup.equals("late-jboss-manager")) {
            twoJulHandlers();
            System.out.println("app: manager=" + LogManager.getLogManager().getClass().getName());
        }
        switch (api) {
            case "slf4j":
                Slf4jCalls.run(count);
                break;
            case "jcl":
                JclCalls.run(count);
                break;
            case "jboss-logging":
                JbossLoggingCalls.run(count);
                break;
            case "jul":
                JulCalls.run(count);
                break;
            case "log4j1":
                Log4j1Calls.run(count);
                break;
            default:
                throw new IllegalArgumentException("unknown api " + api);
        }
        System.out.println("app: logged " + count);
    }

    private static void twoJulHandlers() {
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        root.setLevel(Level.INFO);
        root.addHandler(new ConsoleHandler());
        bridgeLogger = Logger.getLogger("bridge");
        bridgeLogger.setLevel(Level.INFO);
        bridgeLogger.addHandler(new ConsoleHandler());
    }

    static IllegalStateException failure() {
        return new IllegalStateException("boom", new java.io.IOException("disk"));
    }
}
