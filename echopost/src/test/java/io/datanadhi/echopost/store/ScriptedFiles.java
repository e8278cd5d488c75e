package io.datanadhi.echopost.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Real file operations with faults a test can script: a force that blocks or fails, a truncate
 * that fails, and a crash (like {@code kill -9}: from then on nothing more reaches the disk, and
 * what was written stays). Counts the forces of every file.
 */
final class ScriptedFiles extends StoreFiles {

    /** Called before a file is forced; may block or throw. */
    interface BeforeForce {
        void run(Path path, long size) throws IOException;
    }

    /** Called before a file is created. */
    interface BeforeCreate {
        void run(Path path) throws IOException;
    }

    volatile BeforeForce beforeForce = (path, size) -> {};
    volatile BeforeCreate beforeCreate = path -> {};
    /** Called before a write in place (not an append); may throw. */
    interface BeforeWrite {
        void run(Path path, long position, int length, long size) throws IOException;
    }

    volatile BeforeWrite beforeWrite = (path, position, length, size) -> {};
    volatile boolean failTruncate;
    /** Creating a file at a path it accepts fails. */
    volatile Predicate<Path> failCreate = path -> false;
    /** An append to a path it accepts writes half its bytes, then fails. */
    volatile Predicate<Path> tearAppend = path -> false;
    /** Deleting a file at a path it accepts fails. */
    volatile Predicate<Path> failDelete = path -> false;
    private volatile boolean crashed;
    private final Map<Path, AtomicInteger> forces = new ConcurrentHashMap<>();

    /** From now on every operation fails; nothing more is written. */
    void crash() {
        crashed = true;
    }

    int forces(Path path) {
        AtomicInteger count = forces.get(path);
        return count == null ? 0 : count.get();
    }

    /** Forces of segment files after their header: one per group commit. */
    int dataForces() {
        return dataForces.get();
    }

    private final AtomicInteger dataForces = new AtomicInteger();

    private void check() throws IOException {
        if (crashed) {
            throw new IOException("simulated crash: the process is gone");
        }
    }

    @Override
    public DurableFile create(Path path) throws IOException {
        check();
        beforeCreate.run(path);
        if (failCreate.test(path)) {
            throw new IOException("simulated failure creating " + path.getFileName());
        }
        return new Scripted(path, super.create(path));
    }

    @Override
    public DurableFile open(Path path) throws IOException {
        check();
        return new Scripted(path, super.open(path));
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        check();
        super.forceDirectory(dir);
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        check();
        super.rename(from, to);
    }

    @Override
    public void delete(Path path) throws IOException {
        check();
        if (failDelete.test(path)) {
            throw new IOException("simulated failure deleting " + path.getFileName());
        }
        super.delete(path);
    }

    @Override
    public void createDirectory(Path dir) throws IOException {
        check();
        super.createDirectory(dir);
    }

    private final class Scripted implements DurableFile {
        private final Path path;
        private final DurableFile file;

        Scripted(Path path, DurableFile file) {
            this.path = path;
            this.file = file;
        }

        @Override
        public void append(ByteBuffer source) throws IOException {
            check();
            if (tearAppend.test(path)) {
                ByteBuffer half = source.duplicate();
                half.limit(half.position() + half.remaining() / 2);
                file.append(half);
                throw new IOException("simulated failure half way through a write");
            }
            file.append(source);
        }

        @Override
        public void write(ByteBuffer source, long position) throws IOException {
            check();
            beforeWrite.run(path, position, source.remaining(), file.size());
            file.write(source, position);
        }

        @Override
        public void force() throws IOException {
            check();
            long size = file.size();
            beforeForce.run(path, size);
            check();
            file.force();
            forces.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            if (Segment.firstSequence(path) >= 0 && size > Segment.HEADER_SIZE) {
                dataForces.incrementAndGet();
            }
        }

        @Override
        public int read(ByteBuffer target, long position) throws IOException {
            return file.read(target, position);
        }

        @Override
        public long size() throws IOException {
            return file.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            check();
            if (failTruncate) {
                throw new IOException("simulated truncate failure");
            }
            file.truncate(size);
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }
}
