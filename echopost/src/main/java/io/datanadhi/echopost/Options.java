package io.datanadhi.echopost;

import io.datanadhi.http.HttpTarget;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * EchoPost's command line, compatible with the original Go build: {@code -datanadhi DIR
 * -api-key KEY -health-url URL}, each also as {@code --flag} and {@code -flag=value}. Additions:
 * {@code -api-key-header NAME}, {@code -max-disk-mb N}, {@code -min-free-mb N}, and for replay
 * {@code -timeout SECONDS}, {@code -max-in-flight N} and the TLS stores
 * ({@code -tls-trust-store PATH}, {@code -tls-key-store PATH} and their {@code -...-type}), and
 * for the socket {@code -idle-timeout SECONDS} and {@code -handshake-timeout SECONDS}.
 * {@code DATANADHI_API_KEY} in the environment is preferred to {@code -api-key}, so that the key
 * need not be on a command line; the stores' passwords come only from the environment
 * ({@code DATANADHI_TLS_TRUST_STORE_PASSWORD}, {@code DATANADHI_TLS_KEY_STORE_PASSWORD}).
 */
final class Options {

    static final String USAGE = String.join("\n",
            "usage: echopost -datanadhi DIR -health-url URL [-api-key KEY] [-api-key-header NAME]",
            "                [-max-disk-mb N] [-min-free-mb N] [-timeout SECONDS] [-max-in-flight N]",
            "                [-tls-trust-store PATH [-tls-trust-store-type TYPE]]",
            "                [-tls-key-store PATH [-tls-key-store-type TYPE]]",
            "                [-idle-timeout SECONDS] [-handshake-timeout SECONDS]",
            "  -datanadhi DIR         EchoPost's directory: socket, store, session logs (default ./.datanadhi)",
            "  -health-url URL        the Data Nadhi server: GET URL for health, POST URL/log to replay",
            "  -api-key KEY           the API key (DATANADHI_API_KEY in the environment is preferred)",
            "  -api-key-header NAME   the API key's header (default x-datanadhi-api-key)",
            "  -max-disk-mb N         refuse records beyond N MB stored (default 1024)",
            "  -min-free-mb N         refuse records when the disk has less than N MB free (default 64)",
            "  -timeout SECONDS       the deadline of one replayed record's whole exchange (default 5, 1..300)",
            "  -max-in-flight N       replayed records sent ahead of their answers, pipelined in order",
            "                         on one connection (default 256, 1..4096)",
            "  -tls-trust-store PATH  the CAs an https:// server's certificate is checked against",
            "                         (default: the JVM's); password in DATANADHI_TLS_TRUST_STORE_PASSWORD",
            "  -tls-trust-store-type TYPE  PKCS12, JKS or PEM (default: told by the file's content)",
            "  -tls-key-store PATH    a client certificate and its key, for servers that ask for one;",
            "                         password in DATANADHI_TLS_KEY_STORE_PASSWORD",
            "  -tls-key-store-type TYPE    PKCS12 or JKS (default: told by the file's content)",
            "  -idle-timeout SECONDS  close a client connection with no call for this long (default 300,",
            "                         1..86400); a client reconnects on its next call",
            "  -handshake-timeout SECONDS  close a connection that has not begun HTTP/2 within this",
            "                         long (default 10, 1..300)",
            "       echopost -status [-datanadhi DIR]",
            "  -status                print, as JSON, whether an EchoPost runs for DIR and what waits in its store");

    static final String TRUST_STORE_PASSWORD_VARIABLE = "DATANADHI_TLS_TRUST_STORE_PASSWORD";
    static final String KEY_STORE_PASSWORD_VARIABLE = "DATANADHI_TLS_KEY_STORE_PASSWORD";

    /** Bad usage: the message says what, and EchoPost exits with 2. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** The replay's TLS stores as given; null paths for the JVM's own. Passwords never from a flag. */
    static final class TlsStores {
        final Path trustStore;
        final String trustStoreType;
        final String trustStorePassword;
        final Path keyStore;
        final String keyStoreType;
        final String keyStorePassword;

        TlsStores(Path trustStore, String trustStoreType, String trustStorePassword, Path keyStore,
                String keyStoreType, String keyStorePassword) {
            this.trustStore = trustStore;
            this.trustStoreType = trustStoreType;
            this.trustStorePassword = trustStorePassword;
            this.keyStore = keyStore;
            this.keyStoreType = keyStoreType;
            this.keyStorePassword = keyStorePassword;
        }

        boolean any() {
            return trustStore != null || keyStore != null;
        }
    }

