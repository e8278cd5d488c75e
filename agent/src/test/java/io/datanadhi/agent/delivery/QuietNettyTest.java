package io.datanadhi.agent.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.diag.Diagnostics;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLogger;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class QuietNettyTest {

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Consumer<String> listener = lines::add;
    private final Diagnostics.Level before = Diagnostics.threshold();

    @AfterEach
    void restore() {
        Diagnostics.removeListener(listener);
        Diagnostics.setThreshold(before);
        Diagnostics.setOutput(System.err);
    }

    @Test
    void placeholdersAreFilledInOrderAndATrailingThrowableIsTheCause() {
        Diagnostics.setOutput(new ByteArrayOutputStream());
        Diagnostics.setThreshold(Diagnostics.Level.DEBUG);
        Diagnostics.addListener(listener);
        InternalLogger logger = new QuietNetty().newInstance("netty.Test");

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
}
