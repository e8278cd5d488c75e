package io.datanadhi.agent.delivery;

import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.http.HttpFailure;
import java.util.concurrent.TimeUnit;

/**
 * What a failed request says about the way to a server, beyond "it is down": a TLS handshake
 * that fails (which check) or a proxy that refuses. One diagnostic when the reason first shows
 * or changes, then at most one a minute while it lasts: every record would otherwise repeat it.
 */
final class ConnectionProblems {

    private static final long REPEAT_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final String role;
    private final String tlsKeys;
    private String lastMessage;
    private long lastReportNanos;

    /** @param role the server, for the diagnostic's field; {@code tlsKeys} "server.tls" or "server.fallback_tls" */
    ConnectionProblems(String role, String tlsKeys) {
        this.role = role;
        this.tlsKeys = tlsKeys;
    }

    /** Looks at a request's failure; reports it when it is about TLS or the proxy. */
    void seen(Throwable error) {
        if (error == null) {
            return;
        }
        HttpFailure failure = HttpFailure.of(error);
        if (failure.kind() == HttpFailure.Kind.TLS) {
            report("tls_failed", failure.getMessage() + hint(failure.getMessage()));
        } else if (failure.kind() == HttpFailure.Kind.PROXY) {
            report("proxy_failed", failure.getMessage());
        }
        // The message names the server already ("TLS with https://... failed: ...").
    }

    private synchronized void report(String event, String message) {
        long now = System.nanoTime();
        if (message.equals(lastMessage) && now - lastReportNanos < REPEAT_NANOS) {
            return;
        }
        lastMessage = message;
        lastReportNanos = now;
        Diagnostics.warn(event, message, "server", role);
    }

    private String hint(String message) {
        if (message.contains("is not trusted")) {
            return "; set " + tlsKeys + ".trust_store to a trust store holding the CA that signed it";
        }
        if (message.contains("not for this host name")) {
            return "; the URL must name a host the certificate is for";
        }
        if (message.contains("client certificate")) {
            return "; set " + tlsKeys + ".key_store to a key store with a certificate the server accepts";
        }
        return "";
    }
}
