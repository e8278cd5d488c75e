package io.datanadhi.agent;

/**
 * The JDK internals the agent calls in premain, called directly. Compiled on its own with
 * {@code --add-exports} for their packages; at run time the agent exports each package to itself
 * ({@link java.lang.instrument.Instrumentation#redefineModule}) before it first calls here.
 *
 * <p>Direct calls rather than reflection: from JDK 18 on, the first reflective call of a method
 * generates method handle classes for it, which cost the application's main thread 10 to 13 ms
 * for each of these in premain on JDK 25.
 */
final class JdkInternals {

    private JdkInternals() {}

    /** Defines a class in the bootstrap class loader. */
    static void defineInBootLoader(String name, byte[] bytes) {
        jdk.internal.misc.Unsafe.getUnsafe().defineClass(name, bytes, 0, bytes.length, null, null);
    }

    /**
     * Registers {@code work} in the JVM's shutdown slot {@code slot} (JDK 12 and later: the
     * package was {@code jdk.internal.misc} on JDK 11); throws IllegalStateException when the
     * slot is taken.
     */
    static void registerShutdownHook(int slot, Runnable work) {
        jdk.internal.access.SharedSecrets.getJavaLangAccess().registerShutdownHook(slot, false, work);
    }
}
