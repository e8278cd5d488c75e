package io.datanadhi.echopost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.http.testing.TestCertificates;
import io.datanadhi.http.testing.TestProxy;
import io.datanadhi.http.testing.TestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replay to an {@code https://} server with EchoPost's own trust store (its password only in the
 * environment), one clear event when TLS fails or a store cannot be opened, and replay through an
 * HTTP proxy from the usual variables: a CONNECT tunnel for {@code https://}, absolute-form
 * requests for {@code http://}, none for a host in NO_PROXY.
 */
class ReplayTlsAndProxyIT {

    static final String KEY = PipelinedReplayIT.KEY;
    static final String TRUST_PASSWORD = "DATANADHI_TLS_TRUST_STORE_PASSWORD";

    @TempDir
    Path dir;

    @Test
    void tlsFailuresAreReportedOnceAndTheRecordsKeptUntilTheTrustStoreIsGivenThenTheyArriveThroughAnHttpsProxy()
            throws Exception {
        TestCertificates certificates = TestCertificates.get();
        try (TestServer server = TestServer.startTls(certificates.server, false); TestProxy proxy = TestProxy.start()) {
            List<String> ids = new ArrayList<>();
            // The JVM's trust store does not hold the test CA: one event says so, however many checks fail.
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url())
                    .env("DATANADHI_API_KEY", KEY).startReady()) {
                ids.addAll(PipelinedReplayIT.storeNumbered(echo, "t", 5, 0));
                PipelinedReplayIT.awaitEvents(echo, "tls_failed", 1, 20_000);
                Thread.sleep(1_500); // three more health checks, failing the same way
                List<Map<String, String>> failures = echo.eventFields("tls_failed");
                assertEquals(1, failures.size(), echo.output());
                String message = failures.get(0).get("message");
                assertTrue(message.contains(server.url()) && message.contains("not trusted"), message);
                assertEquals("WARN", failures.get(0).get("level"));
                echo.sigterm();
                assertEquals(0, echo.awaitExit(20_000), echo.output());
                assertEquals("5", echo.eventFields("exiting").get(0).get("backlog"), "the records are kept");
            }
            // A trust store that cannot be opened: reported, and records are still taken.
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url())
                    .arg("-tls-trust-store", certificates.trustStore.toString()).env(TRUST_PASSWORD, "not-the-password")
                    .env("DATANADHI_API_KEY", KEY).startReady()) {
                PipelinedReplayIT.awaitEvents(echo, "tls_settings_invalid", 1, 10_000);
                Map<String, String> invalid = echo.eventFields("tls_settings_invalid").get(0);
                assertEquals(certificates.trustStore.toString(), invalid.get("file"));
                assertTrue(invalid.get("message").contains("wrong password"), invalid.toString());
                ids.addAll(PipelinedReplayIT.storeNumbered(echo, "u", 1, 0));
                echo.sigterm();
                assertEquals(0, echo.awaitExit(20_000), echo.output());
            }
            assertEquals(List.of(), server.received(), "nothing sent without a trusted certificate");

            // With the trust store (its password in the environment), through a CONNECT tunnel.
            try (EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url())
                    .arg("-tls-trust-store", certificates.trustStore.toString())
                    .env(TRUST_PASSWORD, TestCertificates.PASSWORD).env("HTTPS_PROXY", proxy.url())
                    .env("DATANADHI_API_KEY", KEY).startReady()) {
                assertEquals(0, echo.awaitExit(30_000), echo.output());
                assertEquals(List.of(), echo.events("tls_failed"), echo.output());
                assertTrue(echo.eventFields("started").get(0).get("proxy").contains(proxy.url()), echo.output());
            }
            assertEquals(ids, idsOf(server.received()), "every kept record, in order, once");
            assertTrue(proxy.requestLines().contains("CONNECT 127.0.0.1:" + server.port()), proxy.requestLines().toString());
        }
    }

    @Test
    void anHttpServerIsReachedThroughHttpProxyWithAbsoluteFormRequestsAndNoProxyBypassesIt() throws Exception {
        try (TestServer plain = TestServer.start(); TestProxy proxy = TestProxy.start()) {
            // http://: absolute-form requests to the proxy.
            Map<String, String> started = replay(dir.resolve("http"), plain, Map.of("HTTP_PROXY", proxy.url()), "a");
            assertTrue(started.get("proxy").contains(proxy.url()), started.toString());
            List<String> lines = proxy.requestLines();
            assertTrue(lines.contains("POST " + plain.url() + "/log"), lines.toString());
            assertTrue(lines.contains("GET " + plain.url() + "/"), lines.toString());

            // NO_PROXY: straight to the server.
            int seen = proxy.requestLines().size();
            started = replay(dir.resolve("bypass"), plain, Map.of("HTTP_PROXY", proxy.url(), "NO_PROXY",
                    "localhost,127.0.0.1"), "c");
            assertEquals("none", started.get("proxy"));
            assertEquals(seen, proxy.requestLines().size(), "the proxy saw nothing more: " + proxy.requestLines());
            assertEquals(List.of("a0", "a1", "a2", "c0", "c1", "c2"), idsOf(plain.received()));
        }
    }

    /** Starts EchoPost for {@code server}, stores three records, waits until it drains; its started event. */
    private static Map<String, String> replay(Path home, TestServer server, Map<String, String> environment,
            String prefix) throws Exception {
        EchoPostProcess.Builder builder = EchoPostProcess.in(home).healthUrl(server.url()).env("DATANADHI_API_KEY", KEY);
        environment.forEach(builder::env);
        server.healthStatus.set(503); // down until the records are stored, so that EchoPost waits for them
        try (EchoPostProcess echo = builder.startReady()) {
            PipelinedReplayIT.storeNumbered(echo, prefix, 3, 0);
            server.healthStatus.set(200);
            assertEquals(0, echo.awaitExit(30_000), echo.output());
            assertEquals(List.of(), echo.events("replay_interrupted"), echo.output());
            return echo.eventFields("started").get(0);
        }
    }

    private static List<String> idsOf(List<TestServer.Received> received) {
        return received.stream().map(r -> ReplayServer.id(r.text())).collect(Collectors.toList());
    }
}
