package io.datanadhi.agent.rules;

import io.datanadhi.agent.files.AtomicFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32;

/**
 * {@code <dir>/.rules.cache}: the rules as parsed, with each rule file's name, size, modification
 * time and CRC-32, so that an unchanged rule set loads at the next start without the YAML parser
 * (Jackson's databind and YAML modules and SnakeYAML: about 55 ms of class loading on a quiet
 * machine, several times that while the application holds every core). It holds what the files
 * hold, so it is owner-only like them; it is tied to the agent's build, and anything unexpected
 * in it is a miss, never an error: the files are then parsed, as without it.
 */
final class RuleCache {

    static final String FILE_NAME = ".rules.cache";
    private static final int MAGIC = 0x444e5243; // "DNRC"
    private static final int FORMAT = 1;
    /** Longer strings than this in a cache are corruption: a rule file is read whole, never this large. */
    private static final int MAX_STRING_BYTES = 16 << 20;

    /** One rule file as it is on disk now. */
    static final class Stamp implements Comparable<Stamp> {
        final String name;
        final long size;
        final long modifiedMillis;
        final long crc;

        Stamp(String name, long size, long modifiedMillis, long crc) {
            this.name = name;
            this.size = size;
            this.modifiedMillis = modifiedMillis;
            this.crc = crc;
        }

        boolean same(Stamp other) {
            return name.equals(other.name) && size == other.size && modifiedMillis == other.modifiedMillis
                    && crc == other.crc;
        }

        /** By file name: the order the rules apply in. */
        @Override
        public int compareTo(Stamp other) {
            return name.compareTo(other.name);
        }
    }

    private RuleCache() {}

    /**
     * The rule files now, sorted by name; empty without a folder or files; null when one cannot
     * be read as a regular file (then the loader reports it, and nothing is cached).
     */
    static List<Stamp> stamps(Path dir) {
        Path folder = dir.resolve(RuleLoader.RULES_DIR);
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        List<Stamp> stamps = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!RuleLoader.isRuleFile(name)) {
                    continue;
                }
                BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class);
                if (!attributes.isRegularFile()) {
                    return null;
                }
                byte[] content = Files.readAllBytes(entry);
                CRC32 crc = new CRC32();
                crc.update(content);
                stamps.add(new Stamp(name, content.length, attributes.lastModifiedTime().toMillis(), crc.getValue()));
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        Collections.sort(stamps);
        return stamps;
    }

    /** The same files, the same content: both lists non-null and equal stamp by stamp. */
    static boolean same(List<Stamp> a, List<Stamp> b) {
        if (a == null || b == null || a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).same(b.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** What the cache holds for exactly these files, made by this build; null on any difference or doubt. */
    static RuleLoadResult load(Path dir, List<Stamp> now, String build) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(dir.resolve(FILE_NAME));
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (bytes.length < Long.BYTES || checksum(bytes, bytes.length - Long.BYTES)
                != java.nio.ByteBuffer.wrap(bytes, bytes.length - Long.BYTES, Long.BYTES).getLong()) {
            return null; // cut short or changed: a rule read wrong would route silently wrong
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - Long.BYTES))) {
            if (in.readInt() != MAGIC || in.readInt() != FORMAT || !build.equals(readString(in))) {
                return null;
            }
            int files = in.readInt();
            if (files != now.size()) {
                return null;
            }
            for (Stamp stamp : now) {
                if (!stamp.same(new Stamp(readString(in), in.readLong(), in.readLong(), in.readLong()))) {
                    return null;
                }
            }
            List<Rule> rules = new ArrayList<>();
            for (int i = count(in); i > 0; i--) {
                String name = readNullable(in);
                boolean any = in.readBoolean();
                List<Condition> conditions = new ArrayList<>();
                for (int c = count(in); c > 0; c--) {
                    String key = readString(in);
                    Condition.Type type = Condition.Type.parse(readString(in));
                    if (type == null) {
                        return null;
                    }
                    conditions.add(new Condition(key, type, readString(in), in.readBoolean()));
                }
                List<String> pipelines = new ArrayList<>();
                for (int p = count(in); p > 0; p--) {
                    pipelines.add(readString(in));
                }
                boolean stdout = in.readBoolean();
                rules.add(new Rule(name, conditions, any, pipelines, stdout, readNullable(in), in.readInt()));
            }
            List<RuleProblem> problems = new ArrayList<>();
            for (int i = count(in); i > 0; i--) {
                String event = readString(in);
                String file = readString(in);
                int index = in.readInt();
                problems.add(new RuleProblem(event, file, index < 0 ? null : index, readNullable(in), readString(in)));
            }
            List<String> names = new ArrayList<>();
            for (int i = count(in); i > 0; i--) {
                names.add(readString(in));
            }
            if (in.available() != 0) {
                return null;
            }
            return new RuleLoadResult(new RuleSet(rules), problems, names, true);
        } catch (IOException | RuntimeException e) {
            return null; // truncated, corrupt, a regex this JDK refuses: parse the files instead
        }
    }

    /** Replaces the cache; false when it could not be written (the rules work without it). */
    static boolean store(Path dir, List<Stamp> stamps, RuleLoadResult result, String build) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(4096);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeInt(FORMAT);
            writeString(out, build);
            out.writeInt(stamps.size());
            for (Stamp stamp : stamps) {
                writeString(out, stamp.name);
                out.writeLong(stamp.size);
                out.writeLong(stamp.modifiedMillis);
                out.writeLong(stamp.crc);
            }
            out.writeInt(result.rules().size());
            for (Rule rule : result.rules().rules()) {
                writeNullable(out, rule.name());
                out.writeBoolean(rule.anyConditionMatch());
                out.writeInt(rule.conditions().size());
                for (Condition condition : rule.conditions()) {
                    writeString(out, condition.key());
                    writeString(out, condition.type().yamlName());
                    writeString(out, condition.value());
                    out.writeBoolean(condition.negate());
                }
                out.writeInt(rule.pipelines().size());
                for (String pipeline : rule.pipelines()) {
                    writeString(out, pipeline);
                }
                out.writeBoolean(rule.stdout());
                writeNullable(out, rule.source());
                out.writeInt(rule.index());
            }
            out.writeInt(result.problems().size());
            for (RuleProblem problem : result.problems()) {
                writeString(out, problem.event());
                writeString(out, problem.file());
                out.writeInt(problem.index() == null ? -1 : problem.index());
                writeNullable(out, problem.ruleName());
                writeString(out, problem.message());
            }
            out.writeInt(result.files().size());
            for (String file : result.files()) {
                writeString(out, file);
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        try {
            byte[] payload = bytes.toByteArray();
            byte[] file = java.util.Arrays.copyOf(payload, payload.length + Long.BYTES);
            java.nio.ByteBuffer.wrap(file, payload.length, Long.BYTES).putLong(checksum(payload, payload.length));
            AtomicFiles.write(dir.resolve(FILE_NAME), file);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static long checksum(byte[] bytes, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, length);
        return crc.getValue();
    }

    private static int count(DataInputStream in) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > in.available()) {
            throw new IOException("bad count " + count);
        }
        return count;
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static void writeNullable(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            writeString(out, s);
        }
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_STRING_BYTES || length > in.available()) {
            throw new IOException("bad string length " + length);
        }
        byte[] utf8 = new byte[length];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    private static String readNullable(DataInputStream in) throws IOException {
        return in.readBoolean() ? readString(in) : null;
    }
}
