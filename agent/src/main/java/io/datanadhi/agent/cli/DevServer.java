package io.datanadhi.agent.cli;

import java.io.PrintStream;

/** Placeholder replaced by the dev-server implementation. */
final class DevServer {
    private DevServer() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        err.println("dev-server: not yet built");
        return 1;
    }
}
