package io.datanadhi.agent.delivery;

import io.datanadhi.agent.AgentVersion;
import io.datanadhi.agent.config.AgentConfig;
import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.http.Endpoint;
import io.datanadhi.http.HttpTarget;
import io.datanadhi.http.Proxies;
import io.datanadhi.http.TlsSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * The primary and the fallback server as the agent reaches them: base URL, deadline, TLS stores,
 * proxy. Stores that cannot be used are reported once, naming the key and the reason, and the
 * JVM's own are used instead; proxy settings that cannot be used likewise (then: direct).
 */
public final class Servers {

    static final String USER_AGENT = "datanadhi-java-agent/" + AgentVersion.get();

    private final Endpoint primary;
    private final Endpoint fallback;
    private final Proxies proxies;

    private Servers(Endpoint primary, Endpoint fallback, Proxies proxies) {
        this.primary = primary;
        this.fallback = fallback;
        this.proxies = proxies;
    }

    /** From the configuration, this JVM's proxy properties and its environment; problems are reported. */
    public static Servers from(AgentConfig config) {
        return from(config, System.getenv(), System.getProperties(), true);
    }

    /** As {@link #from(AgentConfig)}; {@code report} false for a tool that shows problems its own way. */
    public static Servers from(AgentConfig config, Map<String, String> environment, Properties properties, boolean report) {
        Proxies proxies = Proxies.from(environment, properties);
        if (report) {
            for (String problem : proxies.problems()) {
                Diagnostics.warn("proxy_settings_invalid", problem);
            }
        }
        HttpTarget primaryTarget = HttpTarget.parse(config.serverHost());
        HttpTarget fallbackTarget = HttpTarget.parse(config.fallbackHost());
        Endpoint primary = Endpoint.of(primaryTarget, tls(config.tls(), primaryTarget, report), proxies, USER_AGENT,
                config.serverTimeout());
        Endpoint fallback = Endpoint.of(fallbackTarget, tls(config.fallbackTls(), fallbackTarget, report), proxies,
                USER_AGENT, FallbackServer.SEND_TIMEOUT);
        if (report && (primary.proxy() != null || fallback.proxy() != null)) {
            Diagnostics.info("proxy_in_use", "the Data Nadhi server " + primaryTarget + " is reached "
                    + (primary.proxy() == null ? "directly" : "through the proxy " + primary.proxy())
                    + ", the fallback " + fallbackTarget + " "
                    + (fallback.proxy() == null ? "directly" : "through " + fallback.proxy()));
        }
        return new Servers(primary, fallback, proxies);
    }

    /**
     * The stores as configured, each checked now when the server is an https:// one: one that
     * cannot be used is reported and replaced by the JVM's.
     */
    static TlsSettings tls(AgentConfig.TlsStores stores, HttpTarget target, boolean report) {
        if (stores.trustStore == null && stores.keyStore == null) {
            return TlsSettings.jvm();
        }
        Path trust = stores.trustStore == null ? null : Path.of(stores.trustStore);
        Path key = stores.keyStore == null ? null : Path.of(stores.keyStore);
        if (!target.tls()) {
            return TlsSettings.of(trust, stores.trustStorePassword, stores.trustStoreType, key, stores.keyStorePassword,
                    stores.keyStoreType);
        }
        if (trust != null) {
            try {
                TlsSettings.of(trust, stores.trustStorePassword, stores.trustStoreType, null, null, null).context();
            } catch (TlsSettings.Invalid e) {
                invalid(report, stores.keys + ".trust_store", e, "the JVM's trust store is used for " + target);
                trust = null;
            }
        }
        if (key != null) {
            try {
                TlsSettings.of(null, null, null, key, stores.keyStorePassword, stores.keyStoreType).context();
            } catch (TlsSettings.Invalid e) {
                invalid(report, stores.keys + ".key_store", e, "no client certificate is offered to " + target);
                key = null;
            }
        }
        return TlsSettings.of(trust, stores.trustStorePassword, stores.trustStoreType, key, stores.keyStorePassword,
                stores.keyStoreType);
    }

    private static void invalid(boolean report, String key, TlsSettings.Invalid e, String instead) {
        if (report) {
            Diagnostics.warn("tls_settings_invalid", key + ": " + e.getMessage() + "; " + instead, "key", key);
        }
    }

    /** Both servers reached directly, with the JVM's trust store: for tests. */
    static Servers direct(String primaryUrl, String fallbackUrl, Duration timeout) {
        Endpoint primary = Endpoint.of(HttpTarget.parse(primaryUrl), TlsSettings.jvm(), Proxies.none(), USER_AGENT, timeout);
        Endpoint fallback = Endpoint.of(HttpTarget.parse(fallbackUrl), TlsSettings.jvm(), Proxies.none(), USER_AGENT,
                FallbackServer.SEND_TIMEOUT);
        return new Servers(primary, fallback, Proxies.none());
    }

    public Endpoint primary() {
        return primary;
    }

    public Endpoint fallback() {
        return fallback;
    }

    public Proxies proxies() {
        return proxies;
    }

    /** The same servers with another deadline for the primary (a command-line tool's). */
    public Servers withPrimaryTimeout(Duration timeout) {
        return new Servers(primary.withTimeout(timeout), fallback, proxies);
    }
}
