package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A disk that can lose power, in the spirit of H2's reorder-writes file system: every operation
 * really happens, and the disk remembers what a power cut could undo.
 *
 * <p>A file's content is durable as of its last {@code force()}; the appends, writes in place and
 * truncations since are unforced. A directory's entries are durable as of its last {@code forceDirectory()}; the
 * files created, renamed and deleted in it since are unsynced. {@link #powerLoss()} rewrites the
 * directory tree to what a cut could leave: each file gets its durable content plus a random
 * prefix of its unforced operations, the next one possibly torn (partial, garbage or zeros; for a
 * write in place, each sector it covers old, new, zeros or garbage), or its unforced sectors
 * scrambled; each directory gets its durable entries plus a random prefix of
 * its unsynced operations: an unsynced creation may vanish, an unsynced rename may be undone (the
 * old file comes back under the old name), an unsynced deletion may come back.
 *
 * <p>The cut comes at the {@code cutAt}-th operation (or at {@link #cut()}): that operation and
 * every later one fails, so nothing more reaches the disk. A few operations can also be made to
 * fail before that (see {@link #armFailures}), often several close together, and the cut can be
 * made to follow soon after; a file whose write or force failed must then never be forced again
 * by the same store.
 */
final class PowerLossFiles extends StoreFiles {

    private static final int SECTOR = 512;

    private final Path root;
    private final Random random;
    private long cutAt;
    private int failuresLeft;
    private final double failureChance;
    private boolean failuresArmed;
    /** Operations left in which a failure is likely: a failing disk seldom fails only once. */
    private int burst;
    /** Whether the power goes within a few operations of the first failure. */
    private boolean cutSoonAfterFailure;

    private final Object lock = new Object();
    private final DirNode rootNode;
    private final List<Tracked> openFiles = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private long operations;
    private volatile boolean cut;
    private int injectedFailures;

    /**
     * @param root the top of the tree this disk holds; everything in it now is durable
     * @param cutAt the operation that meets the cut; Long.MAX_VALUE for a cut only at {@link #cut()}
     */
    PowerLossFiles(Path root, Random random, long cutAt, int failures, double failureChance) throws IOException {
        this.root = root;
        this.random = random;
        this.cutAt = cutAt;
        this.failuresLeft = failures;
        this.failureChance = failureChance;
        this.rootNode = scan(root);
    }

    /**
     * While armed, a few operations fail as a failing disk's would: a force, an append (after
     * writing part of its bytes), a file creation, a directory sync.
     */
    void armFailures(boolean armed) {
        synchronized (lock) {
            failuresArmed = armed;
        }
    }

    /** The power goes within a few operations of the first injected failure. */
    void cutSoonAfterFailure() {
        synchronized (lock) {
            cutSoonAfterFailure = true;
        }
    }

    /** A new store instance: a force after a failed one is its own business again. */
    void newStore() {
        synchronized (lock) {
            for (FileNode node : allFiles(rootNode, new ArrayList<>())) {
                node.writeFailed = false;
            }
        }
    }

    private static List<FileNode> allFiles(DirNode dir, List<FileNode> files) {
        for (Node node : dir.current.values()) {
            if (node instanceof DirNode) {
                allFiles((DirNode) node, files);
            } else {
                files.add((FileNode) node);
            }
        }
        return files;
    }

    /** Whether this operation fails; holding the lock. */
    private boolean injectFailure() {
        if (!failuresArmed || failuresLeft == 0) {
            return false;
        }
        boolean inBurst = burst > 0;
        burst = Math.max(0, burst - 1);
        if (random.nextDouble() < (inBurst ? 0.5 : failureChance)) {
            failuresLeft--;
            if (injectedFailures++ == 0 && cutSoonAfterFailure) {
                cutAt = Math.min(cutAt, operations + 1 + random.nextInt(12));
            }
            burst = 6;
            return true;
        }
        return false;
    }

    // ---- the model ----

    private abstract static class Node {}

    private static final class FileNode extends Node {
        byte[] durable;
        /** Appends (byte[]), writes in place (Overwrite) and truncations (Long) not yet forced, in order. */
        final List<Object> unforced = new ArrayList<>();
        /** A write or force to it failed: the store must not force it again. */
        boolean writeFailed;
        /** Written in place, not only appended to. */
        boolean rewritten;
        final String name;

        FileNode(String name, byte[] durable) {
            this.name = name;
            this.durable = durable;
        }
    }

    private static final class DirNode extends Node {
        Map<String, Node> durable = new TreeMap<>();
        final Map<String, Node> current = new TreeMap<>();
        /** Put, Remove and Rename operations not yet synced, in order. */
        final List<Object[]> unsynced = new ArrayList<>();
    }

    private static DirNode scan(Path dir) throws IOException {
        DirNode node = new DirNode();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                String name = entry.getFileName().toString();
                node.current.put(name, Files.isDirectory(entry) ? scan(entry) : new FileNode(name, Files.readAllBytes(entry)));
            }
        }
        node.durable.putAll(node.current);
        return node;
    }

    private DirNode dirNode(Path dir) {
        Path relative = root.relativize(dir);
        DirNode node = rootNode;
        if (relative.toString().isEmpty()) {
            return node;
        }
        for (Path name : relative) {
            Node child = node.current.get(name.toString());
            if (!(child instanceof DirNode)) {
                throw new IllegalStateException("no directory " + dir + " on this disk");
            }
            node = (DirNode) child;
        }
        return node;
    }

    private static String name(Path path) {
        return path.getFileName().toString();
    }

    // ---- the cut ----

    /** Counts an operation; the one that meets the cut, and all later ones, fail. Holding the lock. */
    private void operation() throws IOException {
        if (cut) {
            throw new IOException("power lost");
        }
        if (++operations >= cutAt) {
            cut = true;
            throw new IOException("power lost");
        }
    }

    private void checkPower() throws IOException {
        if (cut) {
            throw new IOException("power lost");
        }
    }

    /** The power goes after {@code operations} more operations: the one after them meets the cut. */
    void cutAfter(long operations) {
        synchronized (lock) {
            cutAt = this.operations + operations + 1;
        }
    }

    /** Cuts the power now. */
    void cut() {
        synchronized (lock) {
            cut = true;
        }
    }

    boolean isCut() {
        return cut;
    }

    long operations() {
        synchronized (lock) {
            return operations;
        }
    }

    int injectedFailures() {
        synchronized (lock) {
            return injectedFailures;
        }
    }

    /** What the store did that it must not: force a segment again after a failed force. */
    List<String> violations() {
        synchronized (lock) {
            return new ArrayList<>(violations);
        }
    }

    /** After the cut: every handle is gone with the power. */
    void closeAll() {
        List<Tracked> files;
        synchronized (lock) {
            files = new ArrayList<>(openFiles);
            openFiles.clear();
        }
        for (Tracked file : files) {
            try {
                file.real.close();
            } catch (IOException ignored) {
                // Closing after the cut.
            }
        }
    }

    // ---- file operations ----

    @Override
    public DurableFile create(Path path) throws IOException {
        synchronized (lock) {
            operation();
            if (injectFailure()) {
                throw new IOException("injected failure creating " + path.getFileName());
            }
            DurableFile real = super.create(path);
            FileNode node = new FileNode(name(path), new byte[0]);
            DirNode dir = dirNode(path.getParent());
            dir.current.put(name(path), node);
            dir.unsynced.add(new Object[] {"put", name(path), node});
            return track(node, real);
        }
    }

    @Override
    public DurableFile open(Path path) throws IOException {
        synchronized (lock) {
            operation();
            Node node = dirNode(path.getParent()).current.get(name(path));
            if (!(node instanceof FileNode)) {
                throw new IllegalStateException("opening " + path + ", unknown to the disk model");
            }
            return track((FileNode) node, super.open(path));
        }
    }

    private Tracked track(FileNode node, DurableFile real) {
        Tracked file = new Tracked(node, real);
        openFiles.add(file);
        return file;
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        synchronized (lock) {
            operation();
            if (injectFailure()) {
                throw new IOException("injected failure syncing " + dir.getFileName());
            }
            DirNode node = dirNode(dir);
            node.durable = new TreeMap<>(node.current);
            node.unsynced.clear();
        }
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        synchronized (lock) {
            operation();
            super.rename(from, to);
            DirNode fromDir = dirNode(from.getParent());
            DirNode toDir = dirNode(to.getParent());
            Node node = fromDir.current.remove(name(from));
            toDir.current.put(name(to), node);
            if (fromDir == toDir) {
                fromDir.unsynced.add(new Object[] {"rename", name(from), name(to)});
            } else {
                fromDir.unsynced.add(new Object[] {"remove", name(from)});
                toDir.unsynced.add(new Object[] {"put", name(to), node});
            }
        }
    }

    @Override
    public void delete(Path path) throws IOException {
        synchronized (lock) {
            operation();
            super.delete(path);
            DirNode dir = dirNode(path.getParent());
            if (dir.current.remove(name(path)) != null) {
                dir.unsynced.add(new Object[] {"remove", name(path)});
            }
        }
    }

    @Override
    public void createDirectory(Path dir) throws IOException {
        synchronized (lock) {
            operation();
            if (Files.isDirectory(dir)) {
                return;
            }
            DirNode parent = dirNode(dir.getParent()); // one level at a time, under the root
            super.createDirectory(dir);
            DirNode node = new DirNode();
            parent.current.put(name(dir), node);
            parent.unsynced.add(new Object[] {"put", name(dir), node});
        }
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        checkPower();
        return super.list(dir);
    }

    private final class Tracked implements DurableFile {
        final FileNode node;
        final DurableFile real;

        Tracked(FileNode node, DurableFile real) {
            this.node = node;
            this.real = real;
        }

        @Override
        public void append(ByteBuffer source) throws IOException {
            synchronized (lock) {
                operation();
                byte[] bytes = new byte[source.remaining()];
                source.duplicate().get(bytes);
                if (injectFailure()) {
                    // Part of it was written, then the disk said no.
                    byte[] part = Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
                    real.append(ByteBuffer.wrap(part));
                    node.unforced.add(part);
                    node.writeFailed = true;
                    throw new IOException("injected write failure");
                }
                real.append(source);
                node.unforced.add(bytes);
            }
        }

        @Override
        public void write(ByteBuffer source, long position) throws IOException {
            synchronized (lock) {
                operation();
                byte[] bytes = new byte[source.remaining()];
                source.duplicate().get(bytes);
                if (injectFailure()) {
                    byte[] part = Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
                    real.write(ByteBuffer.wrap(part), position);
                    node.unforced.add(new Overwrite(position, part));
                    node.rewritten = true;
                    throw new IOException("injected write failure");
                }
                real.write(source, position);
                node.unforced.add(new Overwrite(position, bytes));
                node.rewritten = true;
            }
        }

        @Override
        public void force() throws IOException {
            synchronized (lock) {
                operation();
                // A file written in place (the ledger) rewrites what a failed write left; a file
                // only appended to (a segment) would build on it.
                if (node.writeFailed && !node.rewritten) {
                    violations.add(node.name + " forced again after a write or force to it failed");
                }
                if (injectFailure()) {
                    node.writeFailed = true;
                    throw new IOException("injected fsync failure");
                }
                node.durable = apply(node.durable, node.unforced, node.unforced.size());
                node.unforced.clear();
            }
        }

        @Override
        public int read(ByteBuffer target, long position) throws IOException {
            checkPower();
            return real.read(target, position);
        }

        @Override
        public long size() throws IOException {
            checkPower();
            return real.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            synchronized (lock) {
                operation();
                real.truncate(size);
                node.unforced.add(size);
            }
        }

        @Override
        public void close() throws IOException {
            real.close();
        }
    }

    /** A write in place: {@code bytes} over what was at {@code position}. */
    private static final class Overwrite {
        final long position;
        final byte[] bytes;

        Overwrite(long position, byte[] bytes) {
            this.position = position;
            this.bytes = bytes;
        }

        byte[] applyTo(byte[] content) {
            int end = (int) position + bytes.length;
            byte[] result = Arrays.copyOf(content, Math.max(content.length, end));
            System.arraycopy(bytes, 0, result, (int) position, bytes.length);
            return result;
        }
    }

    private static byte[] apply(byte[] content, List<Object> ops, int count) {
        byte[] result = content;
        for (int i = 0; i < count; i++) {
            Object op = ops.get(i);
            if (op instanceof Overwrite) {
                result = ((Overwrite) op).applyTo(result);
            } else if (op instanceof byte[]) {
                byte[] bytes = (byte[]) op;
                byte[] grown = Arrays.copyOf(result, result.length + bytes.length);
                System.arraycopy(bytes, 0, grown, result.length, bytes.length);
                result = grown;
            } else {
                result = Arrays.copyOf(result, (int) Math.min(result.length, (Long) op));
            }
        }
        return result;
    }

    // ---- the power cut ----

    /** What one power cut did, for the scenario's report. */
    static final class Damage {
        int filesTorn;
        int entriesLost;
        /** The directory operations the cut undid. */
        final List<String> undone = new ArrayList<>();
    }

    /**
     * Cuts the power (if not yet) and rewrites the tree under the root to one state a cut could
     * have left. Close the store first.
     */
    Damage powerLoss() throws IOException {
        cut();
        closeAll();
        Damage damage = new Damage();
        Map<String, Object> image;
        synchronized (lock) {
            image = image(rootNode, "/", new IdentityHashMap<>(), damage);
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                if (!path.equals(root)) {
                    Files.delete(path);
                }
            }
        }
        write(root, image);
        return damage;
    }

    /** A random number of the {@code n} operations, each end likely. */
    private int prefix(int n) {
        if (n == 0) {
            return 0;
        }
        switch (random.nextInt(4)) {
            case 0:
                return 0;
            case 1:
                return n;
            default:
                return random.nextInt(n + 1);
        }
    }

    private Map<String, Object> image(DirNode dir, String path, IdentityHashMap<FileNode, byte[]> contents,
            Damage damage) {
        Map<String, Node> entries = new TreeMap<>(dir.durable);
        int applied = prefix(dir.unsynced.size());
        damage.entriesLost += dir.unsynced.size() - applied;
        for (Object[] op : dir.unsynced.subList(applied, dir.unsynced.size())) {
            damage.undone.add(op[0] + " " + path + op[1] + (op[0].equals("rename") ? " to " + op[2] : ""));
        }
        for (Object[] op : dir.unsynced.subList(0, applied)) {
            switch ((String) op[0]) {
                case "put":
                    entries.put((String) op[1], (Node) op[2]);
                    break;
                case "remove":
                    entries.remove((String) op[1]);
                    break;
                default: // rename
                    Node node = entries.remove((String) op[1]);
                    if (node != null) {
                        entries.put((String) op[2], node);
                    }
            }
        }
        Map<String, Object> image = new LinkedHashMap<>();
        for (Map.Entry<String, Node> entry : entries.entrySet()) {
            Node node = entry.getValue();
            if (node instanceof DirNode) {
                image.put(entry.getKey(), image((DirNode) node, path + entry.getKey() + "/", contents, damage));
            } else {
                FileNode file = (FileNode) node;
                if (!contents.containsKey(file)) {
                    contents.put(file, content(file, damage));
                }
                image.put(entry.getKey(), contents.get(file));
            }
        }
        return image;
    }

    /** The durable content and a random part of what was not forced. */
    private byte[] content(FileNode file, Damage damage) {
        List<Object> ops = file.unforced;
        if (ops.isEmpty()) {
            return file.durable;
        }
        damage.filesTorn++;
        boolean onlyAppends = ops.stream().allMatch(op -> op instanceof byte[]);
        if (onlyAppends && random.nextInt(4) == 0) {
            // Written back out of order: the file has its new length, any sector may not have landed.
            byte[] content = apply(file.durable, ops, ops.size());
            int from = file.durable.length;
            for (int sector = from / SECTOR * SECTOR; sector < content.length; sector += SECTOR) {
                int start = Math.max(sector, from);
                int end = Math.min(sector + SECTOR, content.length);
                int kind = random.nextInt(3);
                for (int i = start; i < end && kind > 0; i++) {
                    content[i] = kind == 1 ? 0 : (byte) random.nextInt(256);
                }
            }
            return content;
        }
        int applied = prefix(ops.size());
        byte[] content = apply(file.durable, ops, applied);
        if (applied < ops.size() && ops.get(applied) instanceof Overwrite && random.nextBoolean()) {
            // A write in place landed in part: each sector it covers is old, new, zeros or garbage.
            Overwrite next = (Overwrite) ops.get(applied);
            byte[] written = next.applyTo(content);
            byte[] torn = Arrays.copyOf(content, written.length);
            int start = (int) next.position;
            int end = start + next.bytes.length;
            for (int sector = start / SECTOR * SECTOR; sector < end; sector += SECTOR) {
                int kind = random.nextInt(4);
                for (int i = Math.max(sector, start); i < Math.min(sector + SECTOR, end); i++) {
                    torn[i] = kind == 0 ? torn[i] : kind == 1 ? written[i] : kind == 2 ? 0 : (byte) random.nextInt(256);
                }
            }
            return torn;
        }
        if (applied < ops.size() && ops.get(applied) instanceof byte[] && random.nextBoolean()) {
            // The next write landed in part: a prefix of it, then maybe zeros or garbage.
            byte[] next = (byte[]) ops.get(applied);
            int landed = random.nextInt(next.length + 1);
            int junk = random.nextInt(next.length - landed + 1);
            int kind = random.nextInt(3);
            byte[] torn = Arrays.copyOf(content, content.length + landed + (kind == 0 ? 0 : junk));
            System.arraycopy(next, 0, torn, content.length, landed);
            for (int i = content.length + landed; i < torn.length; i++) {
                torn[i] = kind == 1 ? 0 : (byte) random.nextInt(256);
            }
            content = torn;
        }
        return content;
    }

    @SuppressWarnings("unchecked")
    private static void write(Path dir, Map<String, Object> image) throws IOException {
        for (Map.Entry<String, Object> entry : image.entrySet()) {
            Path path = dir.resolve(entry.getKey());
            if (entry.getValue() instanceof Map) {
                Files.createDirectory(path);
                write(path, (Map<String, Object>) entry.getValue());
            } else {
                Files.write(path, (byte[]) entry.getValue());
            }
        }
    }
}
