package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the built artifacts are, and which JVM runs the applications under test. */
final class Env {
    private Env() {}

    static Path agentJar() {
        Path jar = Path.of(System.getProperty("agent.jar", "../../agent/target/datanadhi-agent.jar")).toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(jar), "agent jar not built: " + jar);
        return jar;
    }

    static Path echopostJar() {
        Path jar = Path.of(System.getProperty("echopost.jar", "../../echopost/target/echopost.jar")).toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(jar), "echopost.jar not built: " + jar);
        return jar;
    }

    static Path appJar(String app) {
        Path jar = Path.of(System.getProperty("apps.dir", "../apps"), app, "target", "app.jar").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(jar), "sample app not built: " + jar);
        return jar;
    }

    /** The java launcher for application JVMs: the JDK running the tests, or the second JDK. */
    static String java() {
        return System.getProperty("it.java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
