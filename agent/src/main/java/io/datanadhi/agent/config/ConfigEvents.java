package io.datanadhi.agent.config;

/** The stable {@code event} names of the configuration's warnings. */
public final class ConfigEvents {
    /** A value its key cannot accept; the default is used (or the value is ignored when shadowed). */
    public static final String INVALID_VALUE = "config_invalid_value";
    /** A key no one knows, in config.yml, a {@code datanadhi.*} property or an agent argument. */
    public static final String UNKNOWN_KEY = "config_unknown_key";
    /** A known key in a place where it has no effect ({@code dir} inside config.yml). */
    public static final String KEY_IGNORED = "config_key_ignored";
    /** An agent-argument entry without {@code key=value}. */
    public static final String ARGUMENT_MALFORMED = "config_argument_malformed";
    /** The same agent-argument key twice; the last one is used. */
    public static final String ARGUMENT_REPEATED = "config_argument_repeated";
    /** config.yml is not valid YAML or not a mapping; the whole file is ignored. */
    public static final String FILE_MALFORMED = "config_file_malformed";
    /** config.yml exists but cannot be read; the whole file is ignored. */
    public static final String FILE_UNREADABLE = "config_file_unreadable";
    /** Both config.yml and config.yaml exist; config.yml is used. */
    public static final String FILE_DUPLICATE = "config_file_duplicate";
    /** The file named by api_key_file cannot be read or is empty. */
    public static final String API_KEY_FILE_UNREADABLE = "api_key_file_unreadable";
    /** The API key was given where the process list shows it (agent argument, system property). */
    public static final String API_KEY_EXPOSED = "api_key_exposed";
    /** No API key after all sources: nothing is shipped. */
    public static final String API_KEY_MISSING = "api_key_missing";
    /** An unexpected failure while resolving; every key uses its default. */
    public static final String RESOLUTION_FAILED = "config_resolution_failed";
    /** .config.resolved.json could not be written. */
    public static final String RESOLVED_WRITE_FAILED = "config_resolved_write_failed";

    private ConfigEvents() {}
}
