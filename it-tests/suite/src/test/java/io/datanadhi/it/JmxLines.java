package io.datanadhi.it;

import java.util.HashMap;
import java.util.Map;

/**
 * The agent's MBean attributes as the it-test applications print them: one line
 * {@code app: jmx <when> Name=value Name=value ...}.
 */
final class JmxLines {

    private JmxLines() {}

    static Map<String, String> attributes(AppRun.Result run, String when) {
        String prefix = "app: jmx " + when + " ";
        String line = run.appLines().stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no '" + prefix + "' in " + run));
        Map<String, String> values = new HashMap<>();
        for (String pair : line.substring(prefix.length()).split(" ")) {
            String[] nameValue = pair.split("=", 2);
            values.put(nameValue[0], nameValue[1]);
        }
        return values;
    }

    /** How much a counter grew from one line to the other. */
    static long delta(Map<String, String> before, Map<String, String> after, String attribute) {
        return Long.parseLong(after.get(attribute)) - Long.parseLong(before.get(attribute));
    }
}
