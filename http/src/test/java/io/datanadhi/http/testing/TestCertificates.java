package io.datanadhi.http.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A certificate authority made for tests with the JDK's {@code keytool}, and the stores a test
 * needs: a trust store with the CA (PKCS12, and the CA as PEM), a server certificate for
 * 127.0.0.1 and localhost, one for another host name, and a client certificate. Made once (a
 * score of {@code keytool} runs) into {@code java.io.tmpdir}, and used by every test JVM after
 * that while it is valid for another day.
 */
public final class TestCertificates {

    public static final String PASSWORD = "test-pass";
    /** Leaf certificates are signed for as long (keytool's -gencert does not outlive its CA). */
    private static final String VALIDITY_DAYS = "30";

    /** A key store holding one key and its certificate chain. */
    public static final class KeyPair {
        public final Path keyStore;
        private final Path trustStore;

        KeyPair(Path keyStore, Path trustStore) {
            this.keyStore = keyStore;
            this.trustStore = trustStore;
        }

        /** A server-side TLS context: this key, and the CA to check client certificates against. */
        SSLContext serverContext() {
            try {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(keyStore)) {
                    keys.load(in, PASSWORD.toCharArray());
                }
                KeyManagerFactory keyFactory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keyFactory.init(keys, PASSWORD.toCharArray());
                KeyStore trust = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(trustStore)) {
                    trust.load(in, PASSWORD.toCharArray());
                }
                TrustManagerFactory trustFactory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trustFactory.init(trust);
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(keyFactory.getKeyManagers(), trustFactory.getTrustManagers(), null);
                return context;
            } catch (Exception e) {
                throw new IllegalStateException("cannot load " + keyStore + ": " + e, e);
            }
        }
    }

    private static TestCertificates made;

    public final Path dir;
    /** PKCS12, password {@link #PASSWORD}, holding only the CA. */
    public final Path trustStore;
    /** The CA certificate as PEM. */
    public final Path caPem;
    /** For 127.0.0.1 and localhost. */
    public final KeyPair server;
    /** For wrong.example only. */
    public final KeyPair wrongHost;
    /** A client certificate signed by the CA, for mutual TLS. */
    public final KeyPair client;

    private TestCertificates(Path dir, boolean make) throws IOException, InterruptedException {
        this.dir = dir;
        this.caPem = dir.resolve("ca.pem");
        this.trustStore = dir.resolve("trust.p12");
        if (!make) {
            this.server = new KeyPair(dir.resolve("server.p12"), trustStore);
            this.wrongHost = new KeyPair(dir.resolve("wrong.p12"), trustStore);
            this.client = new KeyPair(dir.resolve("client.p12"), trustStore);
            return;
        }
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=Data Nadhi test CA",
                "-ext", "bc:c", "-validity", VALIDITY_DAYS, "-keystore", store("ca.p12"), "-storetype", "PKCS12");
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", store("ca.p12"), "-file", caPem.toString());
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", trustStore.toString(),
                "-storetype", "PKCS12");
        // The three are independent: side by side, each a chain of keytool runs.
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            java.util.concurrent.Future<KeyPair> server = pool.submit(() -> signed("server", "CN=localhost",
                    "san=ip:127.0.0.1,dns:localhost"));
            java.util.concurrent.Future<KeyPair> wrongHost = pool.submit(() -> signed("wrong", "CN=wrong.example",
                    "san=dns:wrong.example"));
            java.util.concurrent.Future<KeyPair> client = pool.submit(() -> signed("client", "CN=test client", null));
            this.server = server.get();
            this.wrongHost = wrongHost.get();
            this.client = client.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("keytool: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** The certificates, made on first use or taken from an earlier run while valid. */
    public static synchronized TestCertificates get() throws IOException, InterruptedException {
        if (made == null) {
            Path shared = Path.of(System.getProperty("java.io.tmpdir"), "datanadhi-test-ca-1");
            if (stillValid(shared)) {
                made = new TestCertificates(shared, false);
            } else {
                Path fresh = Files.createTempDirectory("datanadhi-test-ca");
                made = new TestCertificates(fresh, true);
                Files.writeString(fresh.resolve("complete"), "");
                try {
                    deleteTree(shared);
                    Files.move(fresh, shared, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    made = new TestCertificates(shared, false);
                } catch (IOException raced) {
                    // another JVM put its own there first: ours stays where it was made
                }
            }
        }
        return made;
    }

    private static boolean stillValid(Path dir) {
        try {
            if (!Files.exists(dir.resolve("complete"))) {
                return false;
            }
            java.security.cert.X509Certificate ca;
            try (InputStream in = Files.newInputStream(dir.resolve("ca.pem"))) {
                ca = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(in);
            }
            return ca.getNotAfter().getTime() > System.currentTimeMillis() + TimeUnit.DAYS.toMillis(1);
        } catch (Exception e) {
            return false;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
            for (Path path : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        }
    }

    private KeyPair signed(String name, String dname, String san) throws IOException, InterruptedException {
        String keyStore = store(name + ".p12");
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", dname,
                "-validity", VALIDITY_DAYS, "-keystore", keyStore, "-storetype", "PKCS12");
        Path request = dir.resolve(name + ".csr");
        keytool("-certreq", "-alias", name, "-keystore", keyStore, "-file", request.toString());
        Path certificate = dir.resolve(name + ".pem");
        List<String> sign = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", store("ca.p12"),
                "-infile", request.toString(), "-outfile", certificate.toString(), "-validity", VALIDITY_DAYS));
        if (san != null) {
            sign.add("-ext");
            sign.add(san);
        }
        keytool(sign.toArray(new String[0]));
        // The CA first, so that the signed certificate is installed with its chain.
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", keyStore);
        keytool("-importcert", "-noprompt", "-alias", name, "-file", certificate.toString(), "-keystore", keyStore);
        return new KeyPair(Path.of(keyStore), trustStore);
    }

    private String store(String name) {
        return dir.resolve(name).toString();
    }

    private void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        command.add("-storepass");
        command.add(PASSWORD);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("keytool did not finish: " + command);
        }
        if (process.exitValue() != 0) {
            throw new IOException("keytool failed (" + process.exitValue() + "): " + command + "\n" + output);
        }
    }
}
