package io.datanadhi.agent.config;

import java.util.List;

/** One value as a source gave it, before it is checked: text, or a YAML list, plus its origin. */
final class RawValue {
    /** The value as text (a YAML list joined with ", "; a structure as its JSON text). */
    final String text;
    /** The entries of a YAML list of plain values; null for anything else. */
    final List<String> items;
    /** False for a YAML list or mapping, where most keys expect one plain value. */
    final boolean scalar;
    final SourceKind kind;
    /** e.g. "env DATANADHI_QUEUE_SIZE", "file /srv/app/.datanadhi/config.yml". */
    final String detail;

    private RawValue(String text, List<String> items, boolean scalar, SourceKind kind, String detail) {
        this.text = text;
        this.items = items;
        this.scalar = scalar;
        this.kind = kind;
        this.detail = detail;
    }

    static RawValue text(String text, SourceKind kind, String detail) {
        return new RawValue(text, null, true, kind, detail);
    }

    static RawValue list(List<String> items, SourceKind kind, String detail) {
        return new RawValue(String.join(", ", items), List.copyOf(items), false, kind, detail);
    }

    static RawValue structure(String json, SourceKind kind, String detail) {
        return new RawValue(json, null, false, kind, detail);
    }
}
