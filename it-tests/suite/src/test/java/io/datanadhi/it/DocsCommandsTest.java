package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.datanadhi.agent.config.AgentConfig;
import io.datanadhi.agent.config.ConfigResolver;
import io.datanadhi.agent.config.ConfigValue;
import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.rules.RuleLoadResult;
import io.datanadhi.agent.rules.RuleLoader;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every command in README.md and docs/*.md runs here, so that the documentation cannot rot. The
 * convention, also in docs/README.md:
 *
 * <ul>
 *   <li>A {@code ```sh} block is commands. Each runs with {@code bash -e} (under {@code setsid}),
 *       at most 60 s, in a sandbox: a temp directory per page, laid out like the repository root
 *       after {@code mvn package} ({@code agent/target/datanadhi-agent.jar},
 *       {@code echopost/target/echopost.jar}), with {@code app.jar}, the JUL sample app with a
 *       Main-Class ({@code java -jar app.jar} logs INFO, WARNING and a SEVERE with an exception;
 *       {@code java -jar app.jar sequence N MS} logs N events MS apart). The blocks of a page run
 *       in order in its sandbox, as a reader following it would, each in a new shell. The
 *       {@code java} on the PATH is the JDK under test; no {@code DATANADHI_*} variable is set.
 *       The sandbox maps {@code /opt/datanadhi-agent.jar} to the built agent jar,
 *       {@code /opt/opentelemetry-javaagent.jar} to the OpenTelemetry Java agent, and port 5000
 *       ({@code 127.0.0.1:5000}, {@code --port 5000}) to a free port.
 *   <li>A command that runs until stopped (the dev server) ends with {@code &}: after the page's
 *       last block the test ends every block's process group, and every EchoPost whose pid is in
 *       an {@code echopost.lock} in the sandbox.
 *   <li>A block whose command needs a feature that may not be merged yet is preceded by
 *       {@code <!-- docs-test: requires COMMAND -->}; it is skipped while
 *       {@code java -jar datanadhi-agent.jar help} does not list COMMAND.
 *   <li>Configuration is not commands: {@code ```yaml} blocks are checked by what they are (a rule
 *       file against the agent's rule loader: no problem; a config.yml against its resolver: no
 *       warning; a Kubernetes manifest: its rule ConfigMaps as rule files, its {@code
 *       JAVA_TOOL_OPTIONS} by starting a JVM with it, its {@code DATANADHI_*} names as known
 *       variables), {@code ```dockerfile} blocks by their {@code ENV} lines likewise, {@code
 *       ```json} blocks must parse, {@code ```text} blocks are sample output and not checked. A
 *       block in any other language, or none, fails the test.
 *   <li>The README's "Try it" block (the demo and {@code mvn -B -ntp verify}) is not run here: it
 *       would build and test the project from inside its own test. CI runs both ({@code .ci/run}).
 * </ul>
 *
 * A failing block fails its page's test with the block's file, line and output.
 */
class DocsCommandsTest {

    private static final long BLOCK_TIMEOUT_SECONDS = 60;
    private static final Pattern FENCE = Pattern.compile("^```(\\S*)\\s*$");
    private static final Pattern REQUIRES = Pattern.compile("<!--\\s*docs-test:\\s*requires\\s+(\\S+)\\s*-->");
    private static final String AGENT_JAR = "/opt/datanadhi-agent.jar";
    private static final String OPENTELEMETRY_AGENT_JAR = "/opt/opentelemetry-javaagent.jar";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();

    private static Path work;
    private static Path appJar;
    private static String agentHelp;

    /** One fenced block of a page. */
    static final class Block {
        final Path file;
        final int line;
        final String language;
        final String text;
        final String section;
        final String requires;

        Block(Path file, int line, String language, String text, String section, String requires) {
            this.file = file;
            this.line = line;
            this.language = language;
            this.text = text;
            this.section = section;
            this.requires = requires;
        }

