package io.datanadhi.echopost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.datanadhi.proto.LogRequest;
import io.datanadhi.proto.LogResponse;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A full disk drains: EchoPost's directory on a small file system of its own (mounted for the
 * test, root only), filled by EchoPost's records and then by a filler file to the last byte. Once
 * the server is back, EchoPost delivers every record it acknowledged, exactly once, and exits:
 * nothing on the way (the checkpoint, the session logs, the lock file, a new start) may need
 * space the disk does not have.
 */
class FullDiskIT {

    static final int MEGABYTES = 8;
    static final String PAD = "p".repeat(1000);

    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"tmpfs", "ext4"})
    void everyAcknowledgedRecordIsDeliveredOnceFromADiskWithNotOneByteFree(String kind) throws Exception {
        try (SmallDisk disk = SmallDisk.mount(kind, temp.resolve("disk"), MEGABYTES);
                ReplayServer server = ReplayServer.down();
                EchoPostProcess echo = EchoPostProcess.in(disk.mount.resolve("echopost")).healthUrl(server.url())
                        .arg("-min-free-mb", "0").startReady()) {
            List<String> acknowledged = fillThroughEchoPost(echo);
            long filler = assertFull(disk, echo, acknowledged);

            long started = System.nanoTime();
            server.start();
            assertEquals(0, echo.awaitExit(120_000), echo.output());
            assertDrained(echo, server, acknowledged);
            report(kind, "running", acknowledged.size(), filler, started, echo);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tmpfs", "ext4"})
    void anEchoPostStartedOnAFullDiskDeliversWhatAnEarlierOneStored(String kind) throws Exception {
        try (SmallDisk disk = SmallDisk.mount(kind, temp.resolve("disk"), MEGABYTES);
                ReplayServer server = ReplayServer.down()) {
            Path dir = disk.mount.resolve("echopost");
            List<String> acknowledged;
            try (EchoPostProcess first = EchoPostProcess.in(dir).healthUrl(server.url()).arg("-min-free-mb", "0")
                    .startReady()) {
                acknowledged = fillThroughEchoPost(first);
                first.sigterm();
                assertEquals(0, first.awaitExit(30_000), first.output());
            }
            long filler = disk.fillToTheLastByte();
            assertEquals(0, disk.usableSpace(), "the disk is full");

            long started = System.nanoTime();
            server.start();
            try (EchoPostProcess second = EchoPostProcess.in(dir).healthUrl(server.url()).arg("-min-free-mb", "0")
                    .start()) {
                assertEquals(0, second.awaitExit(120_000), second.output());
                assertDrained(second, server, acknowledged);
                report(kind, "restarted", acknowledged.size(), filler, started, second);
            }
        }
    }

    /** Sends records of about 1 KB in batches, then one by one, until EchoPost refuses them. */
    private static List<String> fillThroughEchoPost(EchoPostProcess echo) {
        List<String> acknowledged = new ArrayList<>();
        ManagedChannel channel = Clients.channel(echo.socket());
        try {
            int n = 0;
            int refusedInARow = 0;
            long deadline = System.currentTimeMillis() + 60_000;
            // A refusal may be a write that failed for want of space while a little is still
            // free: go on until several in a row are refused.
            while (refusedInARow < 5) {
                assertTrue(System.currentTimeMillis() < deadline, "never refused");
                int size = refusedInARow == 0 ? 20 : 1;
                List<LogRequest> batch = new ArrayList<>();
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < size; i++, n++) {
                    ids.add("r" + n);
                    batch.add(Clients.request("{\"id\":\"r" + n + "\",\"pad\":\"" + PAD + "\"}", List.of("p"), "k"));
                }
                LogResponse response = Clients.sendBatch(channel, batch);
                if (response.getSuccess()) {
                    acknowledged.addAll(ids);
                    refusedInARow = 0;
                } else {
                    refusedInARow++;
                }
            }
        } finally {
            channel.shutdownNow();
        }
        assertTrue(acknowledged.size() > 1000, "stored " + acknowledged.size());
        return acknowledged;
    }

    private static void report(String kind, String how, int acknowledged, long filler, long startedNanos,
            EchoPostProcess echo) throws Exception {
        System.out.printf("full disk (%s, %d MB, EchoPost %s): %d records acknowledged, then a filler of %d bytes to "
                + "0 usable; all delivered once, exit 0, %d ms after the server came back; %d log_write_failed, "
                + "%d write_failed, %d disk_refused events%n", kind, MEGABYTES, how, acknowledged, filler,
                (System.nanoTime() - startedNanos) / 1_000_000, echo.events("log_write_failed").size(),
                echo.events("write_failed").size(), echo.events("disk_refused").size());
    }

    /** Fills the disk to the last byte; records EchoPost still takes are added to {@code acknowledged}. */
    private static long assertFull(SmallDisk disk, EchoPostProcess echo, List<String> acknowledged) throws Exception {
        long filler = disk.fillToTheLastByte();
        assertEquals(0, disk.usableSpace(), "the disk is full");
        // A small record may still fit in the last block of the newest segment (ext4): one of the
        // next few does not.
        ManagedChannel channel = Clients.channel(echo.socket());
        try {
            for (int i = 0; ; i++) {
                assertTrue(i < 100, "records are still taken on a full disk");
                String id = "late" + i;
                LogResponse response = Clients.sendLog(channel, Clients.request("{\"id\":\"" + id + "\"}", List.of("p"), "k"));
                if (!response.getSuccess()) {
                    break;
                }
                acknowledged.add(id);
            }
        } finally {
            channel.shutdownNow();
        }
        return filler;
    }

    private static void assertDrained(EchoPostProcess echo, ReplayServer server, List<String> acknowledged)
            throws Exception {
        assertEquals(acknowledged, StatusClassesIT.idsOf(server.accepted()),
                "every acknowledged record, once, in order\n" + echo.output());
        List<Map<String, String>> exiting = echo.eventFields("exiting");
        assertEquals(1, exiting.size(), echo.output());
        assertEquals("drained", exiting.get(0).get("reason"));
        assertEquals("0", exiting.get(0).get("backlog"));
        assertEquals(List.of(), echo.events("replay_error"), "replay never stalled");
        assertFalse(Files.exists(echo.dir.resolve("store")), "the store is removed once delivered");
    }
}
