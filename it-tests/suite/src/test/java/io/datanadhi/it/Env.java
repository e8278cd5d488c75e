package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

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

    /** The OpenTelemetry Java agent, as released (the suite's pom copies it). */
    static Path openTelemetryAgentJar() {
        return tracingAgentJar("opentelemetry.agent.jar", "opentelemetry-javaagent.jar");
    }

    /** The Elastic APM Java agent, as released (the suite's pom copies it). */
    static Path elasticAgentJar() {
        return tracingAgentJar("elastic.agent.jar", "elastic-apm-agent.jar");
    }

    private static Path tracingAgentJar(String property, String name) {
        Path jar = Path.of(System.getProperty(property, "target/tracing-agents/" + name)).toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(jar), "tracing agent not copied (mvn generate-test-resources): " + jar);
        return jar;
    }

    static Path appJar(String app) {
        Path jar = Path.of(System.getProperty("apps.dir", "../apps"), app, "target", "app.jar").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(jar), "sample app not built: " + jar);
        return jar;
    }

    /**
     * Jars of the bridge matrix app's {@code target/lib}, each named by its artifact id
     * ("slf4j-api", "log4j-core"); "jboss-logmanager" brings the SmallRye libraries it needs.
     */
    static List<Path> bridgeJars(List<String> artifactIds) {
        Path lib = Path.of(System.getProperty("apps.dir", "../apps"), "bridge-app", "target", "lib")
                .toAbsolutePath().normalize();
        List<String> wanted = new ArrayList<>(artifactIds);
        if (wanted.contains("jboss-logmanager")) {
            wanted.addAll(List.of("smallrye-common-constraint", "smallrye-common-cpu", "smallrye-common-expression",
                    "smallrye-common-function", "smallrye-common-net", "smallrye-common-os", "smallrye-common-ref"));
        }
        List<Path> jars = new ArrayList<>();
        for (String artifactId : wanted) {
            try (Stream<Path> files = Files.list(lib)) {
                Path jar = files.filter(f -> f.getFileName().toString().matches(Pattern.quote(artifactId) + "-\\d.*\\.jar"))
                        .findFirst().orElseThrow(() -> new AssertionError("no " + artifactId + " jar in " + lib));
                jars.add(jar);
            } catch (IOException e) {
                throw new UncheckedIOException("bridge app not built: " + lib, e);
            }
        }
        return jars;
    }

    /** The java launcher for application JVMs: the JDK running the tests, or the second JDK. */
    static String java() {
        return System.getProperty("it.java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
