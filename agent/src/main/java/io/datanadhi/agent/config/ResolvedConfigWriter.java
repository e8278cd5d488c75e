package io.datanadhi.agent.config;

import io.datanadhi.agent.files.AtomicFiles;
import io.datanadhi.agent.json.JsonText;
import io.datanadhi.agent.AgentVersion;
import io.datanadhi.agent.diag.Diagnostics;
import java.io.IOException;
import java.nio.file.Path;
import io.datanadhi.agent.record.UtcTime;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes {@code <dir>/.config.resolved.json} at every start: what each key resolved to and
 * where it came from, for people and {@code doctor}. It is never read back. The API key appears
 * only masked. Written to a temp file (mode 0600 where POSIX) that is renamed into place, so a
 * reader never sees half a file.
 */
public final class ResolvedConfigWriter {
    public static final String FILE_NAME = ".config.resolved.json";

    private ResolvedConfigWriter() {}

    /**
     * Writes the file, creating {@code dir} (mode 0700) when missing. Returns whether it was
     * written; a failure is one {@code config_resolved_write_failed} warning and leaves no temp
     * file behind. Never throws.
     */
    public static boolean write(AgentConfig config) {
        Path target = config.dir().resolve(FILE_NAME);
        try {
            AtomicFiles.write(target, JsonText.pretty(document(config)));
            return true;
        } catch (IOException | RuntimeException e) {
            Diagnostics.warn(ConfigEvents.RESOLVED_WRITE_FAILED,
                    "could not write " + target + " (" + e.getClass().getSimpleName()
                            + "); the agent runs normally without it",
                    "file", target.toString());
            return false;
        }
    }

    static Map<String, Object> document(AgentConfig config) {
        Map<String, Object> settings = new LinkedHashMap<>();
        for (ConfigValue setting : config.settings()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("value", setting.jsonValue());
            entry.put("source", setting.source().label());
            entry.put("source_detail", setting.sourceDetail());
            settings.put(setting.key(), entry);
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("agent_version", AgentVersion.get());
        document.put("resolved_at", UtcTime.of(Instant.now()));
        document.put("config", settings);
        return document;
    }
}
