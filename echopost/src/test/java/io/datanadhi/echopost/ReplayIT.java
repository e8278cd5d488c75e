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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayIT {

    static final String KEY = "sdk-secret-key-0123456789";

    @TempDir
    Path dir;

    @Test
    void unaryClientShapedLikeTheSdkIsStoredAndReplayedInOrderOnceTheServerIsUp() throws Exception {
        try (ReplayServer server = ReplayServer.down();
                EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url()).startReady()) {
            for (int i = 0; i < 20; i++) {
                LogResponse response = Clients.sendLogLikeTheSdk(echo.socket(), "{\"seq\":" + i + "}",
                        List.of("p1", "p2"), KEY);
                assertTrue(response.getSuccess(), response.getMessage());
            }
            server.start();
            assertEquals(0, echo.awaitExit(30_000), echo.output());
            List<ReplayServer.Received> accepted = server.accepted();
            assertEquals(20, accepted.size());
            for (int i = 0; i < 20; i++) {
                assertEquals("{\"pipelines\":[\"p1\",\"p2\"],\"log_data\":{\"seq\":" + i + "}}", accepted.get(i).body);
                assertEquals(KEY, accepted.get(i).apiKey, "the client's key, since EchoPost was given none");
            }
            assertFalse(Files.exists(echo.socket()), "socket removed");
            assertFalse(Files.exists(dir.resolve("store")), "empty store removed");
        }
    }

    @Test
    void sendBatchOfTenThousandIsReplayedInOrderThenEchoPostExitsZero() throws Exception {
        try (ReplayServer server = ReplayServer.down();
                EchoPostProcess echo = EchoPostProcess.in(dir).healthUrl(server.url())
                        .env("DATANADHI_API_KEY", KEY).startReady()) {
            ManagedChannel channel = Clients.channel(echo.socket());
            try {
                for (int batch = 0; batch < 20; batch++) {
                    List<LogRequest> requests = new ArrayList<>();
                    for (int i = 0; i < 500; i++) {
                        int seq = batch * 500 + i;
                        requests.add(Clients.request("{\"seq\":" + seq + "}", List.of("all"), ""));
                    }
                    LogResponse response = Clients.sendBatch(channel, requests);
                    assertTrue(response.getSuccess(), response.getMessage());
                }
            } finally {
                channel.shutdownNow();
            }
            server.start();
            assertEquals(0, echo.awaitExit(60_000), echo.output());
            List<String> bodies = server.bodies();
            assertEquals(10_000, bodies.size());
            for (int i = 0; i < 10_000; i++) {
                assertEquals("{\"pipelines\":[\"all\"],\"log_data\":{\"seq\":" + i + "}}", bodies.get(i));
            }
            assertTrue(server.accepted().stream().allMatch(r -> KEY.equals(r.apiKey)));
            assertFalse(Files.exists(echo.socket()));
            assertFalse(echo.events("exiting").isEmpty());
        }
    }
}
