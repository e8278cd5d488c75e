package io.datanadhi.agent;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Puts the bootstrap classes ({@code io/datanadhi/bootstrap/*} at the jar's root) into the
 * bootstrap class loader, where advice inlined into any class can reach them.
 *
 * <p>It defines them directly rather than appending the jar to the bootstrap search path: on JDK
 * 11 to 17 an appended bootstrap path makes the JVM print "Sharing is only supported for boot
 * loader classes because bootstrap classpath has been appended" on the application's stderr and
 * turns class data sharing off for application classes. Appending remains the fallback.
 *
 * <p>This class must not refer to any bootstrap class: resolving one before it is defined would
 * load it into the wrong class loader.
 */
final class BootstrapInjector {

    static final String BOOTSTRAP_PREFIX = "io/datanadhi/bootstrap/";

    private BootstrapInjector() {}

    /** Returns how the classes were made visible: "defined" or "appended". */
    static String inject(Instrumentation inst, File agentJar) throws IOException {
        try (JarFile jar = new JarFile(agentJar, false)) {
            Map<String, byte[]> classes = readBootstrapClasses(jar);
            try {
                defineInBootLoader(inst, classes);
                return "defined";
            } catch (Throwable e) {
                inst.appendToBootstrapClassLoaderSearch(new JarFile(agentJar, false));
                return "appended";
            }
        }
    }

    /**
     * Every class of the bootstrap module, by name: looked up one by one, because walking the
     * jar's 9 000 entries to find them cost the application's main thread about 8 ms in premain.
     * {@code BootstrapInjectorTest} fails when the module gains or loses a class.
     */
    static final List<String> BOOTSTRAP_CLASSES = List.of("CaptureSink", "CapturedEvent", "CaptureBridge",
            "CaptureBridge$1", "CaptureBridge$Lent", "CaptureBridge$ThreadState");

    static Map<String, byte[]> readBootstrapClasses(JarFile jar) throws IOException {
        Map<String, byte[]> classes = new LinkedHashMap<>();
        for (String simpleName : BOOTSTRAP_CLASSES) {
            JarEntry entry = jar.getJarEntry(BOOTSTRAP_PREFIX + simpleName + ".class");
            if (entry == null) {
                return scanBootstrapClasses(jar); // a jar built otherwise: find them the long way
            }
            classes.put(className(entry.getName()), read(jar, entry));
        }
        return classes;
    }

    private static Map<String, byte[]> scanBootstrapClasses(JarFile jar) throws IOException {
        Map<String, byte[]> classes = new LinkedHashMap<>();
        Enumeration<JarEntry> entries = jar.entries();
        while (entries.hasMoreElements()) {
            JarEntry entry = entries.nextElement();
            String name = entry.getName();
            if (name.startsWith(BOOTSTRAP_PREFIX) && name.endsWith(".class")) {
                classes.put(className(name), read(jar, entry));
            }
        }
        if (classes.isEmpty()) {
            throw new IOException("no bootstrap classes in " + jar.getName());
        }
        return classes;
    }

    private static String className(String entryName) {
        return entryName.substring(0, entryName.length() - ".class".length()).replace('/', '.');
    }

    private static byte[] read(JarFile jar, JarEntry entry) throws IOException {
        try (InputStream in = jar.getInputStream(entry)) {
            return in.readAllBytes();
        }
    }

    private static void defineInBootLoader(Instrumentation inst, Map<String, byte[]> classes) throws Exception {
        Module javaBase = Object.class.getModule();
        Module agent = BootstrapInjector.class.getModule();
        inst.redefineModule(javaBase, Set.of(), Map.of("jdk.internal.misc", Set.of(agent)),
                Map.of(), Set.of(), Map.of());

        // A class's supertypes must exist when it is defined; retry until every class is in.
        List<String> pending = new ArrayList<>(classes.keySet());
        while (!pending.isEmpty()) {
            List<String> failed = new ArrayList<>();
            Throwable last = null;
            for (String name : pending) {
                if (alreadyInBootLoader(name)) {
                    continue;
                }
                byte[] bytes = classes.get(name);
                try {
                    JdkInternals.defineInBootLoader(name, bytes);
                } catch (Throwable e) {
                    failed.add(name);
                    last = e;
                }
            }
            if (failed.size() == pending.size()) {
                throw new IllegalStateException("cannot define " + failed, last);
            }
            pending = failed;
        }
    }

    private static boolean alreadyInBootLoader(String name) {
        try {
            Class.forName(name, false, null);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
