package io.datanadhi.launcher;

import java.io.File;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.lang.reflect.Method;
import java.net.URI;
import java.util.function.Consumer;

/**
 * The agent's front door: Premain-Class, Agent-Class and Main-Class of datanadhi-agent.jar.
 *
 * <p>Compiled to Java 8 bytecode so that an old JVM reaches the version check and prints one
 * line instead of an UnsupportedClassVersionError. Everything else of the agent lives under
 * {@code inst/} in the jar and is loaded by an {@link AgentClassLoader} that the application
 * never sees.
 */
public final class AgentLauncher {

    static final int MINIMUM_JAVA = 11;
    private static final String AGENT_CLASS = "io.datanadhi.agent.Agent";
    private static final String CLI_CLASS = "io.datanadhi.agent.cli.Main";
    /** {@code java -jar datanadhi-agent.jar echopost ...} runs the EchoPost the jar carries. */
    static final String ECHOPOST_COMMAND = "echopost";
    private static final String ECHOPOST_CLASS = "io.datanadhi.echopost.EchoPost";
    private static final String PLATFORM_LOADER_CLASS = "jdk.internal.loader.ClassLoaders$PlatformClassLoader";

    private AgentLauncher() {}

    public static void premain(String args, Instrumentation inst) {
        start(args, inst, false);
    }

    public static void agentmain(String args, Instrumentation inst) {
        start(args, inst, true);
    }

    /** {@code java -jar datanadhi-agent.jar <command>}: the command-line tools, and EchoPost. */
    public static void main(String[] args) throws Throwable {
        if (!supported(javaSpecification())) {
            System.err.println(unsupportedMessage(javaSpecification(), "the command-line tools"));
            System.exit(2);
        }
        boolean echoPost = args.length > 0 && args[0].equals(ECHOPOST_COMMAND);
        ClassLoader loader = new AgentClassLoader(agentJar(), platformClassLoader(), !echoPost, echoPost);
        Method main = loader.loadClass(echoPost ? ECHOPOST_CLASS : CLI_CLASS).getMethod("main", String[].class);
        Thread.currentThread().setContextClassLoader(loader);
        try {
            String[] rest = args;
            if (echoPost) {
                rest = new String[args.length - 1];
                System.arraycopy(args, 1, rest, 0, rest.length);
            }
            main.invoke(null, (Object) rest);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void start(String args, Instrumentation inst, boolean lateAttach) {
        String spec = javaSpecification();
        if (!supported(spec)) {
            System.err.println(unsupportedMessage(spec, "the agent is not active"));
            return;
        }
        try {
            File jar = agentJar();
            // The agent first puts the bootstrap classes (io/datanadhi/bootstrap at the jar's
            // root) into the bootstrap class loader, where every class loader can see them.
            ClassLoader loader = new AgentClassLoader(jar, platformClassLoader(), false);
            // A JDK interface the agent implements, not a reflective call: see io.datanadhi.agent.Agent.
            @SuppressWarnings("unchecked")
            Consumer<Object[]> agent = (Consumer<Object[]>) loader.loadClass(AGENT_CLASS).getConstructor().newInstance();
            agent.accept(new Object[] {args, inst, jar, lateAttach});
        } catch (Throwable t) {
            Throwable cause = t instanceof InvocationTargetException || t instanceof UndeclaredThrowableException
                    ? t.getCause() : t;
            System.err.println("{\"logger\":\"datanadhi\",\"level\":\"ERROR\",\"event\":\"agent_start_failed\","
                    + "\"message\":\"the Data Nadhi agent could not start and is not active; the application runs without it: "
                    + escape(String.valueOf(cause)) + "\"}");
        }
    }

    static String javaSpecification() {
        return System.getProperty("java.specification.version", "");
    }

    /** True for "11", "17", "25"...; false for "1.8", "10" and anything unreadable. */
    static boolean supported(String specification) {
        if (specification == null || specification.startsWith("1.")) {
            return false;
        }
        int dot = specification.indexOf('.');
        String major = dot < 0 ? specification : specification.substring(0, dot);
        try {
            return Integer.parseInt(major) >= MINIMUM_JAVA;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static String unsupportedMessage(String specification, String consequence) {
        return "datanadhi-agent: Java " + MINIMUM_JAVA + " or newer is required, this JVM is Java "
                + specification + "; " + consequence + ".";
    }

    static File agentJar() throws Exception {
        URI location = AgentLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI();
        return new File(location);
    }

    /**
     * The platform class loader (Java 9+): the last loader before the bootstrap one above the
     * system class loader (a custom system class loader's parent is the application class loader,
     * whose parent is the platform loader). Not {@code ClassLoader.getPlatformClassLoader()}
     * reflectively, to stay Java 8 bytecode, except where the chain does not end there (a custom
     * system class loader made with no parent): the first reflective call of a JDK method parses
     * its annotations, about 8 ms of the application's main thread in premain.
     */
    static ClassLoader platformClassLoader() throws Exception {
        return platformClassLoader(ClassLoader.getSystemClassLoader());
    }

    static ClassLoader platformClassLoader(ClassLoader start) throws Exception {
        ClassLoader loader = start;
        while (loader != null && loader.getParent() != null) {
            loader = loader.getParent();
        }
        if (loader != null && loader.getClass().getName().equals(PLATFORM_LOADER_CLASS)) {
            return loader;
        }
        return (ClassLoader) ClassLoader.class.getMethod("getPlatformClassLoader").invoke(null);
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(' ');
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
