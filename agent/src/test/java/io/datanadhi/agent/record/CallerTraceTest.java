package io.datanadhi.agent.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.example.shop.CheckoutFixture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The stack is taken on the logging thread and read on another: the call site is the application's frame. */
class CallerTraceTest {

    @Test
    void theCallSiteIsTheFirstFrameOutsideTheFrameworksAndTheAgent() throws Exception {
        CallerTrace trace = CheckoutFixture.placeOrder(CallerTrace::new);
        AtomicReference<Caller> read = new AtomicReference<>();
        Thread agentThread = new Thread(() -> read.set(trace.caller()));
        agentThread.start();
        agentThread.join(10_000);
        Caller caller = read.get();
        assertEquals("com.example.shop.CheckoutFixture", caller.className);
        assertEquals("placeOrder", caller.methodName);
        assertEquals("CheckoutFixture.java", caller.fileName);
        assertEquals(CheckoutFixture.LINE, caller.lineNumber);
    }

    @Test
    void aStackOfOnlyFrameworksAndTheAgentHasNoCallSite() {
        CallerTrace trace = new CallerTrace();
        trace.setStackTrace(new StackTraceElement[] {
            new StackTraceElement("io.datanadhi.agent.EventProcessor", "accept", "EventProcessor.java", 50),
            new StackTraceElement("ch.qos.logback.classic.Logger", "info", "Logger.java", 1),
        });
        assertSame(Caller.UNKNOWN, trace.caller());
    }
}
