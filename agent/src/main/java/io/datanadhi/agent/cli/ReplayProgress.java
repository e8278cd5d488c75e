package io.datanadhi.agent.cli;

import io.datanadhi.agent.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * How far {@code replay-dropped} got in one dropped file: the sidecar {@code .<file>.replay}
 * beside it. Every line before {@link #offset} has been handled: delivered, or refused or
 * unreadable and then listed in {@link #kept}. The dropped file itself is not touched until its
 * replay ends, so the sidecar's offsets stay valid; it names the file it belongs to (i-node,
 * size, modification time), and a sidecar that does not match its file any more (the file was
 * rewritten, and the run was killed before it deleted the sidecar) is stale and ignored.
 *
 * <p>Text, one {@code name value} per line, replaced durably (temp file, fsync, rename, fsync of
 * the directory) by {@link #save}.
 */
final class ReplayProgress {

    private static final String HEADER = "datanadhi replay-dropped progress 1";
    static final String SUFFIX = ".replay";

    final String identity;
    long offset;
    /** Lines before {@link #offset}, blank ones included: for line numbers. */
    long lines;
    long delivered;
    long refused;
    long unreadable;
    /** Status and start of the first refusal's response, or null. */
    String firstRefusal;
    /** 0 when none. */
    long firstUnreadableLine;
    /** {@code [start, end)} byte ranges to keep, in file order, adjacent ones merged. */
    final List<long[]> kept = new ArrayList<>();

    private ReplayProgress(String identity) {
        this.identity = identity;
    }

    static ReplayProgress fresh(Path file) throws IOException {
        return new ReplayProgress(identity(file));
    }

    static Path sidecar(Path file) {
        return file.resolveSibling("." + file.getFileName() + SUFFIX);
    }

    /** The dropped file a sidecar belongs to. */
    static Path fileOf(Path sidecar) {
        String name = sidecar.getFileName().toString();
        return sidecar.resolveSibling(name.substring(1, name.length() - SUFFIX.length()));
    }

    static boolean isSidecar(Path path) {
        String name = path.getFileName().toString();
        return name.startsWith(".") && name.endsWith(".jsonl" + SUFFIX);
    }

    /** Handled at all, in this run or an earlier one. */
    long handled() {
        return delivered + refused + unreadable;
    }

    /**
     * The saved progress of {@code file}, or a fresh start when there is none, or when the one
     * there belongs to an earlier version of the file (deleted then).
     */
    static ReplayProgress load(Path file) throws IOException {
        String identity = identity(file);
        Path sidecar = sidecar(file);
        List<String> text;
        try {
            text = Files.readAllLines(sidecar, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new ReplayProgress(identity);
        }
        ReplayProgress progress = new ReplayProgress(identity);
        if (text.isEmpty() || !text.get(0).equals(HEADER) || !progress.parse(text)) {
            throw new IOException(sidecar + " is not a replay-dropped progress file; remove it to replay "
                    + file.getFileName() + " from its start");
        }
        if (!progress.matched) {
            Files.delete(sidecar);
            return new ReplayProgress(identity);
        }
        return progress;
    }

    private boolean matched;

    private boolean parse(List<String> text) {
        try {
            for (String line : text.subList(1, text.size())) {
                int space = line.indexOf(' ');
                String name = space < 0 ? line : line.substring(0, space);
                String value = space < 0 ? "" : line.substring(space + 1);
                switch (name) {
                    case "file": matched = value.equals(identity); break;
                    case "offset": offset = Long.parseLong(value); break;
                    case "lines": lines = Long.parseLong(value); break;
                    case "delivered": delivered = Long.parseLong(value); break;
                    case "refused": refused = Long.parseLong(value); break;
                    case "unreadable": unreadable = Long.parseLong(value); break;
                    case "first_refusal": firstRefusal = value; break;
                    case "first_unreadable_line": firstUnreadableLine = Long.parseLong(value); break;
                    case "kept":
                        for (String range : value.isEmpty() ? new String[0] : value.split(" ")) {
                            int dash = range.indexOf('-');
                            kept.add(new long[] {Long.parseLong(range.substring(0, dash)),
                                    Long.parseLong(range.substring(dash + 1))});
                        }
                        break;
                    default:
                        return false;
                }
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Forced to disk before it returns: only then may what it counts as delivered be forgotten. */
    void save(Path file) throws IOException {
        StringBuilder text = new StringBuilder(256);
        text.append(HEADER).append('\n');
        text.append("file ").append(identity).append('\n');
        text.append("offset ").append(offset).append('\n');
        text.append("lines ").append(lines).append('\n');
        text.append("delivered ").append(delivered).append('\n');
        text.append("refused ").append(refused).append('\n');
        text.append("unreadable ").append(unreadable).append('\n');
        if (firstRefusal != null) {
            text.append("first_refusal ").append(firstRefusal.replaceAll("[\\r\\n]+", " ")).append('\n');
        }
        text.append("first_unreadable_line ").append(firstUnreadableLine).append('\n');
        text.append("kept");
        for (long[] range : kept) {
            text.append(' ').append(range[0]).append('-').append(range[1]);
        }
        text.append('\n');
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.writeDurably(sidecar(file), out -> out.write(bytes));
    }

    void keep(long start, long end) {
        long[] last = kept.isEmpty() ? null : kept.get(kept.size() - 1);
        if (last != null && last[1] == start) {
            last[1] = end;
        } else {
            kept.add(new long[] {start, end});
        }
    }

    /** Bytes the file will still hold once its replay ends here. */
    long bytesLeft(long size) {
        long left = size - offset;
        for (long[] range : kept) {
            left += range[1] - range[0];
        }
        return left;
    }

    /** i-node (where the file system has them), size and modification time. */
    private static String identity(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        Object key = attributes.fileKey();
        return (key == null ? "-" : key.toString().replace(' ', '_')) + " " + attributes.size() + " "
                + attributes.lastModifiedTime().toMillis();
    }
}
