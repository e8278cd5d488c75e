package io.datanadhi.agent.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Parses the agent arguments, the text after {@code -javaagent:datanadhi-agent.jar=}:
 * {@code key=value;key=value}. Entries and their keys and values are trimmed; empty entries
 * (a trailing {@code ;}) are skipped; a value may contain {@code =} (split at the first one). A
 * value cannot contain {@code ;}.
 */
final class AgentArguments {
    // Used to decide whether a malformed entry may be echoed: it could be a pasted secret.

    private AgentArguments() {}

    /** Keys to values, in order; malformed and repeated entries are reported to {@code warnings}. */
    static Map<String, String> parse(String agentArgs, PendingWarnings warnings) {
        Map<String, String> result = new LinkedHashMap<>();
        if (agentArgs == null) {
            return result;
        }
        String[] entries = agentArgs.split(";");
        for (int i = 0; i < entries.length; i++) {
            String entry = entries[i].trim();
            if (entry.isEmpty()) {
                continue;
            }
            int eq = entry.indexOf('=');
            String key = eq < 0 ? "" : entry.substring(0, eq).trim();
            if (key.isEmpty()) {
                // Compiled here, on this rare path: a character class at class initialization costs every start.
                String shown = Pattern.matches("[A-Za-z0-9_.]{1,64}", entry) ? entry : "(not shown)";
                warnings.add(ConfigEvents.ARGUMENT_MALFORMED,
                        "agent argument " + (i + 1) + " is not key=value; ignored (format: key=value;key=value)",
                        "source", "agent arguments", "entry", shown);
                continue;
            }
            String value = entry.substring(eq + 1).trim();
            if (result.containsKey(key)) {
                warnings.add(ConfigEvents.ARGUMENT_REPEATED,
                        "agent argument " + key + " is given more than once; the last one is used",
                        "source", "agent arguments", "key", key);
                result.remove(key); // keep the order of the last occurrence
            }
            result.put(key, value);
        }
        return result;
    }
}
