package io.datanadhi.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathBuilderException;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.util.Collection;
import java.util.Locale;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a client checks the server and proves itself: a trust store (the JVM's own unless one is
 * named: PKCS12, JKS, or PEM certificates), and a key store with a client certificate for mutual
 * TLS (the JVM's {@code javax.net.ssl.keyStore} unless one is named). Host names are always
 * verified. Only this client uses these stores; the application's JVM-wide settings are never
 * changed.
 */
public final class TlsSettings {

    /** A store that cannot be used: its message names the file and why. */
    public static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final TlsSettings JVM = new TlsSettings(null, null, null, null, null, null);

    private final Path trustStore;
    private final String trustStorePassword;
    private final String trustStoreType;
    private final Path keyStore;
    private final String keyStorePassword;
    private final String keyStoreType;
    private volatile SSLContext context;

    private TlsSettings(Path trustStore, String trustStorePassword, String trustStoreType, Path keyStore,
            String keyStorePassword, String keyStoreType) {
        this.trustStore = trustStore;
        this.trustStorePassword = trustStorePassword;
        this.trustStoreType = trustStoreType;
        this.keyStore = keyStore;
        this.keyStorePassword = keyStorePassword;
        this.keyStoreType = keyStoreType;
    }

    /** The JVM's trust store and key store. */
    public static TlsSettings jvm() {
        return JVM;
    }

    /**
     * @param trustStore null for the JVM's
     * @param trustStoreType PKCS12, JKS or PEM; null to tell by the file's content
     * @param keyStore null for the JVM's ({@code javax.net.ssl.keyStore}, if set)
     */
    public static TlsSettings of(Path trustStore, String trustStorePassword, String trustStoreType, Path keyStore,
            String keyStorePassword, String keyStoreType) {
        if (trustStore == null && keyStore == null) {
            return JVM;
        }
        return new TlsSettings(trustStore, trustStorePassword, trustStoreType, keyStore, keyStorePassword,
                keyStoreType);
    }

    public boolean usesJvmTrustStore() {
        return trustStore == null;
    }

    public Path trustStore() {
        return trustStore;
    }

    public Path keyStore() {
        return keyStore;
    }

    /** "the trust store /etc/ca.p12" or "the JVM's trust store": where a certificate's CA must be. */
    public String trustSource() {
        return trustStore == null ? "the JVM's trust store" : "the trust store " + trustStore;
    }

    /** Made once; loading the stores is the expensive part. */
    public SSLContext context() throws Invalid {
        SSLContext current = context;
        if (current == null) {
            synchronized (this) {
                current = context;
                if (current == null) {
                    current = build();
                    context = current;
                }
            }
        }
        return current;
    }

    private SSLContext build() throws Invalid {
        TrustManager[] trust;
        KeyManager[] keys;
        try {
            TrustManagerFactory trustFactory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustFactory.init(trustStore == null ? null : load(trustStore, trustStorePassword, trustStoreType, "trust"));
            trust = trustFactory.getTrustManagers();
        } catch (GeneralSecurityException e) {
            throw new Invalid("the trust store " + trustStore + " cannot be used: " + e.getMessage(), e);
        }
        keys = keyManagers();
        try {
            SSLContext built = SSLContext.getInstance("TLS");
            built.init(keys, trust, null);
            return built;
        } catch (GeneralSecurityException e) {
            throw new Invalid("TLS cannot be set up: " + e.getMessage(), e);
        }
    }

    private KeyManager[] keyManagers() throws Invalid {
        Path store = keyStore;
        String password = keyStorePassword;
        String type = keyStoreType;
        if (store == null) {
            String jvmStore = System.getProperty("javax.net.ssl.keyStore");
            if (jvmStore == null || jvmStore.isEmpty() || jvmStore.equals("NONE")) {
                return null;
            }
            store = Path.of(jvmStore);
            password = System.getProperty("javax.net.ssl.keyStorePassword");
            type = System.getProperty("javax.net.ssl.keyStoreType");
        }
        try {
            KeyStore loaded = load(store, password, type, "key");
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(loaded, password == null ? new char[0] : password.toCharArray());
            return factory.getKeyManagers();
        } catch (GeneralSecurityException e) {
            throw new Invalid("the key store " + store + " cannot be used: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(Path file, String password, String type, String role) throws Invalid {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new Invalid("the " + role + " store " + file + " cannot be read: " + e, e);
        }
        String kind = type == null || type.isBlank() ? guessType(bytes) : type.trim().toUpperCase(Locale.ROOT);
        try {
            if (kind.equals("PEM")) {
                if (!role.equals("trust")) {
                    throw new Invalid("the key store " + file + " is PEM: a client certificate and its key must be"
                            + " a PKCS12 or JKS key store", null);
                }
                return pemTrustStore(bytes, file);
            }
            KeyStore store = KeyStore.getInstance(kind);
            try (InputStream in = new java.io.ByteArrayInputStream(bytes)) {
                store.load(in, password == null ? null : password.toCharArray());
            }
            return store;
        } catch (IOException e) {
            String reason = e.getCause() instanceof java.security.UnrecoverableKeyException
                    || String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("password")
                    ? "wrong password" : String.valueOf(e.getMessage());
            throw new Invalid("the " + role + " store " + file + " (" + kind + ") cannot be opened: " + reason, e);
        } catch (GeneralSecurityException e) {
            throw new Invalid("the " + role + " store " + file + " (" + kind + ") cannot be opened: " + e.getMessage(), e);
        }
    }

    private static String guessType(byte[] bytes) {
        String start = new String(bytes, 0, Math.min(bytes.length, 64), StandardCharsets.US_ASCII);
        if (start.contains("-----BEGIN")) {
            return "PEM";
        }
        if (bytes.length >= 4 && (bytes[0] & 0xFF) == 0xFE && (bytes[1] & 0xFF) == 0xED && (bytes[2] & 0xFF) == 0xFE
                && (bytes[3] & 0xFF) == 0xED) {
            return "JKS";
        }
        return "PKCS12";
    }

    private static KeyStore pemTrustStore(byte[] bytes, Path file) throws GeneralSecurityException, IOException, Invalid {
        Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                .generateCertificates(new java.io.ByteArrayInputStream(bytes));
        if (certificates.isEmpty()) {
            throw new Invalid("the trust store " + file + " holds no PEM certificate", null);
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate certificate : certificates) {
            store.setCertificateEntry("ca-" + i++, certificate);
        }
        return store;
    }

    /**
     * What a failed handshake means, in words: which check failed. {@code error} is the
     * handshake's exception (its causes are searched).
     */
    public String explain(Throwable error) {
        String all = messages(error).toLowerCase(Locale.ROOT);
        if (find(error, CertificateExpiredException.class) != null || all.contains("certificate expired")
                || all.contains("validity check failed")) {
            return "the server's certificate has expired or is not valid yet";
        }
        if (find(error, CertificateNotYetValidException.class) != null) {
            return "the server's certificate is not valid yet";
        }
        if (all.contains("no subject alternative") || all.contains("no name matching")) {
            return "the server's certificate is not for this host name (host name verification: " + firstLine(error) + ")";
        }
        if (find(error, CertPathBuilderException.class) != null || all.contains("pkix path")
                || all.contains("unable to find valid certification path")) {
            return "the server's certificate is not trusted: its CA is not in " + trustSource();
        }
        if (all.contains("certificate_required") || all.contains("bad_certificate")
                || all.contains("unknown_ca") && keyStore != null) {
            return "the server refused the client certificate, or requires one"
                    + (keyStore == null ? " and none is configured" : "") + " (" + firstLine(error) + ")";
        }
        if (all.contains("unrecognized ssl message") || all.contains("plaintext connection")) {
            return "the server does not speak TLS on this port (an http:// server?)";
        }
        if (all.contains("protocol_version") || all.contains("no appropriate protocol")) {
            return "the server and the client have no TLS version in common (" + firstLine(error) + ")";
        }
        return "the TLS handshake failed: " + firstLine(error);
    }

    static boolean isHandshakeFailure(Throwable error) {
        return find(error, SSLHandshakeException.class) != null
                || find(error, javax.net.ssl.SSLException.class) != null;
    }

    private static <T extends Throwable> T find(Throwable error, Class<T> type) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String messages(Throwable error) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            text.append(t.getClass().getName()).append(": ").append(t.getMessage()).append(" | ");
        }
        return text.toString();
    }

    private static String firstLine(Throwable error) {
        // The TLS exception's own words, however the client wrapped it (Netty's codec, a socket):
        // the same failure reads the same whichever connection met it.
        Throwable root = find(error, javax.net.ssl.SSLException.class);
        if (root == null || root.getMessage() == null) {
            root = error;
        }
        while (root.getCause() != null && root.getCause() != root && root.getMessage() == null) {
            root = root.getCause();
        }
        String message = String.valueOf(root.getMessage());
        int newline = message.indexOf('\n');
        return newline >= 0 ? message.substring(0, newline) : message;
    }
}