        String where() {
            return repo().relativize(file) + ":" + line;
        }
    }

    @BeforeAll
    static void buildSampleApp() throws Exception {
        work = Files.createTempDirectory("docs-test");
        appJar = work.resolve("app.jar");
        withMainClass(Env.appJar("jul-app"), "io.datanadhi.it.apps.JulApp", appJar);
        agentHelp = run(List.of(Env.java(), "-jar", Env.agentJar().toString(), "help"), Map.of(), work);
    }

    @AfterAll
    static void cleanUp() throws IOException {
        deleteTree(work);
    }

    static Path repo() {
        // agent/target/datanadhi-agent.jar
        return Env.agentJar().getParent().getParent().getParent();
    }

    static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(repo().resolve("README.md"));
        try (Stream<Path> docs = Files.list(repo().resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    @Test
    void everyPageIsLinkedFromTheReadme() throws IOException {
        String readme = Files.readString(repo().resolve("README.md"));
        for (Path page : pages()) {
            String name = repo().relativize(page).toString();
            if (!name.equals("README.md")) {
                assertTrue(readme.contains("(" + name + ")"), name + " is not linked from README.md");
            }
        }
        assertTrue(readme.contains("(CHANGELOG.md)"), "CHANGELOG.md is not linked from README.md");
    }

    @TestFactory
    Stream<DynamicTest> everyBlockOfEveryPageWorks() throws IOException {
        return pages().stream().map(page -> DynamicTest.dynamicTest(repo().relativize(page).toString(), () -> checkPage(page)));
    }

    private void checkPage(Path page) throws Exception {
        List<Block> blocks = blocks(page);
        List<String> failures = new ArrayList<>();
        Path sandbox = sandbox();
        int port = freePort();
        List<Long> groups = new ArrayList<>();
        try {
            for (Block block : blocks) {
                try {
                    check(block, sandbox, port, groups, failures);
                } catch (Exception | AssertionError e) {
                    failures.add(block.where() + " (" + block.language + "): " + e);
                }
            }
        } finally {
            stopEverything(sandbox, groups);
            deleteTree(sandbox);
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " block(s) of " + repo().relativize(page) + " failed:\n\n"
                    + String.join("\n\n", failures));
        }
    }

    private void check(Block block, Path sandbox, int port, List<Long> groups, List<String> failures) throws Exception {
        switch (block.language) {
            case "sh":
                if (block.file.getFileName().toString().equals("README.md") && block.section.equals("Try it")) {
                    return; // the demo and the full build: CI runs them (.ci/run)
                }
                if (block.requires != null && !agentHelp.contains(block.requires)) {
                    System.out.println(block.where() + ": skipped until the agent has \"" + block.requires + "\"");
                    return;
                }
                runShell(block, sandbox, port, groups, failures);
                return;
            case "yaml":
                checkYaml(block, sandbox);
                return;
            case "dockerfile":
                checkDockerfile(block, sandbox);
                return;
            case "json":
                JSON.readTree(block.text);
                return;
            case "text":
                return; // sample output
            default:
                failures.add(block.where() + ": a block in \"" + block.language + "\"; use sh (commands), yaml,"
                        + " dockerfile or json (checked configuration) or text (sample output)");
        }
    }

    // ---- sh blocks ----

    private void runShell(Block block, Path sandbox, int port, List<Long> groups, List<String> failures)
            throws IOException, InterruptedException {
        String script = map(block.text, sandbox, port);
        Path file = Files.createTempFile(work, "block", ".sh");
        Files.writeString(file, script);
        Path output = Files.createTempFile(work, "block", ".out");
        ProcessBuilder builder = new ProcessBuilder("setsid", "bash", "-e", file.toString())
                .directory(sandbox.toFile()).redirectErrorStream(true).redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        environment(builder.environment());
        Process process = builder.start();
        groups.add(process.pid()); // setsid: the pid is the new process group's id
        boolean exited = process.waitFor(BLOCK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        String out = Files.readString(output, StandardCharsets.UTF_8);
        if (!exited) {
            failures.add(block.where() + ": still running after " + BLOCK_TIMEOUT_SECONDS + " s (end a"
                    + " long-running command with &)\n" + indent(block.text) + "--- output\n" + out);
        } else if (process.exitValue() != 0) {
            failures.add(block.where() + ": exit code " + process.exitValue() + "\n" + indent(block.text)
                    + "--- output\n" + out);
        }
    }

    /** The sandbox's names for what the docs name. */
    private static String map(String text, Path sandbox, int port) {
        return text.replace(AGENT_JAR, sandbox.resolve("opt/datanadhi-agent.jar").toString())
                .replace(OPENTELEMETRY_AGENT_JAR, sandbox.resolve("opt/opentelemetry-javaagent.jar").toString())
                .replace("127.0.0.1:5000", "127.0.0.1:" + port)
                .replace("--port 5000", "--port " + port);
    }

    private static void environment(Map<String, String> env) {
        env.keySet().removeIf(name -> name.startsWith("DATANADHI_") || name.equals("JAVA_TOOL_OPTIONS")
                || name.equals("JDK_JAVA_OPTIONS") || name.equals("_JAVA_OPTIONS"));
        Path javaBin = Path.of(Env.java()).getParent();
        env.put("PATH", javaBin + java.io.File.pathSeparator + env.getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("JAVA_HOME", javaBin.getParent().toString());
    }

    private static Path sandbox() throws IOException {
        Path sandbox = Files.createTempDirectory(work, "sandbox");
        link(sandbox.resolve("agent/target/datanadhi-agent.jar"), Env.agentJar());
        link(sandbox.resolve("echopost/target/echopost.jar"), Env.echopostJar());
        link(sandbox.resolve("opt/datanadhi-agent.jar"), Env.agentJar());
        link(sandbox.resolve("opt/opentelemetry-javaagent.jar"), Env.openTelemetryAgentJar());
        link(sandbox.resolve("app.jar"), appJar);
        return sandbox;
    }

    private static void link(Path link, Path target) throws IOException {
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, target);
    }

    /** Ends what the blocks left running: their process groups, then EchoPosts (own sessions). */
    private static void stopEverything(Path sandbox, List<Long> groups) throws IOException, InterruptedException {
        for (long group : groups) {
            new ProcessBuilder("kill", "-TERM", "--", "-" + group).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
        }
        List<ProcessHandle> echoPosts = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sandbox)) {
            for (Path lock : files.filter(p -> p.getFileName().toString().equals("echopost.lock"))
                    .collect(Collectors.toList())) {
                String pid = Files.readString(lock).trim();
                if (!pid.isEmpty()) {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(echoPosts::add);
                }
            }
        }
        for (ProcessHandle echoPost : echoPosts) {
            echoPost.destroy();
        }
        for (ProcessHandle echoPost : echoPosts) {
            try {
                echoPost.onExit().get(15, TimeUnit.SECONDS);
            } catch (Exception e) {
                echoPost.destroyForcibly();
            }
        }
    }

