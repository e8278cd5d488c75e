package io.datanadhi.bench.apps;

import java.util.logging.Logger;

/** The smallest real application: logs one line through java.util.logging and exits. */
public final class HelloJul {
    public static void main(String[] args) {
        Logger.getLogger("com.acme.Hello").info("hello, world");
    }
}
