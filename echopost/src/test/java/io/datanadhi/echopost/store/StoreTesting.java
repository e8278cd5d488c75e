package io.datanadhi.echopost.store;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Small helpers shared by the store's tests. */
final class StoreTesting {

    static final DiskLimits UNLIMITED = new DiskLimits(Long.MAX_VALUE, 0);

    private StoreTesting() {}

    static byte[] body(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String text(StoredRecord record) {
        return new String(record.body, StandardCharsets.UTF_8);
    }

    static AppendResult await(CompletableFuture<AppendResult> future) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("append did not complete", e);
        }
    }

    /** Appends one record and waits for the outcome. */
    static AppendResult appendOne(Store store, String text) {
        return await(store.append(Collections.singletonList(body(text))));
    }

    /** Appends each text as its own record, waiting for each; fails unless all are stored. */
    static void appendAll(Store store, List<String> texts) {
        for (String text : texts) {
            AppendResult result = appendOne(store, text);
            assertTrue(result.stored, () -> text + " refused: " + result.message);
        }
    }

    static List<String> texts(String prefix, int from, int to) {
        List<String> texts = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            texts.add(prefix + i);
        }
        return texts;
    }

    /** Every record a new reader returns. */
    static List<StoredRecord> readAll(Store store) throws IOException {
        return readAll(store.reader());
    }

    static List<StoredRecord> readAll(SegmentReader reader) throws IOException {
        List<StoredRecord> records = new ArrayList<>();
        StoredRecord record;
        while ((record = reader.next()) != null) {
            records.add(record);
        }
        return records;
    }

    static List<String> texts(List<StoredRecord> records) {
        return records.stream().map(StoreTesting::text).collect(Collectors.toList());
    }

    static List<Long> sequences(List<StoredRecord> records) {
        return records.stream().map(r -> r.sequence).collect(Collectors.toList());
    }

    static List<Path> segmentFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> Segment.firstSequence(p) >= 0).sorted().collect(Collectors.toList());
        }
    }

    static List<String> names(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return new ArrayList<>();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    /** Polls until the condition holds, failing after ten seconds. */
    static void waitFor(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
