package io.datanadhi.agent.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datanadhi.agent.diag.Diagnostics;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Sees every diagnostics line while open (whatever the threshold) and keeps what is printed; on
 * close restores the global Diagnostics state the resolver changes (threshold, secret, output).
 */
final class DiagnosticsCapture implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Consumer<String> listener = lines::add;
    final ByteArrayOutputStream printed = new ByteArrayOutputStream();

    DiagnosticsCapture() {
        Diagnostics.setOutput(printed);
        Diagnostics.addListener(listener);
    }

    List<String> lines() {
        return new ArrayList<>(lines);
    }

    List<JsonNode> events() {
        return lines.stream().map(DiagnosticsCapture::parse).collect(Collectors.toList());
    }

    List<JsonNode> events(String event) {
        return events().stream().filter(e -> event.equals(e.path("event").asText())).collect(Collectors.toList());
    }

    String printedText() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    String all() {
        return String.join("\n", lines);
    }

    @Override
    public void close() {
        Diagnostics.removeListener(listener);
        Diagnostics.setThreshold(Diagnostics.Level.INFO);
        Diagnostics.redact(null);
        Diagnostics.setOutput(new FileOutputStream(FileDescriptor.err));
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
