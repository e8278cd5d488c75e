package io.datanadhi.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ReceivedRecordLineTest {
    private static JsonNode json(String text) throws Exception {
        return new ObjectMapper().readTree(text);
    }

    @Test
    void timeIsShownInTheGivenZone() throws Exception {
        JsonNode record = json("{\"pipelines\":[],\"log_data\":{\"timestamp\":\"2026-11-22T10:15:42.458Z\"}}");
        assertTrue(ReceivedRecordLine.format(record, true, false, ZoneOffset.ofHours(2)).startsWith("12:15:42.458  "));
    }

    @Test
    void offsetAndLocalTimestampsAreUnderstood() throws Exception {
        JsonNode offset = json("{\"pipelines\":[],\"log_data\":{\"timestamp\":\"2026-11-22T10:15:42.458+01:00\"}}");
        assertTrue(ReceivedRecordLine.format(offset, true, false, ZoneOffset.UTC).startsWith("09:15:42.458"));
        JsonNode local = json("{\"pipelines\":[],\"log_data\":{\"timestamp\":\"2026-11-22T10:15:42.458123\"}}");
        assertTrue(ReceivedRecordLine.format(local, true, false, ZoneOffset.UTC).startsWith("10:15:42.458"));
    }

    @Test
    void missingFieldsAreShownAsDashes() throws Exception {
        JsonNode record = json("{\"pipelines\":[],\"log_data\":{}}");
        assertEquals("--:--:--.---  -         -    pipelines=[]  trace_id=-  key=missing",
                ReceivedRecordLine.format(record, false, false, ZoneOffset.UTC));
    }

    @Test
    void moduleFallsBackToTheServiceName() throws Exception {
        JsonNode record = json("{\"pipelines\":[],\"log_data\":{\"module_name\":\"orders\",\"message\":\"m\"}}");
        assertTrue(ReceivedRecordLine.format(record, false, false, ZoneOffset.UTC).contains("  orders  m  "));
    }

    @Test
    void controlCharactersAreEscapedSoOneRecordIsOneLine() {
        assertEquals("a\\nb\\r\\tc\\u0007", ReceivedRecordLine.escape("a\nb\r\tc\u0007"));
        assertEquals("plain", ReceivedRecordLine.escape("plain"));
    }
}
