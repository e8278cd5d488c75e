package io.datanadhi.agent.jmx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.diag.Diagnostics;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Registration waits for a server, reports a failure once and never throws, and unregisters at close. */
class PlatformMBeanTest {

    private final MBeanServer server = MBeanServerFactory.newMBeanServer();
    private final AtomicReference<MBeanServer> existing = new AtomicReference<>();
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Consumer<String> listener = lines::add;
    private final AgentMetrics metrics = new AgentMetrics(new Counters(), AgentMetricsTest.gauges(0, 1, true, false));

    @BeforeEach
    void listen() {
        Diagnostics.addListener(listener);
    }

    @AfterEach
    void release() {
        Diagnostics.removeListener(listener);
    }

    @Test
    void registersOnlyOnceAServerExistsAndUnregistersAtClose() throws Exception {
        PlatformMBean registration = new PlatformMBean(metrics, existing::get);
        registration.tryRegister();
        assertFalse(registration.registered(), "no server yet: nothing to register in, and none created");

        existing.set(server);
        registration.tryRegister();
        assertTrue(registration.registered());
        assertEquals(0L, server.getAttribute(new ObjectName(PlatformMBean.NAME), "Captured"));
        registration.tryRegister(); // done: no second attempt, no error

        registration.close();
        assertFalse(server.isRegistered(new ObjectName(PlatformMBean.NAME)));
        assertEquals(List.of(), warnings(), "no warning on the way");
    }

    @Test
    void aNameAlreadyTakenGivesOneWarningAndNoException() throws Exception {
        server.registerMBean(new AgentMetrics(new Counters(), AgentMetricsTest.gauges(0, 1, true, false)),
                new ObjectName(PlatformMBean.NAME));
        existing.set(server);
        PlatformMBean registration = new PlatformMBean(metrics, existing::get);
        registration.tryRegister();
        registration.tryRegister();
        assertFalse(registration.registered());
        assertEquals(1, warnings().size(), lines.toString());
        assertTrue(warnings().get(0).contains("\"event\":\"jmx_not_registered\""), warnings().get(0));

        registration.close();
        assertTrue(server.isRegistered(new ObjectName(PlatformMBean.NAME)), "the other agent's MBean stays");
    }

    @Test
    void aSecurityRefusalGivesOneWarningAndNoException() {
        PlatformMBean registration = new PlatformMBean(metrics, () -> {
            throw new SecurityException("access denied (\"javax.management.MBeanServerPermission\" \"findMBeanServer\")");
        });
        registration.tryRegister();
        registration.tryRegister();
        registration.close();
        assertFalse(registration.registered());
        assertEquals(1, warnings().size(), lines.toString());
    }

    @Test
    void findsNoServerThatIsNotThePlatformOne() {
        MBeanServer created = MBeanServerFactory.createMBeanServer();
        try {
            MBeanServer found = PlatformMBean.existingPlatformServer();
            assertTrue(found == null || found != created, "a server the application made for itself is not the platform's");
        } finally {
            MBeanServerFactory.releaseMBeanServer(created);
        }
    }

    private List<String> warnings() {
        return lines.stream().filter(l -> l.contains("\"level\":\"WARN\"")).collect(java.util.stream.Collectors.toList());
    }
}
