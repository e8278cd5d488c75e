package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.http.testing.TestCertificates;
import io.datanadhi.http.testing.TestProxy;
import io.datanadhi.http.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent behind an HTTP proxy: {@code http://} servers get absolute-form requests through
 * {@code HTTP_PROXY}, {@code https://} ones a CONNECT tunnel through {@code HTTPS_PROXY};
 * {@code NO_PROXY} bypasses it; credentials come from the proxy URL, and a proxy that refuses them
 * is a {@code proxy_failed} diagnostic, never a refusal of the records. The JVM's
 * {@code -Dhttps.proxyHost} properties win over the environment.
 */
class ProxyTest {

    private static final int COUNT = 20;

    @TempDir
    Path dir;
    TestServer server;
    TestProxy proxy;
    EchoPostProcesses echoPosts;

    @BeforeEach
    void setUp() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        echoPosts = new EchoPostProcesses(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        echoPosts.killAll();
    }

    @Test
    void anHttpServerIsReachedThroughHttpProxyWithAbsoluteFormRequests() throws Exception {
        server = TestServer.start();
        proxy = TestProxy.start();
        AppRun.Result run = app().env("HTTP_PROXY", proxy.url()).run();

        assertAllArrived(run);
        assertTrue(proxy.requestLines().contains("POST " + server.url() + "/log"), proxy.toString());
        assertTrue(proxy.requestLines().stream().noneMatch(l -> l.startsWith("CONNECT")), proxy.toString());
        assertEquals(1, run.agentEvents("proxy_in_use").size(), run.agentLines().toString());
    }

    @Test
    void anHttpsServerIsReachedThroughAConnectTunnelFromHttpsProxy() throws Exception {
        server = httpsServer();
        proxy = TestProxy.start();
        AppRun.Result run = trusting(app()).env("HTTPS_PROXY", proxy.url()).run();

        assertAllArrived(run);
        assertTrue(proxy.requestLines().contains("CONNECT 127.0.0.1:" + server.port()), proxy.toString());
    }

    @Test
    void noProxyBypassesTheProxy() throws Exception {
        server = TestServer.start();
        proxy = TestProxy.start();
        AppRun.Result run = app().env("HTTP_PROXY", proxy.url()).env("HTTPS_PROXY", proxy.url())
                .env("NO_PROXY", "127.0.0.1").run();

        assertAllArrived(run);
        assertEquals(List.of(), proxy.requestLines(), "the proxy saw nothing");
    }

    @Test
    void proxyCredentialsFromTheUrlAreAccepted() throws Exception {
        server = httpsServer();
        proxy = TestProxy.withAuthentication("agent", "s3cret");
        AppRun.Result run = trusting(app()).env("HTTPS_PROXY", "http://agent:s3cret@127.0.0.1:" + proxy.port()).run();

        assertAllArrived(run);
        assertTrue(proxy.requestLines().contains("CONNECT 127.0.0.1:" + server.port()), proxy.toString());
        assertTrue(proxy.requestLines().stream().noneMatch(l -> l.startsWith("407")), proxy.toString());
        assertFalse(run.stderr.contains("s3cret") || run.stdout.contains("s3cret"), "the proxy password is never printed");
    }

    @Test
    void wrongProxyCredentialsAreAProxyFailureAndEveryRecordIsOnDisk() throws Exception {
        server = httpsServer();
        proxy = TestProxy.withAuthentication("agent", "s3cret");
        AppRun.Result run = trusting(app()).env("HTTPS_PROXY", "http://agent:wrong@127.0.0.1:" + proxy.port())
                .env("DATANADHI_ECHOPOST_DISABLE", "true").run();
        assertEquals(0, run.exitCode, run.toString());

        List<String> failures = run.agentEvents("proxy_failed");
        assertEquals(1, failures.size(), run.agentLines().toString());
        System.out.println("proxy: app ran " + run.millis + " ms; " + failures.get(0));
        assertTrue(failures.get(0).contains("\"level\":\"WARN\"") && failures.get(0).contains("407"), failures.get(0));
        assertTrue(proxy.requestLines().contains("407 CONNECT 127.0.0.1:" + server.port()), proxy.toString());
        assertEquals(List.of(), server.received(), "nothing reached the server");
        Ledger ledger = new Ledger().addDropped(dir, "");
        assertEquals(List.of(), ledger.missing(COUNT), "every record on disk: " + ledger + "\n" + run);
        assertEquals(0, ledger.duplicates(), ledger.toString());
        assertFalse(Ledger.droppedFiles(dir, "fallback_failed_").isEmpty(), ledger + "\n" + run.agentLines());
        assertEquals(List.of(), Ledger.droppedFiles(dir, "primary_failed_"), "a 407 is not a refusal of the records");
        assertEquals(List.of(), run.agentEvents("primary_rejected"), run.agentLines().toString());
        assertFalse(run.stderr.contains("wrong@") || run.stderr.contains(":wrong"), "the proxy password is never printed");
    }

    @Test
    void jvmProxyPropertiesWinOverTheEnvironment() throws Exception {
        server = httpsServer();
        proxy = TestProxy.start();
        AppRun.Result run = trusting(app())
                .jvm("-Dhttps.proxyHost=127.0.0.1", "-Dhttps.proxyPort=" + proxy.port(), "-Dhttp.nonProxyHosts=none.example")
                .env("HTTPS_PROXY", DeadServer.url()) // would lose everything if it were used
                .run();

        assertAllArrived(run);
        assertTrue(proxy.requestLines().contains("CONNECT 127.0.0.1:" + server.port()), proxy.toString());
    }

    private TestServer httpsServer() throws Exception {
        return TestServer.startTls(TestCertificates.get().server, false);
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

    private static AppRun trusting(AppRun app) throws Exception {
        return app.env("DATANADHI_TLS_TRUST_STORE", TestCertificates.get().trustStore.toString())
                .env("DATANADHI_TLS_TRUST_STORE_PASSWORD", TestCertificates.PASSWORD);
    }

    /** "{1=1, 2=1, 3=2, ...}": records per connection of the server, for a failure message. */
    private String byConnection() {
        return server.received().stream()
                .collect(Collectors.groupingBy(r -> r.connection, TreeMap::new, Collectors.counting())).toString();
    }

    private void assertAllArrived(AppRun.Result run) throws Exception {
        assertEquals(0, run.exitCode, run.toString());
        assertTrue(server.await(COUNT, 10_000), server.posts() + " arrived; " + proxy + "\n" + run);
        Ledger ledger = new Ledger().addServer("server", server);
        assertEquals(List.of(), ledger.missing(COUNT), ledger + "\n" + run);
        assertEquals(0, ledger.duplicates(), ledger + ", by connection " + byConnection() + "\n" + run.agentLines());
        assertTrue(server.received().stream().allMatch(r -> TestRules.API_KEY.equals(r.apiKey)), "the API key arrives");
        assertEquals(List.of(), Ledger.droppedFiles(dir, ""), run.agentLines().toString());
        assertEquals(List.of(), run.agentEvents("proxy_failed"), run.agentLines().toString());
    }
}
