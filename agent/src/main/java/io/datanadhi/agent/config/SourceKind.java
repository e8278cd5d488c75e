package io.datanadhi.agent.config;

import java.util.Locale;

/** Where a configuration value came from, highest priority first (DESIGN.md section 6). */
public enum SourceKind {
    ARGUMENT, PROPERTY, ENV, FILE, DEFAULT;

    /** "argument", "property", "env", "file", "default": as written to .config.resolved.json. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
