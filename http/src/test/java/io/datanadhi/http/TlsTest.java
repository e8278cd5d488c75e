package io.datanadhi.http;

import static io.datanadhi.http.Clients.answer;
import static io.datanadhi.http.Clients.failure;
import static io.datanadhi.http.Clients.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.http.testing.TestCertificates;
import io.datanadhi.http.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsTest {

    static TestCertificates certificates;
    private final HttpTransport transport = Clients.transport();

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = TestCertificates.get();
    }

    @AfterEach
    void stop() {
        transport.close();
    }

    private ConnectionPool pool(TestServer server, TlsSettings tls) {
        return new ConnectionPool(transport, Endpoint.of(HttpTarget.parse(server.url()), tls, Proxies.none(), "test",
                Duration.ofSeconds(10)), 4);
    }

    private static TlsSettings trusting(Path store) {
        return TlsSettings.of(store, TestCertificates.PASSWORD, null, null, null, null);
    }

    @Test
    void aServerSignedByTheConfiguredCaIsTrusted() throws Exception {
        try (TestServer server = TestServer.startTls(certificates.server, false)) {
            assertEquals(200, answer(pool(server, trusting(certificates.trustStore)).send(post("{}"))).status);
            assertEquals(200, answer(pool(server, trusting(certificates.caPem)).send(post("{}"))).status, "PEM");
            assertEquals(2, server.posts());
        }
    }

    @Test
    void withoutTheCaTheCertificateIsNotTrustedAndNothingIsSent() throws Exception {
        try (TestServer server = TestServer.startTls(certificates.server, false)) {
            HttpFailure failure = failure(pool(server, TlsSettings.jvm()).send(post("{}")));
            assertEquals(HttpFailure.Kind.TLS, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains("not trusted: its CA is not in the JVM's trust store"),
                    failure.getMessage());
            assertEquals(0, server.posts());
        }
    }

    @Test
    void aCertificateForAnotherHostNameIsRefused() throws Exception {
        try (TestServer server = TestServer.startTls(certificates.wrongHost, false)) {
            HttpFailure failure = failure(pool(server, trusting(certificates.trustStore)).send(post("{}")));
            assertEquals(HttpFailure.Kind.TLS, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains("not for this host name"), failure.getMessage());
            assertEquals(0, server.posts());
        }
    }

    @Test
    void mutualTlsNeedsTheClientCertificate() throws Exception {
        try (TestServer server = TestServer.startTls(certificates.server, true)) {
            HttpFailure failure = failure(pool(server, trusting(certificates.trustStore)).send(post("{}")));
            assertEquals(HttpFailure.Kind.TLS, failure.kind(), failure.getMessage());

            TlsSettings withClientCertificate = TlsSettings.of(certificates.trustStore, TestCertificates.PASSWORD, "PKCS12",
                    certificates.client.keyStore, TestCertificates.PASSWORD, "PKCS12");
            assertEquals(200, answer(pool(server, withClientCertificate).send(post("{}"))).status);
            assertEquals(1, server.posts());
        }
    }

    @Test
    void aStoreThatCannotBeOpenedSaysWhy(@TempDir Path dir) throws Exception {
        TlsSettings.Invalid wrongPassword = assertThrows(TlsSettings.Invalid.class,
                () -> TlsSettings.of(certificates.trustStore, "not-the-password", null, null, null, null).context());
        assertTrue(wrongPassword.getMessage().contains(certificates.trustStore + " (PKCS12) cannot be opened: wrong password"),
                wrongPassword.getMessage());
        TlsSettings.Invalid missing = assertThrows(TlsSettings.Invalid.class,
                () -> TlsSettings.of(dir.resolve("nope.p12"), "x", null, null, null, null).context());
        assertTrue(missing.getMessage().contains("cannot be read"), missing.getMessage());
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n");
        TlsSettings.Invalid bad = assertThrows(TlsSettings.Invalid.class,
                () -> TlsSettings.of(garbage, null, null, null, null, null).context());
        assertTrue(bad.getMessage().contains(garbage.toString()), bad.getMessage());
    }
}
