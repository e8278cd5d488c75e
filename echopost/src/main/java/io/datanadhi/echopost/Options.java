package io.datanadhi.echopost;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * EchoPost's command line, compatible with the original Go build: {@code -datanadhi DIR
 * -api-key KEY -health-url URL}, each also as {@code --flag} and {@code -flag=value}. Additions:
 * {@code -api-key-header NAME}, {@code -max-disk-mb N}, {@code -min-free-mb N}.
 * {@code DATANADHI_API_KEY} in the environment is preferred to {@code -api-key}, so that the key
 * need not be on a command line.
 */
final class Options {

    static final String USAGE = String.join("\n",
            "usage: echopost -datanadhi DIR -health-url URL [-api-key KEY] [-api-key-header NAME]",
            "                [-max-disk-mb N] [-min-free-mb N]",
            "  -datanadhi DIR         EchoPost's directory: socket, store, session logs (default ./.datanadhi)",
            "  -health-url URL        the Data Nadhi server: GET URL for health, POST URL/log to replay",
            "  -api-key KEY           the API key (DATANADHI_API_KEY in the environment is preferred)",
            "  -api-key-header NAME   the API key's header (default x-datanadhi-api-key)",
            "  -max-disk-mb N         refuse records beyond N MB stored (default 1024)",
            "  -min-free-mb N         refuse records when the disk has less than N MB free (default 64)",
            "       echopost -status [-datanadhi DIR]",
            "  -status                print, as JSON, whether an EchoPost runs for DIR and what waits in its store");

    /** Bad usage: the message says what, and EchoPost exits with 2. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    final Path dir;
    final String healthUrl;
    /** Null when neither the environment nor the flag gave one. */
    final String apiKey;
    final String apiKeyHeader;
    final long maxDiskBytes;
    final long minFreeBytes;

    private Options(Path dir, String healthUrl, String apiKey, String apiKeyHeader, long maxDiskBytes,
            long minFreeBytes) {
        this.dir = dir;
        this.healthUrl = healthUrl;
        this.apiKey = apiKey;
        this.apiKeyHeader = apiKeyHeader;
        this.maxDiskBytes = maxDiskBytes;
        this.minFreeBytes = minFreeBytes;
    }

    static Options parse(String[] args, Map<String, String> environment) throws UsageException {
        String dir = "./.datanadhi";
        String healthUrl = "http://data-nadhi-server:5000";
        String apiKey = null;
        String header = "x-datanadhi-api-key";
        long maxDiskMb = 1024;
        long minFreeMb = 64;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-") || arg.equals("-") || arg.equals("--")) {
                throw new UsageException("unexpected argument \"" + arg + "\"");
            }
            String name = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            String value;
            int equals = name.indexOf('=');
            if (equals >= 0) {
                value = name.substring(equals + 1);
                name = name.substring(0, equals);
            } else if (name.equals("h") || name.equals("help")) {
                throw new UsageException("");
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new UsageException("flag needs an argument: -" + name);
            }
            switch (name) {
                case "datanadhi": dir = value; break;
                case "health-url": healthUrl = value; break;
                case "api-key": apiKey = value; break;
                case "api-key-header": header = value; break;
                case "max-disk-mb": maxDiskMb = positive(name, value); break;
                case "min-free-mb": minFreeMb = positive(name, value); break;
                default: throw new UsageException("flag provided but not defined: -" + name);
            }
        }
        String fromEnvironment = environment.get("DATANADHI_API_KEY");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            apiKey = fromEnvironment.trim();
        }
        if (apiKey != null && apiKey.isBlank()) {
            apiKey = null;
        }
        String lower = healthUrl.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
            throw new UsageException("-health-url must be an http:// or https:// URL, not \"" + healthUrl + "\"");
        }
        if (header.isBlank()) {
            throw new UsageException("-api-key-header must not be empty");
        }
        return new Options(Path.of(dir).toAbsolutePath().normalize(), healthUrl, apiKey, header,
                maxDiskMb * 1024 * 1024, minFreeMb * 1024 * 1024);
    }

    private static long positive(String name, String value) throws UsageException {
        try {
            long parsed = Long.parseLong(value.trim());
            if (parsed >= 0) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new UsageException("invalid value \"" + value + "\" for flag -" + name + ": a whole number of MB");
    }

    /** The URL replay posts to: {@code <health-url>/log}. */
    String logUrl() {
        return healthUrl.endsWith("/") ? healthUrl + "log" : healthUrl + "/log";
    }
}
