package io.datanadhi.agent.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The inputs of one resolution, so tests never touch the real environment or properties. */
final class Sources {
    final Path dir;
    String args;
    final Map<String, String> properties = new HashMap<>();
    final Map<String, String> env = new HashMap<>();
    String javaCommand = "com.acme.Main";

    /** Points DATANADHI_DIR at {@code dir} (a @TempDir), so no real directory is read. */
    Sources(Path dir) {
        this.dir = dir;
        env.put("DATANADHI_DIR", dir.toString());
    }

    Sources args(String args) {
        this.args = args;
        return this;
    }

    Sources property(String name, String value) {
        properties.put(name, value);
        return this;
    }

    Sources env(String name, String value) {
        env.put(name, value);
        return this;
    }

    Sources file(String name, String yaml) {
        try {
            Files.write(dir.resolve(name), yaml.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    Sources configYml(String yaml) {
        return file("config.yml", yaml);
    }

    AgentConfig resolve() {
        return ConfigResolver.resolve(args, properties, env, javaCommand);
    }
}
