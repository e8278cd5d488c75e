package io.datanadhi.http;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A server as a base URL: {@code http://data-nadhi-server:5000}, {@code https://ingest.example.com/base}.
 * Request paths are appended to its path.
 */
public final class HttpTarget {

    private final String url;
    private final boolean tls;
    /** As it goes into the Host header and the proxy's CONNECT line: an IPv6 literal keeps its brackets. */
    private final String hostHeader;
    /** As it is connected to and verified against the certificate: without brackets. */
    private final String host;
    private final int port;
    private final String basePath;

    private HttpTarget(String url, boolean tls, String host, int port, String basePath) {
        this.url = url;
        this.tls = tls;
        this.host = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        this.port = port;
        boolean defaultPort = tls ? port == 443 : port == 80;
        String bracketed = this.host.indexOf(':') >= 0 ? "[" + this.host + "]" : this.host;
        this.hostHeader = defaultPort ? bracketed : bracketed + ":" + port;
        this.basePath = basePath;
    }

    /**
     * Parses an {@code http://} or {@code https://} base URL; a trailing slash is ignored.
     *
     * @throws IllegalArgumentException with a message that says what is wrong
     */
    public static HttpTarget parse(String baseUrl) {
        String text = baseUrl == null ? "" : baseUrl.trim();
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("\"" + text + "\" is not an http:// or https:// URL");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("\"" + text + "\" has no host name");
        }
        boolean tls = scheme.equals("https");
        int port = uri.getPort() > 0 ? uri.getPort() : (tls ? 443 : 80);
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String host = uri.getHost();
        String normalized = scheme + "://" + host + (uri.getPort() > 0 ? ":" + uri.getPort() : "") + path;
        return new HttpTarget(normalized, tls, host, port, path);
    }

    public boolean tls() {
        return tls;
    }

    /** The host name or address, IPv6 without brackets. */
    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** {@code host} or {@code host:port}, as in a Host header. */
    public String authority() {
        return hostHeader;
    }

    /** The origin-form request target for {@code path} ("/log", "/"), below the base path. */
    public String path(String path) {
        return basePath + path;
    }

    /** The absolute-form request target, as sent to an HTTP proxy. */
    public String absolute(String path) {
        return (tls ? "https://" : "http://") + hostHeader + basePath + path;
    }

    /** The base URL as configured, without a trailing slash. */
    @Override
    public String toString() {
        return url;
    }
}
