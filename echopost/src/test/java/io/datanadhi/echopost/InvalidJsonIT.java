package io.datanadhi.echopost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.proto.LogRequest;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** json_data that is not one JSON object is stored as {} (as the original does) and reported; valid data passes untouched. */
class InvalidJsonIT {

    @TempDir
    Path dir;

    @Test
    void invalidJsonDataIsStoredAsAnEmptyObjectAndReportedWhileValidDataPassesUntouched() throws Exception {
        List<String> sent = List.of(
                "{\"id\":\"v1\"}",
                "not json",
                "[1,2,3]",
                "{\"a\":1} trailing",
                "",
                "{\"unterminated\": ",
                "\"a string\"",
                "null",
                "{\"msg\":\"h\u00e9llo \\u00e9 \\\" \\\\n\",\"n\":[1,{\"x\":null}]}",
                "{\"id\":\"v2\"}");
        List<String> expected = new ArrayList<>();
        List<String> invalid = new ArrayList<>();
        for (String json : sent) {
            boolean valid = json.startsWith("{\"id\"") || json.startsWith("{\"msg\"");
            expected.add("{\"pipelines\":[\"p\"],\"log_data\":" + (valid ? json : "{}") + "}");
            if (!valid) {
                invalid.add(json);
            }
        }
        try (ReplayServer server = ReplayServer.down();
                EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url()).startReady()) {
            ManagedChannel channel = Clients.channel(echo.socket());
            try {
                // The first half one by one, the rest in one batch.
                for (String json : sent.subList(0, 5)) {
                    assertTrue(Clients.sendLog(channel, Clients.request(json, List.of("p"), "k")).getSuccess(), json);
                }
                List<LogRequest> batch = new ArrayList<>();
                for (String json : sent.subList(5, sent.size())) {
                    batch.add(Clients.request(json, List.of("p"), "k"));
                }
                assertTrue(Clients.sendBatch(channel, batch).getSuccess());
            } finally {
                channel.shutdownNow();
            }
            server.start();
            assertEquals(0, echo.awaitExit(30_000), echo.output());

            assertEquals(expected, server.bodies());
            List<Map<String, String>> events = echo.eventFields("invalid_json");
            assertEquals(invalid.size(), events.size(), echo.output());
            for (int i = 0; i < events.size(); i++) {
                assertEquals(String.valueOf(i + 1), events.get(i).get("count"));
                assertEquals(String.valueOf(invalid.get(i).length()), events.get(i).get("length"));
                assertEquals("WARN", events.get(i).get("level"));
            }
            assertEquals(invalid.size(), echo.sessionLog("events.log").stream()
                    .filter(l -> l.contains("\"event\":\"invalid_json\"")).count(), "in the session's events.log too");
        }
    }
}
