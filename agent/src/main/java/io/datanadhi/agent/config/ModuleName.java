package io.datanadhi.agent.config;

/** The default service name, derived from the {@code sun.java.command} system property. */
final class ModuleName {
    static final String UNKNOWN = "java-app";

    private ModuleName() {}

    /**
     * {@code "/opt/app/orders.jar --port 8080"} gives {@code orders}; {@code "com.acme.Main arg"}
     * gives {@code com.acme.Main}; {@code "mod/com.acme.Main"} ({@code java -m}) gives
     * {@code com.acme.Main}; null or blank gives {@code java-app}.
     */
    static String fromJavaCommand(String javaCommand) {
        if (javaCommand == null || javaCommand.isBlank()) {
            return UNKNOWN;
        }
        String first = firstWord(javaCommand.trim());
        String name = first.substring(Math.max(first.lastIndexOf('/'), first.lastIndexOf('\\')) + 1);
        if (name.regionMatches(true, Math.max(0, name.length() - 4), ".jar", 0, 4)) {
            name = name.substring(0, name.length() - 4);
        }
        return name.isEmpty() ? UNKNOWN : name;
    }

    /** Up to the first white space (a loop: {@code split("\\s+")} compiles a regex at every start). */
    private static String firstWord(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (" \t\n\u000B\f\r".indexOf(text.charAt(i)) >= 0) { // what \s matches
                return text.substring(0, i);
            }
        }
        return text;
    }
}