    // ---- configuration blocks ----

    private void checkYaml(Block block, Path sandbox) throws Exception {
        // One tree per YAML document (readValues would unwrap a top-level list instead).
        List<String> texts = List.of(block.text.split("(?m)^---\\s*$"));
        List<JsonNode> documents = new ArrayList<>();
        for (String text : texts) {
            JsonNode document = YAML.readTree(text);
            if (document != null && !document.isMissingNode() && !document.isNull()) {
                documents.add(document);
            }
        }
        assertTrue(!documents.isEmpty(), "an empty yaml block");
        for (JsonNode document : documents) {
            if (document.isArray()) {
                checkRuleFile(texts.size() == 1 ? block.text : YAML.writeValueAsString(document), document.size());
            } else if (document.has("apiVersion") && document.has("kind")) {
                checkKubernetes(document, sandbox);
            } else if (document.isObject()) {
                checkConfigFile(block.text);
            } else {
                fail("a yaml block that is neither a rule file, a config.yml nor a Kubernetes manifest");
            }
        }
    }

    private static void checkRuleFile(String text, int entries) throws IOException {
        Path dir = Files.createTempDirectory(work, "rules");
        Files.createDirectories(dir.resolve("rules"));
        Files.writeString(dir.resolve("rules/docs.yml"), text);
        RuleLoadResult result = RuleLoader.read(dir);
        assertTrue(result.problems().isEmpty(), "rule problems: " + result.problems().stream()
                .map(p -> p.message()).collect(Collectors.toList()));
        assertTrue(result.rules().size() == entries, result.rules().size() + " valid rules of " + entries);
    }

