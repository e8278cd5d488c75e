package io.datanadhi.agent.echopost;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * EchoPost as it travels inside the agent jar. {@code echopost.jar} shares almost everything with
 * the agent (gRPC, Netty, protobuf, Guava, Jackson): embedding it whole would add 12 MB to a jar
 * meant to stay under 20 MB. So the build stores only what the agent does not already carry
 * ({@code inst/echopost/echopost-parts.jar}) and an index of every entry, in order, with its
 * CRC-32; {@link #reassemble} rebuilds an equivalent {@code echopost.jar} from the two, checking
 * every entry, when the agent installs EchoPost.
 */
public final class EmbeddedEchoPost {

    static final String DIR = "inst/echopost/";
    static final String PARTS = DIR + "echopost-parts.jar";
    static final String INDEX = DIR + "echopost.index";
    private static final String HIDDEN = "inst/";

    private EmbeddedEchoPost() {}

    /**
     * Build step: {@code pack <echopost.jar> <agent-inner.jar> <output-dir>} writes
     * {@code echopost-parts.jar} and {@code echopost.index} into the output directory.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 4 || !args[0].equals("pack")) {
            throw new IllegalArgumentException("usage: pack <echopost.jar> <agent-inner.jar> <output-dir>");
        }
        pack(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]));
    }

    static void pack(Path echopostJar, Path agentInnerJar, Path outputDir) throws IOException {
        Files.createDirectories(outputDir);
        StringBuilder index = new StringBuilder();
        int shared = 0;
        try (ZipFile echopost = new ZipFile(echopostJar.toFile());
                ZipFile agent = new ZipFile(agentInnerJar.toFile());
                ZipOutputStream parts = new ZipOutputStream(Files.newOutputStream(outputDir.resolve("echopost-parts.jar")))) {
            Enumeration<? extends ZipEntry> entries = echopost.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                byte[] content = read(echopost, entry);
                long crc = crc(content);
                ZipEntry twin = agent.getEntry(entry.getName());
                boolean fromAgent = !entry.isDirectory() && twin != null && twin.getSize() == content.length
                        && twin.getCrc() == crc;
                if (fromAgent) {
                    shared++;
                } else {
                    parts.putNextEntry(new ZipEntry(entry.getName()));
                    parts.write(content);
                    parts.closeEntry();
                }
                index.append(entry.getName()).append('\t').append(fromAgent ? 'A' : 'P').append('\t')
                        .append(Long.toHexString(crc)).append('\t').append(content.length).append('\n');
            }
        }
        Files.writeString(outputDir.resolve("echopost.index"), index.toString());
        System.out.println("embedded EchoPost: " + shared + " entries shared with the agent, "
                + Files.size(outputDir.resolve("echopost-parts.jar")) + " bytes of its own");
    }

    /** The embedded EchoPost's identity: a digest of its index (names and contents of every entry). */
    public static String version(ZipFile agentJar) throws IOException {
        ZipEntry index = agentJar.getEntry(INDEX);
        if (index == null) {
            throw new IOException("this agent jar carries no EchoPost");
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(read(agentJar, index));
            StringBuilder hex = new StringBuilder();
            for (int i = 0; i < 12; i++) {
                hex.append(Character.forDigit((digest[i] >> 4) & 15, 16)).append(Character.forDigit(digest[i] & 15, 16));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes {@code echopost.jar} as rebuilt from the agent jar to {@code out}. Every entry is
     * checked against the CRC-32 recorded at build time; a mismatch fails the whole rebuild.
     */
    public static void reassemble(ZipFile agentJar, OutputStream out) throws IOException {
        ZipEntry indexEntry = agentJar.getEntry(INDEX);
        ZipEntry partsEntry = agentJar.getEntry(PARTS);
        if (indexEntry == null || partsEntry == null) {
            throw new IOException("this agent jar carries no EchoPost");
        }
        List<String[]> index = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(agentJar.getInputStream(indexEntry), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isEmpty()) {
                    index.add(line.split("\t"));
                }
            }
        }
        Path parts = Files.createTempFile("echopost-parts", ".jar");
        try {
            try (InputStream in = agentJar.getInputStream(partsEntry)) {
                Files.copy(in, parts, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            try (ZipFile own = new ZipFile(parts.toFile()); ZipOutputStream zip = new ZipOutputStream(out)) {
                for (String[] row : index) {
                    String name = row[0];
                    byte[] content;
                    if (row[1].equals("A")) {
                        ZipEntry hidden = agentJar.getEntry(hiddenName(name));
                        if (hidden == null) {
                            throw new IOException("the agent jar lacks " + name + ", which EchoPost needs");
                        }
                        content = read(agentJar, hidden);
                    } else {
                        ZipEntry entry = own.getEntry(name);
                        if (entry == null) {
                            throw new IOException("the embedded EchoPost lacks " + name);
                        }
                        content = read(own, entry);
                    }
                    if (Long.parseLong(row[2], 16) != crc(content) || Long.parseLong(row[3]) != content.length) {
                        throw new IOException("embedded EchoPost entry " + name + " does not match its build");
                    }
                    zip.putNextEntry(new ZipEntry(name));
                    zip.write(content);
                    zip.closeEntry();
                }
            }
        } finally {
            Files.deleteIfExists(parts);
        }
    }

    /** Where an entry of EchoPost's jar lives in the agent jar: under inst/, classes renamed. */
    static String hiddenName(String name) {
        return name.endsWith(".class") ? HIDDEN + name.substring(0, name.length() - 6) + ".classdata" : HIDDEN + name;
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
