package io.datanadhi.http;

import java.time.Duration;

/**
 * A server and how to reach it: its base URL, the TLS settings for an {@code https://} one, the
 * proxy (if any), the User-Agent, and the deadline of a request: from the moment it is handed to
 * a connection (connecting, the proxy tunnel and the TLS handshake included) to the last byte of
 * its response.
 */
public final class Endpoint {

    final HttpTarget target;
    final TlsSettings tls;
    /** Null: connect directly. */
    final Proxies.Proxy proxy;
    final String userAgent;
    final long timeoutNanos;

    private Endpoint(HttpTarget target, TlsSettings tls, Proxies.Proxy proxy, String userAgent, long timeoutNanos) {
        this.target = target;
        this.tls = tls;
        this.proxy = proxy;
        this.userAgent = userAgent;
        this.timeoutNanos = timeoutNanos;
    }

    public static Endpoint of(HttpTarget target, TlsSettings tls, Proxies proxies, String userAgent, Duration timeout) {
        return new Endpoint(target, tls == null ? TlsSettings.jvm() : tls,
                proxies == null ? null : proxies.forTarget(target), userAgent, timeout.toNanos());
    }

    public HttpTarget target() {
        return target;
    }

    public TlsSettings tls() {
        return tls;
    }

    /** The proxy records go through, as text without a password; null when direct. */
    public String proxy() {
        return proxy == null ? null : proxy.toString();
    }

    public Duration timeout() {
        return Duration.ofNanos(timeoutNanos);
    }

    /** The same server with another deadline. */
    public Endpoint withTimeout(Duration timeout) {
        return new Endpoint(target, tls, proxy, userAgent, timeout.toNanos());
    }

    @Override
    public String toString() {
        return target + (proxy == null ? "" : " through the proxy " + proxy);
    }
}
