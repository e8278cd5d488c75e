package io.datanadhi.agent.jmx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.diag.Counters.DropKind;
import io.datanadhi.agent.rules.Condition;
import io.datanadhi.agent.rules.Rule;
import io.datanadhi.agent.rules.RuleLoadResult;
import io.datanadhi.agent.rules.RuleSet;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/** The MBean's attributes as a JMX client sees them: names, open types, and the counter each one reads. */
class AgentMetricsTest {

    /** Not the platform server, and not kept by MBeanServerFactory: nothing to release. */
    private final MBeanServer server = MBeanServerFactory.newMBeanServer();
    private static final RuleLoadResult RULES = new RuleLoadResult(new RuleSet(List.of(new Rule("one",
            List.of(new Condition("log_record.level", Condition.Type.EXACT, "ERROR", false)), false, List.of("p"),
            false, "rules/a.yml", 0))), List.of(), List.of("rules/a.yml"));
    private final ObjectName name = name();

    @Test
    void everyAttributeReadsItsOwnCounterOrGauge() throws Exception {
        Counters counters = new Counters();
        count(counters);
        server.registerMBean(new AgentMetrics(counters, gauges(7, 100, false, true)), name);

        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("Captured", 11L);
        expected.put("Matched", 10L);
        expected.put("Printed", 9L);
        expected.put("ShippedPrimary", 8L);
        expected.put("SentEchoPost", 6L);
        expected.put("SentFallback", 5L);
        expected.put("DroppedPrimaryFailed", 1L);
        expected.put("DroppedFallbackFailed", 2L);
        expected.put("DroppedDrainWorkerFailed", 3L);
        expected.put("DroppedQueueFull", 4L);
        expected.put("DroppedShutdownUnsent", 12L);
        expected.put("Dropped", 22L);
        expected.put("Lost", 13L);
        expected.put("QueueDepth", 7);
        expected.put("QueueCapacity", 100);
        expected.put("PrimaryUp", false);
        expected.put("EchoPostRunning", true);
        expected.put("InFlight", 7);
        expected.put("MaxInFlight", 256);
        expected.put("RoundTripMillis", 31.3);
        expected.put("RulesLoaded", 1);
        expected.put("RulesLoadedAt", RULES.loadedAt().toString());
        for (Map.Entry<String, Object> attribute : expected.entrySet()) {
            assertEquals(attribute.getValue(), server.getAttribute(name, attribute.getKey()), attribute.getKey());
        }
        assertEquals(io.datanadhi.agent.AgentVersion.get(), server.getAttribute(name, "Version"));
    }

    @Test
    void attributesAreReadOnlyAndOfOpenTypes() throws Exception {
        server.registerMBean(new AgentMetrics(new Counters(), gauges(0, 1, true, false)), name);
        Map<String, String> types = new TreeMap<>();
        for (MBeanAttributeInfo attribute : server.getMBeanInfo(name).getAttributes()) {
            assertEquals(false, attribute.isWritable(), attribute.getName());
            types.put(attribute.getName(), attribute.getType());
        }
        Map<String, String> expected = new TreeMap<>();
        for (String counter : Arrays.asList("Captured", "Matched", "Printed", "ShippedPrimary", "SentEchoPost",
                "SentFallback", "Dropped", "DroppedPrimaryFailed", "DroppedFallbackFailed", "DroppedDrainWorkerFailed",
                "DroppedQueueFull", "DroppedShutdownUnsent", "Lost")) {
            expected.put(counter, "long");
        }
        expected.put("QueueDepth", "int");
        expected.put("QueueCapacity", "int");
        expected.put("PrimaryUp", "boolean");
        expected.put("EchoPostRunning", "boolean");
        expected.put("InFlight", "int");
        expected.put("MaxInFlight", "int");
        expected.put("RoundTripMillis", "double");
        expected.put("RulesLoaded", "int");
        expected.put("RulesLoadedAt", "java.lang.String");
        expected.put("Version", "java.lang.String");
        assertEquals(expected, types);
    }

    @Test
    void everyDropReasonHasItsAttribute() throws Exception {
        server.registerMBean(new AgentMetrics(new Counters(), gauges(0, 1, true, false)), name);
        TreeSet<String> attributes = Arrays.stream(server.getMBeanInfo(name).getAttributes())
                .map(MBeanAttributeInfo::getName).collect(Collectors.toCollection(TreeSet::new));
        for (DropKind kind : DropKind.values()) {
            String attribute = "Dropped" + Arrays.stream(kind.name().split("_"))
                    .map(word -> word.charAt(0) + word.substring(1).toLowerCase(java.util.Locale.ROOT))
                    .collect(Collectors.joining());
            assertEquals(true, attributes.contains(attribute), attribute + " in " + attributes);
        }
    }

    /** Distinct values for every counter, so that two attributes reading the same one show. */
    private static void count(Counters counters) {
        for (int i = 0; i < 11; i++) {
            counters.countCaptured();
        }
        for (int i = 0; i < 10; i++) {
            counters.countMatched();
        }
        for (int i = 0; i < 9; i++) {
            counters.countPrinted();
        }
        for (int i = 0; i < 8; i++) {
            counters.countShippedPrimary();
        }
        counters.countSentEchoPost(6);
        counters.countSentFallback(5);
        counters.dropped(DropKind.PRIMARY_FAILED, 1);
        counters.dropped(DropKind.FALLBACK_FAILED, 2);
        counters.dropped(DropKind.DRAIN_WORKER_FAILED, 3);
        counters.dropped(DropKind.QUEUE_FULL, 4);
        counters.dropped(DropKind.SHUTDOWN_UNSENT, 12);
        counters.lost(13);
    }

    static AgentMetrics.Gauges gauges(int depth, int capacity, boolean primaryUp, boolean echoPostRunning) {
        return new AgentMetrics.Gauges() {
            @Override
            public int queueDepth() {
                return depth;
            }

            @Override
            public int queueCapacity() {
                return capacity;
            }

            @Override
            public boolean primaryUp() {
                return primaryUp;
            }

            @Override
            public boolean echoPostRunning() {
                return echoPostRunning;
            }

            @Override
            public int inFlight() {
                return 7;
            }

            @Override
            public int maxInFlight() {
                return 256;
            }

            @Override
            public double roundTripMillis() {
                return 31.26;
            }

            @Override
            public RuleLoadResult rules() {
                return RULES;
            }
        };
    }

    private static ObjectName name() {
        try {
            return new ObjectName(PlatformMBean.NAME);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
