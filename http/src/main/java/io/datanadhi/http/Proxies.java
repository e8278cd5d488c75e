package io.datanadhi.http;

import java.net.InetAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The HTTP proxies to use, from where Java applications and containers set them. The JVM's
 * properties first ({@code https.proxyHost}/{@code https.proxyPort},
 * {@code http.proxyHost}/{@code http.proxyPort}, bypassed for {@code http.nonProxyHosts}, by
 * default {@code localhost|127.*|[::1]} as in the JDK), then the environment
 * ({@code https_proxy}/{@code HTTPS_PROXY}, {@code http_proxy}/{@code HTTP_PROXY}, bypassed for
 * {@code no_proxy}/{@code NO_PROXY} as curl reads it). An {@code https://} server is reached
 * through a CONNECT tunnel; an {@code http://} one with absolute-form requests, as curl does.
 * Basic proxy authentication comes from the proxy URL's user info.
 */
public final class Proxies {

    /** One HTTP proxy. */
    public static final class Proxy {
        final String host;
        final int port;
        /** Null for none. */
        final String username;
        final String password;
        /** Where it came from: "HTTPS_PROXY", "-Dhttps.proxyHost". */
        final String source;

        Proxy(String host, int port, String username, String password, String source) {
            this.host = host;
            this.port = port;
            this.username = username;
            this.password = password;
            this.source = source;
        }

        /** {@code http://host:port}, with the user name but never the password; and where it was set. */
        @Override
        public String toString() {
            return "http://" + (username == null ? "" : username + "@") + host + ":" + port + " (" + source + ")";
        }
    }

    private static final Proxies NONE = new Proxies(null, null, null, List.of());
    private static final String JDK_DEFAULT_NON_PROXY_HOSTS = "localhost|127.*|[::1]";

    private final Proxy https;
    private final Proxy http;
    /** For a proxy from the JVM's properties: the JDK's patterns; from the environment: curl's entries. */
    private final Bypass bypass;
    private final List<String> problems;

    private Proxies(Proxy https, Proxy http, Bypass bypass, List<String> problems) {
        this.https = https;
        this.http = http;
        this.bypass = bypass;
        this.problems = problems;
    }

    public static Proxies none() {
        return NONE;
    }

    /** From the JVM's properties and the environment (as {@code System.getenv()} gives it). */
    public static Proxies from(Map<String, String> environment, Properties properties) {
        List<String> problems = new ArrayList<>();
        Proxy https = fromProperties(properties, "https", 443, problems);
        Proxy http = fromProperties(properties, "http", 80, problems);
        boolean propertiesUsed = https != null || http != null;
        String noProxy = null;
        if (!propertiesUsed) {
            https = fromEnvironment(environment, "https_proxy", problems);
            http = fromEnvironment(environment, "http_proxy", problems);
            noProxy = first(environment, "no_proxy", "NO_PROXY");
        }
        if (https == null && http == null && problems.isEmpty()) {
            return NONE; // and no bypass list compiled: its regexes cost a few ms of every start
        }
        Bypass bypass = propertiesUsed
                ? new JdkPatterns(properties.getProperty("http.nonProxyHosts", JDK_DEFAULT_NON_PROXY_HOSTS))
                : new NoProxyEntries(noProxy == null ? "" : noProxy);
        return new Proxies(https, http, bypass, Collections.unmodifiableList(problems));
    }

    /** Settings that could not be used, each a sentence naming the variable or property. */
    public List<String> problems() {
        return problems;
    }

    /** The proxy for {@code target}, or null to connect directly. */
    public Proxy forTarget(HttpTarget target) {
        Proxy proxy = target.tls() ? https : http;
        if (proxy == null || bypass.matches(target.host(), target.port())) {
            return null;
        }
        return proxy;
    }

    /** One line for a diagnostic: which proxies are set, never a password. */
    @Override
    public String toString() {
        if (https == null && http == null) {
            return "no proxy";
        }
        return "https: " + (https == null ? "direct" : https) + ", http: " + (http == null ? "direct" : http)
                + (bypass == null ? "" : ", bypassed for " + bypass);
    }

    private static Proxy fromProperties(Properties properties, String scheme, int defaultPort, List<String> problems) {
        String host = properties.getProperty(scheme + ".proxyHost");
        if (host == null || host.isBlank()) {
            return null;
        }
        String portText = properties.getProperty(scheme + ".proxyPort");
        int port = defaultPort;
        if (portText != null && !portText.isBlank()) {
            try {
                port = Integer.parseInt(portText.trim());
                if (port < 1 || port > 65535) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                problems.add("-D" + scheme + ".proxyPort=" + portText + " is not a port number; using " + defaultPort);
                port = defaultPort;
            }
        }
        return new Proxy(host.trim(), port, null, null, "-D" + scheme + ".proxyHost");
    }

    private static Proxy fromEnvironment(Map<String, String> environment, String lowerName, List<String> problems) {
        String upperName = lowerName.toUpperCase(Locale.ROOT);
        String name = environment.get(lowerName) != null && !environment.get(lowerName).isBlank() ? lowerName : upperName;
        String value = environment.get(name);
        if (value == null || value.isBlank()) {
            return null;
        }
        String text = value.trim();
        if (!text.contains("://")) {
            text = "http://" + text; // curl reads "proxy:3128" as an HTTP proxy
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (java.net.URISyntaxException e) {
            problems.add(name + " is not a valid proxy URL (" + e.getReason() + "); connecting directly");
            return null;
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http")) {
            problems.add(name + " names a " + scheme + ":// proxy; only http:// proxies are supported, so the"
                    + " agent connects directly");
            return null;
        }
        if (uri.getHost() == null) {
            problems.add(name + " has no host name; connecting directly");
            return null;
        }
        String username = null;
        String password = null;
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null && !userInfo.isEmpty()) {
            int colon = userInfo.indexOf(':');
            username = decode(colon >= 0 ? userInfo.substring(0, colon) : userInfo);
            password = colon >= 0 ? decode(userInfo.substring(colon + 1)) : "";
        }
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new Proxy(host, uri.getPort() > 0 ? uri.getPort() : 80, username, password, name);
    }

    private static String decode(String text) {
        return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String first(Map<String, String> environment, String... names) {
        for (String name : names) {
            String value = environment.get(name);
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }

    /** Hosts that are reached directly. */
    private interface Bypass {
        boolean matches(String host, int port);
    }

    /** The JDK's {@code http.nonProxyHosts}: {@code |}-separated, {@code *} at either end of a pattern. */
    private static final class JdkPatterns implements Bypass {
        private final String text;
        private final List<Pattern> patterns = new ArrayList<>();

        JdkPatterns(String text) {
            this.text = text;
            for (String entry : text.split("\\|")) {
                String pattern = entry.trim().toLowerCase(Locale.ROOT);
                if (pattern.isEmpty()) {
                    continue;
                }
                StringBuilder regex = new StringBuilder();
                String[] parts = pattern.split("\\*", -1);
                for (int i = 0; i < parts.length; i++) {
                    if (i > 0) {
                        regex.append(".*");
                    }
                    regex.append(Pattern.quote(parts[i]));
                }
                patterns.add(Pattern.compile(regex.toString()));
            }
        }

        @Override
        public boolean matches(String host, int port) {
            String name = host.toLowerCase(Locale.ROOT);
            String bracketed = name.indexOf(':') >= 0 ? "[" + name + "]" : name;
            for (Pattern pattern : patterns) {
                if (pattern.matcher(name).matches() || pattern.matcher(bracketed).matches()) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            return "http.nonProxyHosts " + text;
        }
    }

    /**
     * curl's {@code no_proxy}: comma- or space-separated; {@code *} for every host; a name matches
     * itself and its subdomains (a leading dot is optional); an IP address or a CIDR range matches
     * addresses; an entry may end with {@code :port}.
     */
    private static final class NoProxyEntries implements Bypass {
        private final String text;
        private final List<String> entries = new ArrayList<>();

        NoProxyEntries(String text) {
            this.text = text.trim();
            for (String entry : text.split("[,\\s]+")) {
                if (!entry.isBlank()) {
                    entries.add(entry.trim().toLowerCase(Locale.ROOT));
                }
            }
        }

        @Override
        public boolean matches(String host, int port) {
            String name = host.toLowerCase(Locale.ROOT);
            for (String raw : entries) {
                if (raw.equals("*")) {
                    return true;
                }
                String entry = raw;
                int entryPort = -1;
                int colon = entry.lastIndexOf(':');
                if (colon > 0 && entry.indexOf(':') == colon && !entry.contains("/")) { // name:port, not IPv6
                    try {
                        entryPort = Integer.parseInt(entry.substring(colon + 1));
                        entry = entry.substring(0, colon);
                    } catch (NumberFormatException ignored) {
                        // not a port
                    }
                }
                if (entryPort >= 0 && entryPort != port) {
                    continue;
                }
                if (entry.startsWith("[") && entry.endsWith("]")) {
                    entry = entry.substring(1, entry.length() - 1);
                }
                if (entry.contains("/")) {
                    if (inRange(name, entry)) {
                        return true;
                    }
                    continue;
                }
                String domain = entry.startsWith(".") ? entry.substring(1) : entry;
                if (name.equals(domain) || name.endsWith("." + domain)) {
                    return true;
                }
            }
            return false;
        }

        /** {@code host} is an IP literal inside {@code cidr}; names are not resolved for this. */
        private static boolean inRange(String host, String cidr) {
            if (!isIpLiteral(host)) {
                return false;
            }
            try {
                int slash = cidr.indexOf('/');
                byte[] network = InetAddress.getByName(cidr.substring(0, slash)).getAddress();
                byte[] address = InetAddress.getByName(host).getAddress();
                int bits = Integer.parseInt(cidr.substring(slash + 1));
                if (network.length != address.length || bits < 0 || bits > network.length * 8) {
                    return false;
                }
                for (int i = 0; i < bits; i++) {
                    int mask = 0x80 >>> (i % 8);
                    if ((network[i / 8] & mask) != (address[i / 8] & mask)) {
                        return false;
                    }
                }
                return true;
            } catch (UnknownHostException | NumberFormatException e) {
                return false;
            }
        }

        private static boolean isIpLiteral(String host) {
            return host.indexOf(':') >= 0 || host.matches("[0-9.]+");
        }

        @Override
        public String toString() {
            return "NO_PROXY " + text;
        }
    }
}
