package io.datanadhi.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.datanadhi.http.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Where every numbered record of a sequence run ended up: on a server, in {@code dropped/}, in a
 * test double's file. Records are told apart by {@code run:seq}: {@code seq} from the MDC (Logback
 * app) or from the message (JUL app), {@code run} from the MDC when two apps share a directory.
 */
final class Ledger {

    private final Map<String, Integer> counts = new TreeMap<>();
    private final Map<String, Integer> bySource = new LinkedHashMap<>();

    /** Adds {@code {"pipelines","log_data"}} bodies found in one place. */
    Ledger add(String source, List<JsonNode> bodies) {
        for (JsonNode body : bodies) {
            counts.merge(key(body.get("log_data")), 1, Integer::sum);
        }
        bySource.merge(source, bodies.size(), Integer::sum);
        return this;
    }

    /** Adds {@code {"pipelines","log_data"}} bodies given as JSON text (a request body, a line of an upload). */
    Ledger addJson(String source, List<String> bodies) throws IOException {
        List<JsonNode> parsed = new ArrayList<>();
        for (String body : bodies) {
            parsed.add(IngestServer.JSON.readTree(body));
        }
        return add(source, parsed);
    }

    /** Adds every record a {@link TestServer} took: {@code /log} bodies and the lines of {@code /upload}s. */
    Ledger addServer(String source, TestServer server) throws IOException {
        List<String> bodies = new ArrayList<>();
        for (TestServer.Received received : server.received()) {
            bodies.addAll(received.lines());
        }
        return addJson(source, bodies);
    }

    Ledger addServer(String source, IngestServer server) {
        return add(source, server.records().stream().map(r -> r.body).collect(Collectors.toList()));
    }

    /** Adds every line of {@code <dir>/dropped/<prefix>*.jsonl}. */
    Ledger addDropped(Path dataNadhiDir, String prefix) throws IOException {
        return add("dropped/" + prefix + "*", droppedBodies(dataNadhiDir, prefix));
    }

    /** The {@code run:seq} keys of {@code runs} × {@code 0..count-1} that are nowhere. */
    List<String> missing(int count, String... runs) {
        List<String> missing = new ArrayList<>();
        for (String run : runs.length == 0 ? new String[] {""} : runs) {
            for (int seq = 0; seq < count; seq++) {
                if (!counts.containsKey(run + ":" + seq)) {
                    missing.add(run + ":" + seq);
                }
            }
        }
        return missing;
    }

    /** Arrivals beyond the first, summed over all records. */
    int duplicates() {
        return counts.values().stream().mapToInt(n -> n - 1).sum();
    }

    /** Records present that no run logged: never expected. */
    int distinct() {
        return counts.size();
    }

    @Override
    public String toString() {
        return distinct() + " distinct record(s), " + duplicates() + " duplicate(s); by source " + bySource;
    }

    static String key(JsonNode logData) {
        JsonNode context = logData.path("context");
        String run = context.path("run").asText("");
        JsonNode seq = context.get("seq");
        if (seq != null) {
            return run + ":" + seq.asText();
        }
        String message = logData.path("message").asText();
        int at = message.lastIndexOf("seq=");
        return run + ":" + (at < 0 ? message : message.substring(at + 4));
    }

    static List<Path> droppedFiles(Path dataNadhiDir, String prefix) throws IOException {
        Path dropped = dataNadhiDir.resolve("dropped");
        if (!Files.isDirectory(dropped)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dropped)) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix)).sorted().collect(Collectors.toList());
        }
    }

    static List<JsonNode> droppedBodies(Path dataNadhiDir, String prefix) throws IOException {
        List<JsonNode> bodies = new ArrayList<>();
        for (Path file : droppedFiles(dataNadhiDir, prefix)) {
            bodies.addAll(jsonLines(file));
        }
        return bodies;
    }

    static List<JsonNode> jsonLines(Path file) throws IOException {
        List<JsonNode> bodies = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    bodies.add(IngestServer.JSON.readTree(line));
                }
            }
        }
        return bodies;
    }
}
