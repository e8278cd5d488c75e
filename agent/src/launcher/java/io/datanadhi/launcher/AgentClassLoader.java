package io.datanadhi.launcher;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;
import java.util.Collections;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Loads the agent and its dependencies from {@code inst/} inside the agent jar, where classes are
 * stored as {@code *.classdata} so that no application class loader can load them.
 *
 * <p>Its parent is the platform class loader: the agent sees the JDK and the bootstrap classes,
 * never the application's classes, so the application's own Jackson, gRPC, Netty, protobuf or
 * ByteBuddy can never clash with ours.
 */
final class AgentClassLoader extends ClassLoader {

    static {
        registerAsParallelCapable();
    }

    private static final String HIDDEN = "inst/";
    /** EchoPost's own classes and resources; the rest of EchoPost is the agent's, under {@link #HIDDEN}. */
    static final String ECHOPOST = HIDDEN + "echopost/classes/";
    private static final String CLASS_SUFFIX = ".class";
    private static final String HIDDEN_CLASS_SUFFIX = ".classdata";
    private static final String BOOTSTRAP_PACKAGE = "io.datanadhi.bootstrap.";

    private final JarFile jar;
    private final String jarUrlPrefix;
    private final ProtectionDomain domain;
    private final boolean bootstrapFromJar;
    /** Where entries are looked up, in order. */
    private final String[] prefixes;
    /** The jar's version, given to EchoPost's packages (it prints it); null for the agent. */
    private final String packageVersion;

    /**
     * @param bootstrapFromJar load the bootstrap classes from the jar's root: only for the
     *     command-line tools, where no Instrumentation put them into the bootstrap class loader
     */
    AgentClassLoader(File jarPath, ClassLoader parent, boolean bootstrapFromJar) throws IOException {
        this(jarPath, parent, bootstrapFromJar, false);
    }

    /**
     * @param echoPost load EchoPost: its own classes first, then the agent's (gRPC, Netty,
     *     protobuf, Jackson), which it shares; so EchoPost runs straight from the agent jar
     */
    AgentClassLoader(File jarPath, ClassLoader parent, boolean bootstrapFromJar, boolean echoPost) throws IOException {
        super(parent);
        this.bootstrapFromJar = bootstrapFromJar;
        this.jar = new JarFile(jarPath, false);
        this.prefixes = echoPost ? new String[] {ECHOPOST, HIDDEN} : new String[] {HIDDEN};
        String version = null;
        if (echoPost && jar.getManifest() != null) {
            version = jar.getManifest().getMainAttributes().getValue("Implementation-Version");
        }
        this.packageVersion = version;
        URL jarUrl = jarPath.toURI().toURL();
        this.jarUrlPrefix = "jar:" + jarUrl.toExternalForm() + "!/";
        this.domain = new ProtectionDomain(new CodeSource(jarUrl, (Certificate[]) null), null, this, null);
    }

    /** Serves this loader's resource URLs from {@link #jar}. */
    private final URLStreamHandler openJar = new URLStreamHandler() {
        @Override
        protected URLConnection openConnection(URL url) throws IOException {
            String spec = url.toExternalForm();
            if (!spec.startsWith(jarUrlPrefix)) {
                throw new IOException("not an entry of " + jarUrlPrefix + ": " + spec);
            }
            final JarEntry entry = jar.getJarEntry(spec.substring(jarUrlPrefix.length()));
            if (entry == null) {
                throw new IOException("no entry " + spec);
            }
            return new URLConnection(url) {
                @Override
                public void connect() {
                    connected = true;
                }

                @Override
                public InputStream getInputStream() throws IOException {
                    return jar.getInputStream(entry);
                }

                @Override
                public long getContentLengthLong() {
                    return entry.getSize();
                }
            };
        }
    };

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        String path = name.replace('.', '/');
        JarEntry entry = hiddenEntry(path + CLASS_SUFFIX);
        if (entry == null && bootstrapFromJar && name.startsWith(BOOTSTRAP_PACKAGE)) {
            entry = jar.getJarEntry(path + CLASS_SUFFIX);
        }
        if (entry == null) {
            throw new ClassNotFoundException(name);
        }
        byte[] bytes;
        try {
            bytes = read(entry);
        } catch (IOException e) {
            throw new ClassNotFoundException(name, e);
        }
        definePackageOf(name);
        return defineClass(name, bytes, 0, bytes.length, domain);
    }

    @Override
    protected URL findResource(String name) {
        JarEntry entry = hiddenEntry(name);
        if (entry == null) {
            return null;
        }
        try {
            // Read through the jar this loader keeps open, not by its path: an upgrade may have
            // replaced or deleted the file since (Netty's native library is read this way).
            return new URL(null, jarUrlPrefix + entry.getName(), openJar);
        } catch (MalformedURLException e) {
            return null;
        }
    }

    @Override
    protected Enumeration<URL> findResources(String name) {
        URL url = findResource(name);
        return url == null ? Collections.<URL>emptyEnumeration() : Collections.enumeration(Collections.singletonList(url));
    }

    @Override
    public InputStream getResourceAsStream(String name) {
        // Read our own entries straight from the open jar; ByteBuddy reads advice bytecode here.
        if (getParent().getResource(name) == null) {
            JarEntry entry = hiddenEntry(name);
            if (entry != null) {
                try {
                    return jar.getInputStream(entry);
                } catch (IOException e) {
                    return null;
                }
            }
        }
        return super.getResourceAsStream(name);
    }

    /** The entry under the first prefix that has it, classes stored as {@code *.classdata}; or null. */
    private JarEntry hiddenEntry(String name) {
        if (name == null || name.isEmpty()) {
            return null;
        }
        if (name.startsWith("/")) {
            name = name.substring(1);
        }
        if (name.endsWith(CLASS_SUFFIX)) {
            name = name.substring(0, name.length() - CLASS_SUFFIX.length()) + HIDDEN_CLASS_SUFFIX;
        }
        for (String prefix : prefixes) {
            JarEntry entry = jar.getJarEntry(prefix + name);
            if (entry != null) {
                return entry;
            }
        }
        return null;
    }

    private byte[] read(JarEntry entry) throws IOException {
        InputStream in = jar.getInputStream(entry);
        try {
            long size = entry.getSize();
            if (size >= 0 && size < Integer.MAX_VALUE) {
                // Straight into an array of the entry's size: about 900 classes load at a
                // shipping start, and a buffer and a copy for each showed in its CPU profile.
                byte[] bytes = new byte[(int) size];
                int read = 0;
                int n;
                while (read < bytes.length && (n = in.read(bytes, read, bytes.length - read)) != -1) {
                    read += n;
                }
                if (read == bytes.length && in.read() == -1) {
                    return bytes;
                }
                throw new IOException(entry.getName() + ": " + read + " bytes or more where the jar says " + size);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) != -1) {
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } finally {
            in.close();
        }
    }

    @SuppressWarnings("deprecation")
    private void definePackageOf(String className) {
        int dot = className.lastIndexOf('.');
        if (dot <= 0) {
            return;
        }
        String pkg = className.substring(0, dot);
        if (getPackage(pkg) != null) {
            return;
        }
        try {
            definePackage(pkg, null, null, null, null, packageVersion, null, null);
        } catch (IllegalArgumentException alreadyDefinedConcurrently) {
            // Another thread defined it first: fine.
        }
    }
}