    private static void checkConfigFile(String text) throws IOException {
        Path dir = Files.createTempDirectory(work, "config");
        Files.writeString(dir.resolve("config.yml"), text);
        List<String> warnings = resolve(Map.of("DATANADHI_DIR", dir.toString()), null);
        assertTrue(warnings.isEmpty(), "config.yml warnings: " + warnings);
    }

    /** The resolver's warnings, except a missing or unreadable API key (the docs hold no key). */
    private static List<String> resolve(Map<String, String> env, List<ConfigValue> settings) {
        List<String> warnings = new ArrayList<>();
        Consumer<String> listener = line -> {
            if (line.contains("\"level\":\"WARN\"") && !line.contains("\"event\":\"api_key_missing\"")
                    && !line.contains("\"event\":\"api_key_file_unreadable\"")) {
                warnings.add(line);
            }
        };
        Diagnostics.addListener(listener);
        try {
            AgentConfig config = ConfigResolver.resolve(null, Map.of(), env, "app.jar");
            if (settings != null) {
                settings.addAll(config.settings());
            }
        } finally {
            Diagnostics.removeListener(listener);
        }
        return warnings;
    }

    private void checkKubernetes(JsonNode document, Path sandbox) throws Exception {
        String kind = document.path("kind").asText();
        if (kind.equals("ConfigMap")) {
            for (Map.Entry<String, JsonNode> entry : document.path("data").properties()) {
                if (entry.getKey().endsWith(".yml") || entry.getKey().endsWith(".yaml")) {
                    JsonNode rules = YAML.readTree(entry.getValue().asText());
                    checkRuleFile(entry.getValue().asText(), rules.size());
                }
            }
            return;
        }
        List<JsonNode> containers = document.findValues("containers");
        assertTrue(!containers.isEmpty(), kind + " without containers");
        for (JsonNode list : containers) {
            for (JsonNode container : list) {
                Map<String, String> env = new LinkedHashMap<>();
                for (JsonNode variable : container.path("env")) {
                    env.put(variable.path("name").asText(), variable.path("value").asText());
                }
                checkEnvironment(env, sandbox);
            }
        }
    }

