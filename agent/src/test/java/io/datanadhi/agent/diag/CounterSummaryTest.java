package io.datanadhi.agent.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datanadhi.agent.diag.Counters.DropKind;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CounterSummaryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Consumer<String> listener = line -> {
        if (line.contains("\"event\":\"agent_counters\"")) {
            lines.add(line);
        }
    };

    @BeforeEach
    void listen() {
        Diagnostics.addListener(listener);
    }

    @AfterEach
    void stop() {
        Diagnostics.removeListener(listener);
        System.clearProperty(CounterSummary.INTERVAL_PROPERTY);
    }

    @Test
    void writesALineOnlyWhenTheCountersMoved() throws Exception {
        Counters counters = new Counters();
        CounterSummary summary = new CounterSummary(counters);
        summary.run();
        assertEquals(List.of(), lines, "nothing happened since start");

        counters.countCaptured();
        counters.countCaptured();
        counters.countMatched();
        counters.countShippedPrimary();
        counters.dropped(DropKind.QUEUE_FULL, 3);
        summary.run();
        summary.run();
        assertEquals(1, lines.size(), lines.toString());
        JsonNode line = JSON.readTree(lines.get(0));
        assertEquals("INFO", line.get("level").asText());
        assertEquals(2, line.get("captured").asLong());
        assertEquals(1, line.get("matched").asLong());
        assertEquals(1, line.get("shipped_primary").asLong());
        assertEquals(0, line.get("sent_echopost").asLong());
        assertEquals(3, line.get("dropped_queue_full").asLong());
        assertEquals(3, line.get("dropped").asLong());
        assertEquals("since start: captured 2, matched 1, shipped_primary 1, dropped_queue_full 3",
                line.get("message").asText());

        counters.countCaptured();
        summary.run();
        assertEquals(2, lines.size(), lines.toString());
        assertEquals(3, JSON.readTree(lines.get(1)).get("captured").asLong());
    }

    @Test
    void theIntervalIsAMinuteUnlessTheHiddenPropertySaysOtherwise() {
        assertEquals(60_000, CounterSummary.intervalMillis());
        System.setProperty(CounterSummary.INTERVAL_PROPERTY, "500");
        assertEquals(500, CounterSummary.intervalMillis());
        System.setProperty(CounterSummary.INTERVAL_PROPERTY, "soon");
        assertEquals(60_000, CounterSummary.intervalMillis());
        System.setProperty(CounterSummary.INTERVAL_PROPERTY, "0");
        assertEquals(60_000, CounterSummary.intervalMillis());
    }
}
