package io.datanadhi.agent.config;

import io.datanadhi.agent.diag.Diagnostics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Resolves the configuration from every source, highest first: agent arguments, {@code
 * datanadhi.*} system properties, {@code DATANADHI_*} environment variables, {@code
 * <dir>/config.yml} (or {@code .yaml}), defaults. {@code dir} itself comes from the first three
 * or its default, as it locates the file.
 *
 * <p>Never throws for bad input. A value its key cannot accept is one {@code
 * config_invalid_value} warning and the key's default is used (not a lower source); a bad value
 * in a lower source that is overridden anyway is still reported, as ignored. A blank value counts
 * as not given. All warnings wait until the agent's own level ({@code log.datanadhi_log_level})
 * is known, so that it applies to them.
 *
 * <p>Side effects, on purpose: {@link Diagnostics#redact} with the API key and {@link
 * Diagnostics#setThreshold} with the agent's level, then the warnings, then, when no source gave
 * an API key at all, one {@code api_key_missing} warning (a key that was given but unusable has
 * already been reported with the same consequence). Apart from that the resolver is pure: it
 * reads only the maps it is given, the config file and the API key file.
 */
public final class ConfigResolver {
    private static final long MAX_KEY_FILE_BYTES = 64 * 1024;
    private static final int MAX_SHOWN_VALUE = 200;
    private static final String NOTHING_SHIPPED = ": no API key, nothing will be shipped; the application runs normally";

    private final PendingWarnings warnings;
    private final String javaCommand;
    private final Map<ConfigKey, List<RawValue>> candidates = new EnumMap<>(ConfigKey.class);
    private final Map<ConfigKey, Object> values = new EnumMap<>(ConfigKey.class);
    private final Map<ConfigKey, ConfigValue> settings = new EnumMap<>(ConfigKey.class);
    private boolean apiKeyGiven;

    private ConfigResolver(PendingWarnings warnings, String javaCommand) {
        this.warnings = warnings;
        this.javaCommand = javaCommand;
    }

    /**
     * @param agentArgs the text after {@code -javaagent:datanadhi-agent.jar=}, or null
     * @param systemProperties all system properties; only {@code datanadhi.*} are read
     * @param environment all environment variables; only the {@code DATANADHI_*} names are read
     * @param javaCommand the {@code sun.java.command} property, for the default module name
     */
    public static AgentConfig resolve(String agentArgs, Map<String, String> systemProperties,
            Map<String, String> environment, String javaCommand) {
        PendingWarnings warnings = new PendingWarnings();
        ConfigResolver resolver = new ConfigResolver(warnings, javaCommand);
        AgentConfig config;
        try {
            config = resolver.resolveAll(agentArgs, nullToEmpty(systemProperties), nullToEmpty(environment));
        } catch (RuntimeException e) {
            // A bug here must not stop the application: run on defaults and say so.
            warnings.add(ConfigEvents.RESOLUTION_FAILED,
                    "the configuration could not be resolved (" + e.getClass().getName()
                            + "); every key uses its default and nothing is shipped");
            config = new ConfigResolver(warnings, javaCommand).defaultsOnly();
            resolver.apiKeyGiven = true; // the failure warning already says nothing is shipped
        }
        Diagnostics.redact(config.apiKey());
        Diagnostics.setThreshold(config.agentLogLevel());
        warnings.emit();
        if (config.apiKey() == null && !resolver.apiKeyGiven) {
            Diagnostics.warn(ConfigEvents.API_KEY_MISSING,
                    "no API key (set DATANADHI_API_KEY or DATANADHI_API_KEY_FILE): nothing will be shipped;"
                            + " the application runs normally");
        }
        return config;
    }

    /**
     * {@link #resolve} with this JVM's system properties, environment and {@code
     * sun.java.command}: what {@code premain} calls.
     */
    public static AgentConfig resolveForThisJvm(String agentArgs) {
        return resolve(agentArgs, dataNadhiProperties(), System.getenv(), System.getProperty("sun.java.command"));
    }

    /**
     * {@link #resolve} for a command-line tool ({@code doctor}, {@code replay-dropped}): this
     * JVM's properties and environment, and no main class of an application to name the module.
     */
    public static AgentConfig resolveForTool(String agentArgs) {
        return resolve(agentArgs, dataNadhiProperties(), System.getenv(), null);
    }

    private static Map<String, String> dataNadhiProperties() {
        Map<String, String> properties = new HashMap<>();
        Properties system = System.getProperties();
        // stringPropertyNames() skips non-String entries an application may have put there.
        for (String name : system.stringPropertyNames()) {
            if (name.startsWith(ConfigKey.PROPERTY_PREFIX)) {
                properties.put(name, system.getProperty(name));
            }
        }
        return properties;
    }

    private AgentConfig resolveAll(String agentArgs, Map<String, String> properties, Map<String, String> env) {
        collectArguments(agentArgs);
        collectProperties(properties);
        collectEnvironment(env);
        resolve(ConfigKey.DIR);
        Path file = ConfigFile.locate((Path) values.get(ConfigKey.DIR), warnings);
        collectFile(ConfigFile.read(file, warnings));

        resolve(ConfigKey.AGENT_LOG_LEVEL);
        resolveApiKey();
        for (ConfigKey key : ConfigKey.values()) {
            if (!values.containsKey(key)) {
                resolve(key);
            }
        }
        return new AgentConfig(values, settings);
    }

    /** Every key at its default, reading nothing: the last resort after a failure. */
    private AgentConfig defaultsOnly() {
        for (ConfigKey key : ConfigKey.values()) {
            useDefault(key, "default (resolution failed)");
        }
        return new AgentConfig(values, settings);
    }

    // ---- collecting what each source gives, highest source first ----

    private void collectArguments(String agentArgs) {
        for (Map.Entry<String, String> arg : AgentArguments.parse(agentArgs, warnings).entrySet()) {
            String name = arg.getKey();
            ConfigKey key = ConfigKey.byName(name);
            if (key == null) {
                unknownKey("agent argument " + name, name, "agent argument");
            } else {
                offer(key, RawValue.text(arg.getValue(), SourceKind.ARGUMENT, "agent argument " + name));
            }
        }
    }

    private void collectProperties(Map<String, String> properties) {
        // Sorted: the same properties always give the same warnings in the same order.
        for (Map.Entry<String, String> property : new TreeMap<>(properties).entrySet()) {
            String name = property.getKey();
            if (name == null || !name.startsWith(ConfigKey.PROPERTY_PREFIX)) {
                continue;
            }
            String dotted = name.substring(ConfigKey.PROPERTY_PREFIX.length());
            ConfigKey key = ConfigKey.byName(dotted);
            if (key == null) {
                unknownKey("property " + name, dotted, "system property");
            } else {
                offer(key, RawValue.text(property.getValue(), SourceKind.PROPERTY, "property " + name));
            }
        }
    }

    private void collectEnvironment(Map<String, String> env) {
        for (ConfigKey key : ConfigKey.values()) {
            if (key.env != null) {
                offer(key, RawValue.text(env.get(key.env), SourceKind.ENV, "env " + key.env));
            }
        }
    }

    private void collectFile(Map<String, RawValue> fileValues) {
        for (Map.Entry<String, RawValue> entry : fileValues.entrySet()) {
            String name = entry.getKey();
            RawValue raw = entry.getValue();
            ConfigKey key = ConfigKey.byName(name);
            if (key == ConfigKey.DIR) {
                warnings.add(ConfigEvents.KEY_IGNORED,
                        "dir cannot be set in the file it locates; ignored (use DATANADHI_DIR, -Ddatanadhi.dir"
                                + " or the agent argument dir)",
                        "source", raw.detail, "key", name);
            } else if (key == null) {
                unknownKey(raw.detail, name, "key");
            } else {
                offer(key, raw);
            }
        }
    }

    private void offer(ConfigKey key, RawValue raw) {
        if (raw.text == null || (raw.scalar && raw.text.isBlank())) {
            return; // blank counts as not given
        }
        List<RawValue> given = candidates.get(key);
        if (given == null) {
            given = new ArrayList<>();
            candidates.put(key, given);
        }
        given.add(raw);
    }

    /**
     * One warning per unknown key, with the likely intended key. The value is not shown: a
     * mistyped api_key would otherwise be printed.
     */
    private void unknownKey(String source, String dotted, String what) {
        ConfigKey guess = ConfigKey.closest(dotted);
        String prefix = what.equals("system property") ? ConfigKey.PROPERTY_PREFIX : "";
        String hint = guess == null ? "" : " (did you mean " + prefix + guess.dotted + "?)";
        String where = what.equals("key") ? " in " + source : "";
        warnings.add(ConfigEvents.UNKNOWN_KEY,
                "unknown " + what + " " + prefix + dotted + where + hint + "; ignored",
                "source", source, "key", dotted);
    }

    // ---- resolving each key ----

    private void resolve(ConfigKey key) {
        resolve(key, "");
    }

    /** {@code consequence} is added to the warning when the winning value is bad. */
    private void resolve(ConfigKey key, String consequence) {
        List<RawValue> given = candidates.getOrDefault(key, List.of());
        if (given.isEmpty()) {
            useDefault(key, "default");
            return;
        }
        RawValue first = given.get(0);
        Object winner = parseAll(key, given, true, first.detail, consequence);
        if (winner != null) {
            set(key, winner, first.kind, first.detail);
        } else {
            useDefault(key, "default (invalid value in " + first.detail + ")");
        }
    }

    /**
     * Checks every given value, warning once for each bad one. Returns the first value parsed
     * when {@code firstWins}, null when it is bad or does not win.
     */
    private Object parseAll(ConfigKey key, List<RawValue> given, boolean firstWins, String winnerDetail,
            String consequence) {
        Object winner = null;
        for (int i = 0; i < given.size(); i++) {
            RawValue raw = given.get(i);
            boolean wins = firstWins && i == 0;
            try {
                Object value = key.type.parse(raw);
                if (wins) {
                    winner = value;
                }
            } catch (InvalidValueException e) {
                String action = wins ? usingDefault(key) + consequence
                        : "ignored; " + winnerDetail + " takes precedence";
                invalidValue(key, raw.detail, key.isSecret() ? mask(key, raw.text) : raw.text,
                        e.getMessage(), action);
            }
        }
        return winner;
    }

    private void invalidValue(ConfigKey key, String source, String value, String reason, String action) {
        String shown = value.length() > MAX_SHOWN_VALUE ? value.substring(0, MAX_SHOWN_VALUE) + "..." : value;
        warnings.add(ConfigEvents.INVALID_VALUE,
                key.dotted + " from " + source + ": \"" + shown + "\" " + reason + "; " + action,
                "source", source, "key", key.dotted, "value", shown);
    }

    private String usingDefault(ConfigKey key) {
        Object value = defaultValue(key);
        return value == null ? "using the default (none)" : "using the default " + text(key, value);
    }

    private void useDefault(ConfigKey key, String detail) {
        Object value = defaultValue(key);
        String shownDetail = key == ConfigKey.MODULE_NAME && detail.equals("default")
                ? "default (from the java command line)" : detail;
        set(key, value, SourceKind.DEFAULT, shownDetail);
    }

    private Object defaultValue(ConfigKey key) {
        if (key == ConfigKey.MODULE_NAME) {
            return ModuleName.fromJavaCommand(javaCommand);
        }
        if (key.defaultText == null) {
            return null;
        }
        try {
            return key.type.parse(RawValue.text(key.defaultText, SourceKind.DEFAULT, "default"));
        } catch (InvalidValueException e) {
            throw new IllegalStateException("bad built-in default for " + key.dotted, e);
        }
    }

    private void set(ConfigKey key, Object value, SourceKind kind, String detail) {
        values.put(key, value);
        settings.put(key, new ConfigValue(key.dotted, text(key, value), json(key, value), kind, detail));
    }

    /**
     * The API key comes from whichever source, highest first, gives {@code api_key} or {@code
     * api_key_file}; within one source {@code api_key} wins. Resolves both keys.
     */
    private void resolveApiKey() {
        List<RawValue> keys = candidates.getOrDefault(ConfigKey.API_KEY, List.of());
        List<RawValue> files = candidates.getOrDefault(ConfigKey.API_KEY_FILE, List.of());
        apiKeyGiven = !keys.isEmpty() || !files.isEmpty();
        warnIfExposed(keys);
        boolean fileWins = !files.isEmpty()
                && (keys.isEmpty() || files.get(0).kind.ordinal() < keys.get(0).kind.ordinal());
        if (!fileWins) {
            resolve(ConfigKey.API_KEY, NOTHING_SHIPPED);
            resolve(ConfigKey.API_KEY_FILE);
            return;
        }
        RawValue fileSource = files.get(0);
        parseAll(ConfigKey.API_KEY, keys, false, fileSource.detail, ""); // reports bad, overridden keys
        resolve(ConfigKey.API_KEY_FILE, NOTHING_SHIPPED);
        String path = (String) values.get(ConfigKey.API_KEY_FILE);
        if (path == null) {
            useDefault(ConfigKey.API_KEY, "default (invalid value in " + fileSource.detail + ")");
            return;
        }
        String key = readKeyFile(Path.of(path), fileSource.detail);
        if (key == null) {
            useDefault(ConfigKey.API_KEY, "default (key file unreadable)");
            return;
        }
        String detail = fileSource.detail + " (key file " + path + ")";
        try {
            Object value = ConfigKey.API_KEY.type.parse(RawValue.text(key, fileSource.kind, detail));
            set(ConfigKey.API_KEY, value, fileSource.kind, detail);
        } catch (InvalidValueException e) {
            invalidValue(ConfigKey.API_KEY, "key file " + path + " (from " + fileSource.detail + ")",
                    ApiKeys.mask(key), e.getMessage(), usingDefault(ConfigKey.API_KEY) + NOTHING_SHIPPED);
            useDefault(ConfigKey.API_KEY, "default (invalid key in key file)");
        }
    }

    /** The trimmed content of the key file, or null after one warning. */
    private String readKeyFile(Path path, String source) {
        String problem;
        try {
            if (Files.size(path) > MAX_KEY_FILE_BYTES) {
                problem = "is larger than 64 KB";
            } else {
                String key = new String(Files.readAllBytes(path), StandardCharsets.UTF_8).trim();
                if (!key.isEmpty()) {
                    return key;
                }
                problem = "is empty";
            }
        } catch (IOException | RuntimeException e) {
            problem = "cannot be read (" + e.getClass().getSimpleName() + ")";
        }
        warnings.add(ConfigEvents.API_KEY_FILE_UNREADABLE,
                "API key file " + path + " (from " + source + ") " + problem
                        + ": no API key, nothing will be shipped; the application runs normally",
                "source", source, "key", ConfigKey.API_KEY_FILE.dotted, "value", path.toString());
        return null;
    }

    private void warnIfExposed(List<RawValue> keys) {
        for (RawValue raw : keys) {
            if (raw.kind == SourceKind.ARGUMENT || raw.kind == SourceKind.PROPERTY) {
                warnings.add(ConfigEvents.API_KEY_EXPOSED,
                        "the API key is given as " + (raw.kind == SourceKind.ARGUMENT ? "an agent argument" : "a system property")
                                + ", which anyone who can list processes can read; it is used, but prefer"
                                + " DATANADHI_API_KEY or DATANADHI_API_KEY_FILE",
                        "source", raw.detail, "key", ConfigKey.API_KEY.dotted);
                return;
            }
        }
    }

    // ---- how values are shown ----

    private static String text(ConfigKey key, Object value) {
        if (value == null) {
            return null;
        }
        if (key.isSecret()) {
            return mask(key, (String) value);
        }
        if (value instanceof List) {
            return String.join(", ", castList(value));
        }
        if (value instanceof Duration) {
            return String.valueOf(((Duration) value).getSeconds());
        }
        return String.valueOf(value);
    }

    /** The API key keeps its last 4 characters; a password shows nothing. */
    static String mask(ConfigKey key, String value) {
        return key.isPassword() ? "****" : ApiKeys.mask(value);
    }

    private static Object json(ConfigKey key, Object value) {
        if (value == null || value instanceof Integer || value instanceof Boolean || value instanceof List) {
            return value;
        }
        if (value instanceof Duration) {
            return ((Duration) value).getSeconds();
        }
        return text(key, value);
    }

    @SuppressWarnings("unchecked")
    private static List<String> castList(Object value) {
        return (List<String>) value;
    }

    private static Map<String, String> nullToEmpty(Map<String, String> map) {
        return map == null ? Map.of() : map;
    }
}
