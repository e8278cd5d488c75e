package io.datanadhi.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLogger;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class NettyLoggingTest {

    @Test
    void placeholdersAreFilledInOrderAndATrailingThrowableIsTheCause() {
        List<String> lines = new CopyOnWriteArrayList<>();
        InternalLogger logger = NettyLogging.logger("netty.Test", new NettyLogging.Sink() {
            @Override
            public boolean enabled() {
                return true;
            }

            @Override
            public void log(String name, String message, Throwable error) {
                lines.add(name + ": " + message + (error == null ? "" : " (" + error + ")"));
            }
        });

        logger.debug("{} frame on stream {}", "DATA", 3);
        logger.info("{} bytes: {}", new byte[12], "more", "unused");
        logger.warn("failed {}", "twice", new IllegalStateException("boom"));
        logger.debug("no {} here");

        assertEquals(4, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("netty.Test: DATA frame on stream 3"), lines.get(0));
        assertTrue(lines.get(1).contains("12 bytes bytes: more"), lines.get(1));
        assertTrue(lines.get(2).contains("failed twice (java.lang.IllegalStateException: boom)"), lines.get(2));
        assertTrue(lines.get(3).contains("no {} here"), lines.get(3));
    }

    @Test
    void nothingIsFormattedWhileTheSinkIsOff() {
        InternalLogger logger = NettyLogging.logger("netty.Test", new NettyLogging.Sink() {
            @Override
            public boolean enabled() {
                return false;
            }

            @Override
            public void log(String name, String message, Throwable error) {
                throw new AssertionError("logged while off: " + message);
            }
        });
        logger.warn("{}", new Object() {
            @Override
            public String toString() {
                throw new AssertionError("formatted while off");
            }
        });
    }
}
