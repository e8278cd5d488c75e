package io.datanadhi.agent.jmx;

import io.datanadhi.agent.AgentVersion;
import io.datanadhi.agent.delivery.Delivery;
import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.diag.Counters.DropKind;
import io.datanadhi.agent.rules.RuleLoadResult;
import java.util.function.Supplier;

/** {@link AgentMXBean} read from the agent's {@link Counters} and its delivery's state. */
public final class AgentMetrics implements AgentMXBean {

    /** What delivery looks like now. */
    public interface Gauges {
        int queueDepth();

        int queueCapacity();

        boolean primaryUp();

        boolean echoPostRunning();

        int inFlight();

        int maxInFlight();

        double roundTripMillis();

        /** The rules in effect now. */
        RuleLoadResult rules();

        static Gauges of(Delivery delivery, Supplier<RuleLoadResult> rules) {
            return new Gauges() {
                @Override
                public RuleLoadResult rules() {
                    return rules.get();
                }

                @Override
                public int inFlight() {
                    return delivery.inFlight();
                }

                @Override
                public int maxInFlight() {
                    return delivery.maxInFlight();
                }

                @Override
                public double roundTripMillis() {
                    return delivery.roundTripMillis();
                }

                @Override
                public int queueDepth() {
                    return delivery.queueDepth();
                }

                @Override
                public int queueCapacity() {
                    return delivery.queueCapacity();
                }

                @Override
                public boolean primaryUp() {
                    return delivery.primaryUp();
                }

                @Override
                public boolean echoPostRunning() {
                    return delivery.echoPostRunning();
                }
            };
        }
    }

    private final Counters counters;
    private final Gauges gauges;

    public AgentMetrics(Counters counters, Gauges gauges) {
        this.counters = counters;
        this.gauges = gauges;
    }

    @Override
    public String getVersion() {
        return AgentVersion.get();
    }

    @Override
    public long getCaptured() {
        return counters.captured();
    }

    @Override
    public long getMatched() {
        return counters.matched();
    }

    @Override
    public long getPrinted() {
        return counters.printed();
    }

    @Override
    public long getShippedPrimary() {
        return counters.shippedPrimary();
    }

    @Override
    public long getSentEchoPost() {
        return counters.sentEchoPost();
    }

    @Override
    public long getSentFallback() {
        return counters.sentFallback();
    }

    @Override
    public long getDropped() {
        return counters.droppedTotal();
    }

    @Override
    public long getDroppedPrimaryFailed() {
        return counters.dropped(DropKind.PRIMARY_FAILED);
    }

    @Override
    public long getDroppedFallbackFailed() {
        return counters.dropped(DropKind.FALLBACK_FAILED);
    }

    @Override
    public long getDroppedDrainWorkerFailed() {
        return counters.dropped(DropKind.DRAIN_WORKER_FAILED);
    }

    @Override
    public long getDroppedQueueFull() {
        return counters.dropped(DropKind.QUEUE_FULL);
    }

    @Override
    public long getDroppedShutdownUnsent() {
        return counters.dropped(DropKind.SHUTDOWN_UNSENT);
    }

    @Override
    public long getLost() {
        return counters.lost();
    }

    @Override
    public int getQueueDepth() {
        return gauges.queueDepth();
    }

    @Override
    public int getQueueCapacity() {
        return gauges.queueCapacity();
    }

    @Override
    public boolean isPrimaryUp() {
        return gauges.primaryUp();
    }

    @Override
    public boolean isEchoPostRunning() {
        return gauges.echoPostRunning();
    }

    @Override
    public int getInFlight() {
        return gauges.inFlight();
    }

    @Override
    public int getMaxInFlight() {
        return gauges.maxInFlight();
    }

    @Override
    public double getRoundTripMillis() {
        return Math.round(gauges.roundTripMillis() * 10) / 10.0;
    }

    @Override
    public int getRulesLoaded() {
        return gauges.rules().rules().size();
    }

    @Override
    public String getRulesLoadedAt() {
        return gauges.rules().loadedAt().toString();
    }
}
