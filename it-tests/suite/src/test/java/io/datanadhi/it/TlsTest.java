package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.http.testing.TestCertificates;
import io.datanadhi.http.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent and an {@code https://} server signed by a test CA that no JVM trusts: with the CA in
 * the agent's trust store (PKCS12 from the environment, PEM from config.yml or an agent argument)
 * records arrive; without it, or with a certificate for another host name, or without the client
 * certificate a server requires, one {@code tls_failed} warning says which check failed and every
 * record is on disk. Where records must go to disk, EchoPost is disabled and the fallback is down:
 * {@code dropped/fallback_failed_*}, quick and certain.
 */
class TlsTest {

    private static final int COUNT = 20;

    @TempDir
    Path dir;
    TestCertificates certificates;
    TestServer server;
    EchoPostProcesses echoPosts;

    @BeforeEach
    void setUp() throws Exception {
        certificates = TestCertificates.get();
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        echoPosts = new EchoPostProcesses(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
        echoPosts.killAll();
    }

    @Test
    void recordsArriveOverHttpsWithTheTrustStoreFromTheEnvironment() throws Exception {
        server = TestServer.startTls(certificates.server, false);
        AppRun.Result run = app()
                .env("DATANADHI_TLS_TRUST_STORE", certificates.trustStore.toString())
                .env("DATANADHI_TLS_TRUST_STORE_PASSWORD", TestCertificates.PASSWORD)
                .run();
        assertAllArrived(run);
        assertFalse(run.stdout.contains(TestCertificates.PASSWORD) || run.stderr.contains(TestCertificates.PASSWORD),
                "the trust store's password is never printed");
        assertFalse(Files.readString(dir.resolve(".config.resolved.json")).contains(TestCertificates.PASSWORD),
                "nor written to .config.resolved.json");
    }

    @Test
    void recordsArriveOverHttpsWithTheCaAsPemInConfigYml() throws Exception {
        server = TestServer.startTls(certificates.server, false);
        Files.writeString(dir.resolve("config.yml"), "server:\n  tls:\n    trust_store: " + certificates.caPem + "\n");
        AppRun.Result run = app().run();
        assertAllArrived(run);
    }

    @Test
    void anUntrustedServerGetsNothingOneWarningSaysSoAndEveryRecordIsOnDisk() throws Exception {
        server = TestServer.startTls(certificates.server, false);
        AppRun.Result run = toDisk(app()).run();
        assertEquals(0, run.exitCode, run.toString());

        String warning = onlyTlsWarning(run);
        assertTrue(warning.contains(server.url()) && warning.contains("not trusted"), warning);
        assertEverythingOnDisk(run);
    }

    @Test
    void aServerThatRequiresAClientCertificateGetsNothingWithoutOne() throws Exception {
        server = TestServer.startTls(certificates.server, true);
        AppRun.Result run = toDisk(app()).agentArgs("server.tls.trust_store=" + certificates.caPem).run();
        assertEquals(0, run.exitCode, run.toString());

        String warning = onlyTlsWarning(run);
        assertTrue(warning.contains(server.url()) && warning.contains("client certificate"), warning);
        assertEverythingOnDisk(run);
    }

    @Test
    void aServerThatRequiresAClientCertificateAcceptsTheOneFromTheKeyStore() throws Exception {
        server = TestServer.startTls(certificates.server, true);
        AppRun.Result run = app().agentArgs("server.tls.trust_store=" + certificates.caPem)
                .env("DATANADHI_TLS_KEY_STORE", certificates.client.keyStore.toString())
                .env("DATANADHI_TLS_KEY_STORE_PASSWORD", TestCertificates.PASSWORD)
                .run();
        assertAllArrived(run);
    }

    @Test
    void aCertificateForAnotherHostNameIsRefused() throws Exception {
        server = TestServer.startTls(certificates.wrongHost, false);
        AppRun.Result run = toDisk(app())
                .env("DATANADHI_TLS_TRUST_STORE", certificates.trustStore.toString())
                .env("DATANADHI_TLS_TRUST_STORE_PASSWORD", TestCertificates.PASSWORD)
                .run();
        assertEquals(0, run.exitCode, run.toString());

        String warning = onlyTlsWarning(run);
        assertTrue(warning.contains(server.url()) && warning.contains("not for this host name"), warning);
        assertEverythingOnDisk(run);
    }

    /** The JUL app logging {@link #COUNT} numbered records at once to the server; the fallback is down. */
    private AppRun app() {
        return AppRun.jul("sequence", Integer.toString(COUNT), "0").shippingTo(server.url(), dir)
                .env("DATANADHI_FALLBACK_SERVER_HOST", DeadServer.url())
                // Not a test of deadlines: twenty TLS handshakes at once in a cold JVM (one connection per
                // record in flight) can take longer than the default 5 s on a busy 2-core machine, and a
                // request that times out is sent again (a duplicate) or goes to EchoPost.
                .env("DATANADHI_SERVER_TIMEOUT", "30")
                .env("DATANADHI_EXIT_TIMEOUT", "30");
    }

    private static AppRun toDisk(AppRun app) {
        return app.env("DATANADHI_ECHOPOST_DISABLE", "true");
    }

    /** "{1=1, 2=1, 3=2, ...}": records per connection of the server, for a failure message. */
    private String byConnection() {
        return server.received().stream()
                .collect(Collectors.groupingBy(r -> r.connection, TreeMap::new, Collectors.counting())).toString();
    }

    private void assertAllArrived(AppRun.Result run) throws Exception {
        assertEquals(0, run.exitCode, run.toString());
        assertTrue(server.await(COUNT, 10_000), server.posts() + " arrived\n" + run);
        Ledger ledger = new Ledger().addServer("server", server);
        assertEquals(List.of(), ledger.missing(COUNT), ledger + "\n" + run);
        assertEquals(0, ledger.duplicates(), ledger + ", by connection " + byConnection() + "\n" + run.agentLines());
        assertEquals(List.of(), run.agentEvents("tls_failed"), run.agentLines().toString());
        assertEquals(List.of(), Ledger.droppedFiles(dir, ""));
    }

    /** The one {@code tls_failed} line, a WARN; fails when there are none or several. */
    private static String onlyTlsWarning(AppRun.Result run) {
        List<String> warnings = run.agentEvents("tls_failed");
        assertEquals(1, warnings.size(), "one tls_failed diagnostic: " + run.agentLines());
        assertTrue(warnings.get(0).contains("\"level\":\"WARN\""), warnings.get(0));
        System.out.println("tls: app ran " + run.millis + " ms; " + warnings.get(0));
        return warnings.get(0);
    }

    private void assertEverythingOnDisk(AppRun.Result run) throws Exception {
        assertEquals(List.of(), server.received(), "nothing reached the server");
        Ledger ledger = new Ledger().addDropped(dir, "");
        assertEquals(List.of(), ledger.missing(COUNT), "every record on disk: " + ledger + "\n" + run);
        assertEquals(0, ledger.duplicates(), ledger.toString());
        assertFalse(Ledger.droppedFiles(dir, "fallback_failed_").isEmpty(), ledger + "\n" + run.agentLines());
        assertEquals(List.of(), Ledger.droppedFiles(dir, "primary_failed_"), "a TLS failure is not a refusal");
        assertEquals(List.of(), run.agentEvents("dropped_write_failed"), run.agentLines().toString());
    }
}