    final Path dir;
    final String healthUrl;
    /** Null when neither the environment nor the flag gave one. */
    final String apiKey;
    final String apiKeyHeader;
    final long maxDiskBytes;
    final long minFreeBytes;
    final int timeoutSeconds;
    final int maxInFlight;
    final TlsStores tls;
    final int idleTimeoutSeconds;
    final int handshakeTimeoutSeconds;

    private Options(Path dir, String healthUrl, String apiKey, String apiKeyHeader, long maxDiskBytes,
            long minFreeBytes, int timeoutSeconds, int maxInFlight, TlsStores tls, int idleTimeoutSeconds,
            int handshakeTimeoutSeconds) {
        this.dir = dir;
        this.healthUrl = healthUrl;
        this.apiKey = apiKey;
        this.apiKeyHeader = apiKeyHeader;
        this.maxDiskBytes = maxDiskBytes;
        this.minFreeBytes = minFreeBytes;
        this.timeoutSeconds = timeoutSeconds;
        this.maxInFlight = maxInFlight;
        this.tls = tls;
        this.idleTimeoutSeconds = idleTimeoutSeconds;
        this.handshakeTimeoutSeconds = handshakeTimeoutSeconds;
    }

    static Options parse(String[] args, Map<String, String> environment) throws UsageException {
        String dir = "./.datanadhi";
        String healthUrl = "http://data-nadhi-server:5000";
        String apiKey = null;
        String header = "x-datanadhi-api-key";
        long maxDiskMb = 1024;
        long minFreeMb = 64;
        int timeoutSeconds = 5;
        int maxInFlight = 256;
        String trustStore = null;
        String trustStoreType = null;
        String keyStore = null;
        String keyStoreType = null;
        int idleTimeoutSeconds = 300;
        int handshakeTimeoutSeconds = 10;
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
                case "timeout": timeoutSeconds = inRange(name, value, 1, 300, "a whole number of seconds"); break;
                case "max-in-flight": maxInFlight = inRange(name, value, 1, 4096, "a whole number of records"); break;
                case "tls-trust-store": trustStore = path(name, value); break;
                case "tls-trust-store-type": trustStoreType = storeType(name, value, "PKCS12", "JKS", "PEM"); break;
                case "tls-key-store": keyStore = path(name, value); break;
                case "tls-key-store-type": keyStoreType = storeType(name, value, "PKCS12", "JKS"); break;
                case "idle-timeout":
                    idleTimeoutSeconds = inRange(name, value, 1, 86_400, "a whole number of seconds");
                    break;
                case "handshake-timeout":
                    handshakeTimeoutSeconds = inRange(name, value, 1, 300, "a whole number of seconds");
                    break;
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
        try {
            HttpTarget.parse(healthUrl);
        } catch (IllegalArgumentException e) {
            throw new UsageException("-health-url must be an http:// or https:// URL: " + e.getMessage());
        }
        if (header.isBlank()) {
            throw new UsageException("-api-key-header must not be empty");
        }
        TlsStores tls = new TlsStores(
                trustStore == null ? null : Path.of(trustStore).toAbsolutePath().normalize(), trustStoreType,
                trustStore == null ? null : environment.get(TRUST_STORE_PASSWORD_VARIABLE),
                keyStore == null ? null : Path.of(keyStore).toAbsolutePath().normalize(), keyStoreType,
                keyStore == null ? null : environment.get(KEY_STORE_PASSWORD_VARIABLE));
        return new Options(Path.of(dir).toAbsolutePath().normalize(), healthUrl, apiKey, header,
                maxDiskMb * 1024 * 1024, minFreeMb * 1024 * 1024, timeoutSeconds, maxInFlight, tls, idleTimeoutSeconds,
                handshakeTimeoutSeconds);
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

    private static int inRange(String name, String value, int min, int max, String what) throws UsageException {
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new UsageException("invalid value \"" + value + "\" for flag -" + name + ": " + what + " from " + min
                + " to " + max);
    }

    private static String path(String name, String value) throws UsageException {
        if (value.isBlank()) {
            throw new UsageException("-" + name + " must name a file");
        }
        try {
            Path.of(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw new UsageException("invalid value \"" + value + "\" for flag -" + name + ": " + e.getReason());
        }
        return value;
    }

    private static String storeType(String name, String value, String... types) throws UsageException {
        String type = value.trim().toUpperCase(Locale.ROOT);
        if (!java.util.List.of(types).contains(type)) {
            throw new UsageException("invalid value \"" + value + "\" for flag -" + name + ": one of "
                    + String.join(", ", types));
        }
        return type;
    }
}