    private void checkDockerfile(Block block, Path sandbox) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        String text = block.text.replace("\\\n", " ");
        Matcher pair = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S+)").matcher("");
        for (String line : text.split("\n")) {
            if (line.startsWith("ENV ")) {
                pair.reset(line.substring(4));
                while (pair.find()) {
                    String value = pair.group(2);
                    env.put(pair.group(1), value.startsWith("\"") ? value.substring(1, value.length() - 1) : value);
                }
            }
        }
        checkEnvironment(env, sandbox);
    }

    /**
     * Every {@code DATANADHI_*} name is one the agent reads, and {@code JAVA_TOOL_OPTIONS} attaches
     * the agent to an application that then runs as without it.
     */
    private void checkEnvironment(Map<String, String> env, Path sandbox) throws Exception {
        Map<String, String> dataNadhi = new LinkedHashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith("DATANADHI_")) {
                dataNadhi.put(name, value);
            }
        });
        Path dir = Files.createTempDirectory(work, "env");
        dataNadhi.put("DATANADHI_DIR", dir.toString());
        List<ConfigValue> settings = new ArrayList<>();
        List<String> warnings = resolve(dataNadhi, settings);
        assertTrue(warnings.isEmpty(), "configuration warnings for " + dataNadhi + ": " + warnings);
        for (String name : dataNadhi.keySet()) {
            assertTrue(settings.stream().anyMatch(s -> s.sourceDetail().startsWith("env " + name)),
                    name + " is not a variable the agent reads");
        }
        String options = env.get("JAVA_TOOL_OPTIONS");
        assertTrue(options != null, "no JAVA_TOOL_OPTIONS");
        Map<String, String> appEnv = new LinkedHashMap<>(dataNadhi);
        appEnv.put("JAVA_TOOL_OPTIONS", map(options, sandbox, 0));
        String out = run(List.of(Env.java(), "-jar", appJar.toString()), appEnv, dir);
        assertTrue(out.contains("app: done"), "the application did not run to its end:\n" + out);
        assertTrue(out.contains("Picked up JAVA_TOOL_OPTIONS") && out.contains("\"logger\":\"datanadhi\""),
                "the agent was not attached through JAVA_TOOL_OPTIONS=" + options + ":\n" + out);
    }

    // ---- reading pages ----

    static List<Block> blocks(Path page) throws IOException {
        List<String> lines = Files.readAllLines(page, StandardCharsets.UTF_8);
        List<Block> blocks = new ArrayList<>();
        String section = "";
        String requires = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("#")) {
                section = line.replaceFirst("^#+\\s*", "").trim();
                continue;
            }
            Matcher requirement = REQUIRES.matcher(line);
            if (requirement.find()) {
                requires = requirement.group(1);
                continue;
            }
            Matcher fence = FENCE.matcher(line);
            if (!fence.matches()) {
                if (!line.isBlank()) {
                    requires = null;
                }
                continue;
            }
            int start = i + 1;
            StringBuilder text = new StringBuilder();
            for (i++; i < lines.size() && !lines.get(i).startsWith("```"); i++) {
                text.append(lines.get(i)).append('\n');
            }
            String language = fence.group(1).isEmpty() ? "(none)" : fence.group(1);
            blocks.add(new Block(page, start, language, text.toString(), section, requires));
            requires = null;
        }
        return blocks;
    }

    // ---- helpers ----

    /** Runs a command to its end (at most 60 s) and returns stdout and stderr together. */
    private static String run(List<String> command, Map<String, String> extraEnv, Path dir)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        environment(builder.environment());
        builder.environment().putAll(extraEnv);
        Path output = Files.createTempFile(work, "run", ".out");
        builder.redirectOutput(output.toFile());
        Process process = builder.start();
        process.getOutputStream().close();
        if (!process.waitFor(BLOCK_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail(command + " did not finish within " + BLOCK_TIMEOUT_SECONDS + " s");
        }
        return Files.readString(output, StandardCharsets.UTF_8);
    }

    /** A copy of {@code source} whose manifest names {@code mainClass}, so that {@code java -jar} runs it. */
    private static void withMainClass(Path source, String mainClass, Path target) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(source))) {
            Manifest manifest = in.getManifest() != null ? in.getManifest() : new Manifest();
            manifest.getMainAttributes().putIfAbsent(Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
            try (OutputStream file = Files.newOutputStream(target); JarOutputStream out = new JarOutputStream(file, manifest)) {
                for (JarEntry entry = in.getNextJarEntry(); entry != null; entry = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(entry.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String indent(String text) {
        return text.lines().map(l -> "    " + l).collect(Collectors.joining("\n", "", "\n"));
    }

    private static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(path);
            }
        }
    }
}
