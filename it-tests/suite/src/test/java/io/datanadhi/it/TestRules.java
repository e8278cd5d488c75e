package io.datanadhi.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Rule files and keys the end-to-end tests use. */
final class TestRules {
    static final String API_KEY = "it-secret-key-0123456789";

    private TestRules() {}

    /** Writes {@code <dir>/rules/<file>} and returns the data-nadhi directory. */
    static Path write(Path dir, String file, String yaml) throws IOException {
        Files.createDirectories(dir.resolve("rules"));
        Files.writeString(dir.resolve("rules").resolve(file), yaml);
        return dir;
    }

    /** Orders, warnings and errors each to their own pipeline; everything else stays home. */
    static final String ORDERS_WARNINGS_ERRORS = String.join("\n",
            "- name: orders",
            "  conditions:",
            "    - {key: message, type: partial, value: order placed}",
            "  pipelines: [orders, audit]",
            "- name: warnings",
            "  conditions:",
            "    - {key: log_record.level, type: exact, value: WARNING}",
            "  pipelines: [warnings]",
            "- name: errors",
            "  conditions:",
            "    - {key: log_record.level, type: exact, value: ERROR}",
            "  pipelines: [errors]",
            "");

    /** Every event of level INFO or above. */
    static final String EVERYTHING = String.join("\n",
            "- name: everything",
            "  conditions:",
            "    - {key: log_record.level, type: regex, value: \".*\"}",
            "  pipelines: [all]",
            "");
}
