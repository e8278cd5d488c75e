package io.datanadhi.it.apps.support;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The agent's MBean as the apps print it ("app: jmx before/after ..."), read from this JVM's
 * platform MBean server, which it creates itself as an application (or a JMX client attaching)
 * would.
 */
public final class AgentMBeanLines {

    private static final String AGENT_MBEAN = "io.datanadhi:type=Agent";
    private static final String[] AGENT_ATTRIBUTES = {"Captured", "Matched", "ShippedPrimary", "SentEchoPost",
        "SentFallback", "Dropped", "DroppedQueueFull", "Lost", "QueueDepth", "PrimaryUp", "EchoPostRunning"};

    private final MBeanServer server;
    private final ObjectName agent;

    private AgentMBeanLines(MBeanServer server, ObjectName agent) {
        this.server = server;
        this.agent = agent;
    }

    /** Waits (at most 30 s) for the agent to register its MBean; see {@link #registered()}. */
    public static AgentMBeanLines await() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName agent = new ObjectName(AGENT_MBEAN);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!server.isRegistered(agent) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return new AgentMBeanLines(server, agent);
    }

    public boolean registered() {
        return server.isRegistered(agent);
    }

    /** The MBean's attributes once every matched record is shipped (or 30 s passed), as name=value. */
    public String settled() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && !(server.getAttribute(agent, "ShippedPrimary")
                .equals(server.getAttribute(agent, "Matched")) && server.getAttribute(agent, "QueueDepth").equals(0))) {
            Thread.sleep(20);
        }
        StringBuilder values = new StringBuilder();
        for (String attribute : AGENT_ATTRIBUTES) {
            values.append(values.length() == 0 ? "" : " ").append(attribute).append('=')
                    .append(server.getAttribute(agent, attribute));
        }
        return values.toString();
    }
}
