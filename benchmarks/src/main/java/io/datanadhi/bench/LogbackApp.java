package io.datanadhi.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Generates, as sources, and compiles an application of {@value #CLASSES} classes that logs
 * through SLF4J and Logback: each class has its own static logger and is touched once at
 * start-up (a DEBUG line below the root's INFO, so the framework drops it); the main class then
 * logs one INFO line and exits. Logback is configured by a {@code logback.xml} with one
 * {@code NOPAppender}, so nothing is written to the console.
 */
final class LogbackApp {

    static final int CLASSES = 200;
    static final String MAIN = "com.acme.shop.Main";
    private static final String PACKAGE = "com.acme.shop";

    private static final String LOGBACK_XML = "<configuration>\n"
            + "  <appender name=\"NOP\" class=\"ch.qos.logback.core.helpers.NOPAppender\"/>\n"
            + "  <root level=\"INFO\"><appender-ref ref=\"NOP\"/></root>\n"
            + "</configuration>\n";

    private LogbackApp() {}

    /**
     * Writes and compiles the application into a new temporary directory; returns its class path
     * (that directory, then Logback's and SLF4J's jars from {@code frameworks}).
     */
    static String generate(Path frameworks) throws IOException {
        List<String> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(frameworks)) {
            for (Path jar : (Iterable<Path>) files.sorted()::iterator) {
                String name = jar.getFileName().toString();
                if (name.startsWith("logback-") || name.startsWith("slf4j-api")) {
                    jars.add(jar.toAbsolutePath().toString());
                }
            }
        }
        if (jars.size() != 3) {
            throw new IllegalStateException("expected logback-classic, logback-core and slf4j-api in " + frameworks
                    + " (build the benchmarks module first), found " + jars);
        }
        Path dir = Files.createTempDirectory("bench-logback200");
        Path sources = Files.createDirectories(dir.resolve("src").resolve(PACKAGE.replace('.', '/')));
        Path classes = Files.createDirectories(dir.resolve("classes"));
        List<String> files = new ArrayList<>();
        StringBuilder main = new StringBuilder()
                .append("package ").append(PACKAGE).append(";\n\n")
                .append("public final class Main {\n")
                .append("    public static void main(String[] args) {\n")
                .append("        long total = 0;\n");
        for (int i = 0; i < CLASSES; i++) {
            String name = String.format("Service%03d", i);
            Path file = sources.resolve(name + ".java");
            Files.writeString(file, "package " + PACKAGE + ";\n\n"
                    + "import org.slf4j.Logger;\n"
                    + "import org.slf4j.LoggerFactory;\n\n"
                    + "public final class " + name + " {\n"
                    + "    private static final Logger LOG = LoggerFactory.getLogger(" + name + ".class);\n\n"
                    + "    static long start(long seed) {\n"
                    + "        LOG.debug(\"starting {}\", seed);\n"
                    + "        return seed * 31 + " + i + ";\n"
                    + "    }\n"
                    + "}\n");
            files.add(file.toString());
            main.append("        total = ").append(name).append(".start(total);\n");
        }
        main.append("        org.slf4j.LoggerFactory.getLogger(Main.class).info(\"started " + CLASSES
                + " services ({})\", total);\n")
                .append("    }\n")
                .append("}\n");
        Path mainFile = sources.resolve("Main.java");
        Files.writeString(mainFile, main);
        files.add(mainFile.toString());
        Files.writeString(classes.resolve("logback.xml"), LOGBACK_XML);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no Java compiler in " + System.getProperty("java.home") + "; run with a JDK");
        }
        List<String> arguments = new ArrayList<>(List.of("--release", "11", "-proc:none", "-d", classes.toString(),
                "-cp", String.join(File.pathSeparator, jars)));
        arguments.addAll(files);
        if (javac.run(null, null, null, arguments.toArray(new String[0])) != 0) {
            throw new IllegalStateException("could not compile the generated app in " + dir);
        }
        return Stream.concat(Stream.of(classes.toString()), jars.stream()).collect(Collectors.joining(File.pathSeparator));
    }
}
