package io.datanadhi.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsStoresTest {

    @TempDir
    Path dir;

    private DiagnosticsCapture diagnostics;

    @BeforeEach
    void capture() {
        diagnostics = new DiagnosticsCapture();
    }

    @AfterEach
    void restore() {
        diagnostics.close();
    }

    @Test
    void theFallbackUsesThePrimarysStoresUnlessItHasItsOwn() {
        AgentConfig config = new Sources(dir)
                .env("DATANADHI_TLS_TRUST_STORE", "/etc/ca.p12")
                .env("DATANADHI_TLS_TRUST_STORE_PASSWORD", "trust secret")
                .env("DATANADHI_TLS_KEY_STORE", "/etc/client.p12")
                .env("DATANADHI_TLS_KEY_STORE_TYPE", "pkcs12")
                .configYml("server:\n  fallback_tls:\n    trust_store: /etc/other-ca.pem\n    trust_store_type: PEM\n")
                .resolve();
        AgentConfig.TlsStores primary = config.tls();
        assertEquals("/etc/ca.p12", primary.trustStore);
        assertEquals("trust secret", primary.trustStorePassword);
        assertEquals("PKCS12", primary.keyStoreType);
        AgentConfig.TlsStores fallback = config.fallbackTls();
        assertEquals("/etc/other-ca.pem", fallback.trustStore);
        assertNull(fallback.trustStorePassword, "its own store, its own password");
        assertEquals("PEM", fallback.trustStoreType);
        assertEquals("/etc/client.p12", fallback.keyStore, "the primary's client certificate");
        assertEquals("server.fallback_tls", fallback.keys);
    }

    @Test
    void passwordsAreNeverShownNotEvenInPart() throws Exception {
        AgentConfig config = new Sources(dir)
                .env("DATANADHI_TLS_TRUST_STORE_PASSWORD", "hunter2-hunter2-hunter2")
                .property("datanadhi.server.tls.key_store_password", "s3cr3t-s3cr3t-s3cr3t")
                .resolve();
        assertEquals("****", config.setting("server.tls.trust_store_password").value());
        assertEquals("****", config.setting("server.tls.key_store_password").value());
        assertTrue(ResolvedConfigWriter.write(config));
        String written = Files.readString(dir.resolve(".config.resolved.json"));
        assertFalse(written.contains("hunter2") || written.contains("s3cr3t"), written);
        JsonNode json = new ObjectMapper().readTree(written).path("config");
        assertEquals("****", json.path("server.tls.trust_store_password").path("value").asText());
        assertFalse(config.toString().contains("hunter2"));
    }

    @Test
    void timeoutAndWindowHaveTheirDefaults() {
        AgentConfig config = new Sources(dir).env("DATANADHI_API_KEY", "a-key-of-some-length").resolve();
        assertEquals(5, config.serverTimeout().getSeconds());
        assertEquals(256, config.maxInFlight());
        assertNull(config.tls().trustStore);
        assertEquals(0, diagnostics.events().size(), diagnostics.all());
    }
}
