package io.datanadhi.http;

import static io.datanadhi.http.Clients.answer;
import static io.datanadhi.http.Clients.failure;
import static io.datanadhi.http.Clients.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.http.testing.TestCertificates;
import io.datanadhi.http.testing.TestProxy;
import io.datanadhi.http.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProxyTest {

    private final HttpTransport transport = Clients.transport();

    @AfterEach
    void stop() {
        transport.close();
    }

    private ConnectionPool pool(TestServer server, String proxyUrl, TlsSettings tls) {
        Proxies proxies = Proxies.from(Map.of("HTTPS_PROXY", proxyUrl, "HTTP_PROXY", proxyUrl), new Properties());
        return new ConnectionPool(transport, Endpoint.of(HttpTarget.parse(server.url()), tls, proxies, "test",
                Duration.ofSeconds(10)), 4);
    }

    @Test
    void anHttpServerIsReachedWithAbsoluteFormRequestsThroughTheProxy() throws Exception {
        try (TestServer server = TestServer.start(); TestProxy proxy = TestProxy.start()) {
            ConnectionPool pool = pool(server, proxy.url(), TlsSettings.jvm());
            for (int i = 0; i < 3; i++) {
                assertEquals(200, answer(pool.send(post("{}"))).status);
            }
            assertEquals(3, server.posts());
            assertEquals(List.of("POST " + server.url() + "/log"), proxy.requestLines(), "one connection, kept alive");
        }
    }

    @Test
    void anHttpsServerIsReachedThroughAConnectTunnel() throws Exception {
        TestCertificates certificates = TestCertificates.get();
        try (TestServer server = TestServer.startTls(certificates.server, false); TestProxy proxy = TestProxy.start()) {
            TlsSettings tls = TlsSettings.of(certificates.trustStore, TestCertificates.PASSWORD, null, null, null, null);
            assertEquals(200, answer(pool(server, proxy.url(), tls).send(post("{}"))).status);
            assertEquals(List.of("CONNECT 127.0.0.1:" + server.port()), proxy.requestLines());
        }
    }

    @Test
    void proxyCredentialsComeFromTheProxyUrl() throws Exception {
        TestCertificates certificates = TestCertificates.get();
        TlsSettings tls = TlsSettings.of(certificates.trustStore, TestCertificates.PASSWORD, null, null, null, null);
        try (TestServer plain = TestServer.start(); TestServer secure = TestServer.startTls(certificates.server, false);
                TestProxy proxy = TestProxy.withAuthentication("agent", "p@ss:word")) {
            String withCredentials = "http://agent:p%40ss%3Aword@127.0.0.1:" + proxy.port();
            assertEquals(200, answer(pool(plain, withCredentials, TlsSettings.jvm()).send(post("{}"))).status);
            assertEquals(200, answer(pool(secure, withCredentials, tls).send(post("{}"))).status);

            HttpFailure plainRefused = failure(pool(plain, proxy.url(), TlsSettings.jvm()).send(post("{}")));
            assertEquals(HttpFailure.Kind.PROXY, plainRefused.kind(), plainRefused.getMessage());
            assertTrue(plainRefused.getMessage().contains("407"), plainRefused.getMessage());
            HttpFailure tunnelRefused = failure(pool(secure, proxy.url(), tls).send(post("{}")));
            assertEquals(HttpFailure.Kind.PROXY, tunnelRefused.kind(), tunnelRefused.getMessage());
            assertTrue(tunnelRefused.getMessage().contains("407"), tunnelRefused.getMessage());
            assertEquals(1, plain.posts());
            assertEquals(1, secure.posts());
        }
    }

    @Test
    void noProxyBypassesTheProxy() throws Exception {
        try (TestServer server = TestServer.start(); TestProxy proxy = TestProxy.start()) {
            Proxies proxies = Proxies.from(Map.of("HTTP_PROXY", proxy.url(), "NO_PROXY", "localhost,127.0.0.1"), new Properties());
            ConnectionPool pool = new ConnectionPool(transport, Endpoint.of(HttpTarget.parse(server.url()), null, proxies,
                    "test", Duration.ofSeconds(10)), 4);
            assertEquals(200, answer(pool.send(post("{}"))).status);
            assertEquals(List.of(), proxy.requestLines());
        }
    }
}
