package io.datanadhi.launcher;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
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
    private static final String CLASS_SUFFIX = ".class";
    private static final String HIDDEN_CLASS_SUFFIX = ".classdata";
    private static final String BOOTSTRAP_PACKAGE = "io.datanadhi.bootstrap.";

    private final JarFile jar;
    private final String jarUrlPrefix;
    private final ProtectionDomain domain;
    private final boolean bootstrapFromJar;

    /**
     * @param bootstrapFromJar load the bootstrap classes from the jar's root: only for the
     *     command-line tools, where no Instrumentation put them into the bootstrap class loader
     */
    AgentClassLoader(File jarPath, ClassLoader parent, boolean bootstrapFromJar) throws IOException {
        super(parent);
        this.bootstrapFromJar = bootstrapFromJar;
        this.jar = new JarFile(jarPath, false);
        URL jarUrl = jarPath.toURI().toURL();
        this.jarUrlPrefix = "jar:" + jarUrl.toExternalForm() + "!/";
        this.domain = new ProtectionDomain(new CodeSource(jarUrl, (Certificate[]) null), null, this, null);
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        String path = name.replace('.', '/');
        JarEntry entry = jar.getJarEntry(HIDDEN + path + HIDDEN_CLASS_SUFFIX);
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
        String entryName = hiddenEntryName(name);
        if (entryName == null || jar.getJarEntry(entryName) == null) {
            return null;
        }
        try {
            return new URL(jarUrlPrefix + entryName);
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
        String entryName = hiddenEntryName(name);
        if (entryName != null && getParent().getResource(name) == null) {
            JarEntry entry = jar.getJarEntry(entryName);
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

    private static String hiddenEntryName(String name) {
        if (name == null || name.isEmpty()) {
            return null;
        }
        if (name.startsWith("/")) {
            name = name.substring(1);
        }
        if (name.endsWith(CLASS_SUFFIX)) {
            return HIDDEN + name.substring(0, name.length() - CLASS_SUFFIX.length()) + HIDDEN_CLASS_SUFFIX;
        }
        return HIDDEN + name;
    }

    private byte[] read(JarEntry entry) throws IOException {
        InputStream in = jar.getInputStream(entry);
        try {
            long size = entry.getSize();
            ByteArrayOutputStream out = new ByteArrayOutputStream(size > 0 ? (int) size : 8192);
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
            definePackage(pkg, null, null, null, null, null, null, null);
        } catch (IllegalArgumentException alreadyDefinedConcurrently) {
            // Another thread defined it first: fine.
        }
    }
}
