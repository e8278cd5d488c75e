package io.datanadhi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application with its own, older Jackson, ByteBuddy, protobuf, gRPC and Netty runs unchanged
 * with the agent attached, uses them, and its events still arrive.
 */
class IsolationTest {

    @TempDir
    Path dir;

    @Test
    void applicationLibrariesAndTheAgentsOwnDoNotClash() throws Exception {
        TestRules.write(dir, "app.yml", TestRules.EVERYTHING);
        try (IngestServer server = new IngestServer()) {
            AppRun.Result run = AppRun.isolation().shippingTo(server, dir).run();
            assertEquals(0, run.exitCode, run.toString());
            assertTrue(run.stdout.contains("app: libraries {bytebuddy=1.10, grpc=1.56"), run.stdout);
            assertTrue(run.stdout.contains("jackson=2.9.10"), run.stdout);
            assertTrue(run.stdout.contains("netty=4.1.100.Final"), run.stdout);

            JsonNode data = JulCaptureTest.only(server.records(r -> r.message().equals("isolation ok"))).logData();
            assertEquals("2.9.10", data.get("context").get("jackson").asText());
        }
    }
}
