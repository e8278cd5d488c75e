package io.datanadhi.agent.jmx;

import io.datanadhi.agent.delivery.Delivery;
import io.datanadhi.agent.diag.Diagnostics;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Supplier;
import javax.management.InstanceAlreadyExistsException;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;

/**
 * Puts the agent's MBean into the platform MBean server as {@value #NAME}, without ever creating
 * that server. Creating it ({@code ManagementFactory.getPlatformMBeanServer()}) registers the JDK's
 * logging MXBean, which initializes {@code java.util.logging.LogManager}: an application server
 * that sets {@code java.util.logging.manager} (or {@code javax.management.builder.initial}) after
 * the agent started would no longer get its own. So this looks, once a second on delivery's
 * housekeeping thread, for a platform server someone else made (the application, a framework,
 * {@code -Dcom.sun.management.jmxremote}, or a JMX client attaching: jconsole, VisualVM, {@code jcmd
 * <pid> ManagementAgent.start_local}) and registers in it as soon as there is one.
 */
public final class PlatformMBean implements AutoCloseable {

    public static final String NAME = "io.datanadhi:type=Agent";
    static final long POLL_MILLIS = 1000;
    /** Registered in the platform server as it is created; no other server has it. */
    private static final String PLATFORM_MARK = "java.lang:type=Runtime";

    private final Object mbean;
    private final Supplier<MBeanServer> existingServer;
    private MBeanServer server;
    /** Registered, given up, or closed: nothing left to try. */
    private boolean done;
    private ScheduledFuture<?> poll;

    PlatformMBean(Object mbean, Supplier<MBeanServer> existingServer) {
        this.mbean = mbean;
        this.existingServer = existingServer;
    }

    /** Registers {@code mbean} as soon as the platform MBean server exists; never creates it. */
    public static PlatformMBean registerWhenPlatformServerExists(AgentMXBean mbean, Delivery delivery) {
        PlatformMBean registration = new PlatformMBean(mbean, new Supplier<MBeanServer>() {
            @Override
            public MBeanServer get() {
                return existingPlatformServer();
            }
        });
        synchronized (registration) {
            registration.poll = delivery.every(Duration.ZERO, Duration.ofMillis(POLL_MILLIS), new Runnable() {
                @Override
                public void run() {
                    registration.tryRegister();
                }
            });
        }
        return registration;
    }

    /** The platform MBean server if someone created it, else null; creates nothing. */
    static MBeanServer existingPlatformServer() {
        ObjectName mark = name(PLATFORM_MARK);
        for (MBeanServer candidate : MBeanServerFactory.findMBeanServer(null)) {
            if (candidate.isRegistered(mark)) {
                return candidate;
            }
        }
        return null;
    }

    /** One attempt; after a registration or a failure (reported once) it does nothing more. */
    synchronized void tryRegister() {
        if (done) {
            return;
        }
        try {
            MBeanServer found = existingServer.get();
            if (found == null) {
                return;
            }
            found.registerMBean(mbean, name(NAME));
            server = found;
            Diagnostics.debug("jmx_registered", "the MBean " + NAME + " is in the platform MBean server");
        } catch (InstanceAlreadyExistsException e) {
            Diagnostics.warn("jmx_not_registered", "the MBean " + NAME + " is already registered (a second Data Nadhi"
                    + " agent in this JVM?); this agent's counters are not in JMX");
        } catch (LinkageError e) {
            Diagnostics.debug("jmx_not_registered", "no JMX in this runtime (java.management missing?); no MBean " + NAME
                    + ": " + e);
        } catch (Throwable t) {
            Diagnostics.warn("jmx_not_registered", "the MBean " + NAME + " could not be registered; the agent carries"
                    + " on without it", t);
        }
        stop();
    }

    /** True once the MBean is in a server. */
    synchronized boolean registered() {
        return server != null;
    }

    /** At shutdown: stops looking and unregisters the MBean if it was registered. */
    @Override
    public synchronized void close() {
        stop();
        if (server == null) {
            return;
        }
        try {
            server.unregisterMBean(name(NAME));
        } catch (Throwable t) {
            Diagnostics.debug("jmx_unregister_failed", "the MBean " + NAME + " could not be unregistered: " + t);
        }
        server = null;
    }

    private void stop() {
        done = true;
        if (poll != null) {
            poll.cancel(false);
        }
    }

    private static ObjectName name(String name) {
        try {
            return new ObjectName(name);
        } catch (javax.management.MalformedObjectNameException e) {
            throw new IllegalArgumentException(name, e);
        }
    }
}
