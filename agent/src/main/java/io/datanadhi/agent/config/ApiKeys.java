package io.datanadhi.agent.config;

/** How the API key is shown anywhere a person can read it. */
public final class ApiKeys {
    private ApiKeys() {}

    /**
     * {@code "****"} plus the last 4 characters when the key is at least 12 long (enough left
     * hidden), else just {@code "****"}; null stays null.
     */
    public static String mask(String apiKey) {
        if (apiKey == null) {
            return null;
        }
        return apiKey.length() >= 12 ? "****" + apiKey.substring(apiKey.length() - 4) : "****";
    }
}
