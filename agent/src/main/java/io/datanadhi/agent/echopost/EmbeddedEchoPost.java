package io.datanadhi.agent.echopost;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Enumeration;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * EchoPost as it travels inside the agent jar. {@code echopost.jar} shares almost everything with
 * the agent (gRPC, Netty, protobuf, Guava, Jackson), so the build stores only what the agent does
 * not already carry, under {@code inst/echopost/classes/} (classes as {@code *.classdata}), and
 * {@code java -jar datanadhi-agent.jar echopost} runs EchoPost from the jar as it is: its own
 * entries first, then the agent's. Nothing is rebuilt when EchoPost is needed.
 */
public final class EmbeddedEchoPost {

    static final String DIR = "inst/echopost/";
    static final String CLASSES = DIR + "classes/";
    static final String VERSION = DIR + "echopost.version";

    private EmbeddedEchoPost() {}

    /**
     * Build step: {@code pack <echopost.jar> <agent-inner.jar> <output-dir>} writes EchoPost's own
     * entries under {@code <output-dir>/classes} and its version to {@code echopost.version}.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 4 || !args[0].equals("pack")) {
            throw new IllegalArgumentException("usage: pack <echopost.jar> <agent-inner.jar> <output-dir>");
        }
        pack(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]));
    }

    /**
     * Every entry of EchoPost's jar is either the agent's own (same name, same bytes) or written
     * under {@code classes/}. The version is a digest of the list of every entry with its CRC-32:
     * it changes when any byte EchoPost runs does.
     */
    static void pack(Path echopostJar, Path agentInnerJar, Path outputDir) throws IOException {
        Path classes = outputDir.resolve("classes");
        Files.createDirectories(classes);
        StringBuilder index = new StringBuilder();
        int shared = 0;
        long own = 0;
        try (ZipFile echopost = new ZipFile(echopostJar.toFile()); ZipFile agent = new ZipFile(agentInnerJar.toFile())) {
            Enumeration<? extends ZipEntry> entries = echopost.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                if (entry.isDirectory()) {
                    continue;
                }
                byte[] content = read(echopost, entry);
                long crc = crc(content);
                ZipEntry twin = agent.getEntry(entry.getName());
                if (twin != null && twin.getSize() == content.length && twin.getCrc() == crc) {
                    shared++;
                } else {
                    Path file = classes.resolve(hiddenName(entry.getName()));
                    Files.createDirectories(file.getParent());
                    Files.write(file, content);
                    own += content.length;
                }
                index.append(entry.getName()).append('\t').append(Long.toHexString(crc)).append('\t')
                        .append(content.length).append('\n');
            }
        }
        Files.writeString(outputDir.resolve("echopost.version"), digest(index.toString().getBytes(StandardCharsets.UTF_8)));
        System.out.println("embedded EchoPost: " + shared + " entries shared with the agent, " + own + " bytes of its own");
    }

    /** The embedded EchoPost's identity: a digest of the names and contents of every entry it runs. */
    public static String version(ZipFile agentJar) throws IOException {
        ZipEntry version = agentJar.getEntry(VERSION);
        if (version == null || agentJar.getEntry(CLASSES + "io/datanadhi/echopost/EchoPost.classdata") == null) {
            throw new IOException("this agent jar carries no EchoPost");
        }
        return new String(read(agentJar, version), StandardCharsets.US_ASCII).trim();
    }

    /**
     * The version as the agent's class loader reads it from the jar it keeps open, or null when
     * the agent does not run from its jar (tests).
     */
    public static String version(ClassLoader agentLoader) throws IOException {
        if (agentLoader == null) {
            return null;
        }
        try (InputStream in = agentLoader.getResourceAsStream(VERSION.substring("inst/".length()))) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        }
    }

    /** Where an entry of EchoPost's own lives under {@code classes/}: classes renamed. */
    static String hiddenName(String name) {
        return name.endsWith(".class") ? name.substring(0, name.length() - 6) + ".classdata" : name;
    }

    private static String digest(byte[] content) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(content);
            StringBuilder hex = new StringBuilder();
            for (int i = 0; i < 12; i++) {
                hex.append(Character.forDigit((digest[i] >> 4) & 15, 16)).append(Character.forDigit(digest[i] & 15, 16));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] read(ZipFile zip, ZipEntry entry) throws IOException {
        try (InputStream in = zip.getInputStream(entry)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.max(32, entry.getSize()));
            in.transferTo(out);
            return out.toByteArray();
        }
    }

    private static long crc(byte[] content) {
        CRC32 crc = new CRC32();
        crc.update(content);
        return crc.getValue();
    }
}
