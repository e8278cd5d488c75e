package io.datanadhi.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ProxiesTest {

    private static Properties properties(String... pairs) {
        Properties properties = new Properties();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            properties.setProperty(pairs[i], pairs[i + 1]);
        }
        return properties;
    }

    private static String route(Proxies proxies, String url) {
        Proxies.Proxy proxy = proxies.forTarget(HttpTarget.parse(url));
        return proxy == null ? "direct" : proxy.host + ":" + proxy.port + (proxy.username == null ? "" : " as " + proxy.username);
    }

    @Test
    void theEnvironmentGivesAProxyPerSchemeWithCredentials() {
        Proxies proxies = Proxies.from(Map.of("HTTPS_PROXY", "http://user:s%40cret@proxy.corp:3128",
                "http_proxy", "plain.corp:8080"), new Properties());
        assertEquals("proxy.corp:3128 as user", route(proxies, "https://ingest.example.com"));
        assertEquals("s@cret", proxies.forTarget(HttpTarget.parse("https://ingest.example.com")).password);
        assertEquals("plain.corp:8080", route(proxies, "http://ingest.example.com:5000"));
        assertTrue(proxies.problems().isEmpty());
        assertTrue(!proxies.toString().contains("s@cret") && !proxies.toString().contains("cret"), proxies.toString());
    }

    @Test
    void lowerCaseVariablesWinAsWithCurl() {
        Proxies proxies = Proxies.from(Map.of("https_proxy", "http://lower:1", "HTTPS_PROXY", "http://upper:2"), new Properties());
        assertEquals("lower:1", route(proxies, "https://x.example"));
    }

    @Test
    void noProxyMatchesNamesSubdomainsAddressesRangesAndPorts() {
        Proxies proxies = Proxies.from(Map.of("HTTPS_PROXY", "http://p:1", "NO_PROXY",
                "internal.corp, .svc.cluster.local 10.0.0.0/8,192.168.1.7,example.org:8443"), new Properties());
        assertEquals("direct", route(proxies, "https://internal.corp"));
        assertEquals("direct", route(proxies, "https://api.internal.corp"));
        assertEquals("p:1", route(proxies, "https://notinternal.corp"));
        assertEquals("direct", route(proxies, "https://ingest.svc.cluster.local"));
        assertEquals("direct", route(proxies, "https://10.20.30.40"));
        assertEquals("p:1", route(proxies, "https://11.0.0.1"));
        assertEquals("direct", route(proxies, "https://192.168.1.7"));
        assertEquals("direct", route(proxies, "https://example.org:8443"));
        assertEquals("p:1", route(proxies, "https://example.org"));
        assertEquals("direct", route(Proxies.from(Map.of("HTTPS_PROXY", "http://p:1", "no_proxy", "*"), new Properties()),
                "https://anything"));
    }

    @Test
    void theJvmPropertiesWinOverTheEnvironmentAndBypassLocalhostByDefault() {
        Properties jvm = properties("https.proxyHost", "jvmproxy", "https.proxyPort", "8443");
        Proxies proxies = Proxies.from(Map.of("HTTPS_PROXY", "http://envproxy:1"), jvm);
        assertEquals("jvmproxy:8443", route(proxies, "https://ingest.example.com"));
        assertEquals("direct", route(proxies, "https://127.0.0.1:5000"));
        assertEquals("direct", route(proxies, "https://localhost:5000"));
        assertEquals("direct", route(proxies, "http://ingest.example.com"), "no http.proxyHost");
        Proxies patterns = Proxies.from(Map.of(), properties("http.proxyHost", "p", "http.nonProxyHosts", "*.corp|10.*"));
        assertEquals("direct", route(patterns, "http://a.b.corp"));
        assertEquals("direct", route(patterns, "http://10.1.2.3"));
        assertEquals("p:80", route(patterns, "http://127.0.0.1"), "an explicit list replaces the default");
    }

    @Test
    void unusableSettingsAreReportedAndIgnored() {
        Proxies proxies = Proxies.from(Map.of("HTTPS_PROXY", "socks5://s:1080", "HTTP_PROXY", "http://[bad"), new Properties());
        assertNull(proxies.forTarget(HttpTarget.parse("https://x.example")));
        assertNull(proxies.forTarget(HttpTarget.parse("http://x.example")));
        assertEquals(2, proxies.problems().size(), proxies.problems().toString());
        assertTrue(proxies.problems().get(0).contains("HTTPS_PROXY names a socks5:// proxy"), proxies.problems().toString());
        Proxies badPort = Proxies.from(Map.of(), properties("https.proxyHost", "p", "https.proxyPort", "http"));
        assertEquals("p:443", route(badPort, "https://x.example"));
        assertTrue(badPort.problems().get(0).contains("-Dhttps.proxyPort=http is not a port number"));
    }
}
