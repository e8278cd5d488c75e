package io.datanadhi.agent.delivery;

import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.http.NettyLogging;

/**
 * Netty (inside gRPC, and under the HTTP client) would log through java.util.logging, that is
 * into the application's console (for example "Unknown channel option 'SO_KEEPALIVE'" for every
 * UNIX-socket connection). Its lines go to the agent's own diagnostics instead, at DEBUG.
 */
final class QuietNetty {

    private QuietNetty() {}

    static void install() {
        NettyLogging.install(new NettyLogging.Sink() {
            @Override
            public boolean enabled() {
                return Diagnostics.enabled(Diagnostics.Level.DEBUG);
            }

            @Override
            public void log(String logger, String message, Throwable error) {
                Diagnostics.debug("netty", logger + ": " + message + (error == null ? "" : " (" + error + ")"));
            }
        });
    }
}
