package io.datanadhi.echopost.server;

import io.datanadhi.echopost.store.AppendResult;
import io.datanadhi.proto.LogAgentGrpc;
import io.datanadhi.proto.LogBatch;
import io.datanadhi.proto.LogRequest;
import io.datanadhi.proto.LogResponse;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * {@code logagent.LogAgent}: {@code SendLog} exactly as the original EchoPost (one record,
 * {@code success=true} once stored), and {@code SendBatch}, acknowledged once the whole batch is
 * on disk. Handlers never block: the answer is sent when the store's group commit completes.
 */
public final class LogAgentService extends LogAgentGrpc.LogAgentImplBase {

    /** Turns a request into the body to store; counts invalid JSON and remembers a client key. */
    public interface Intake {
        byte[] body(LogRequest request);
    }

    private final Intake intake;
    private final Function<List<byte[]>, CompletableFuture<AppendResult>> store;

    public LogAgentService(Intake intake, Function<List<byte[]>, CompletableFuture<AppendResult>> store) {
        this.intake = intake;
        this.store = store;
    }

    @Override
    public void sendLog(LogRequest request, StreamObserver<LogResponse> responses) {
        append(List.of(intake.body(request)), responses);
    }

    @Override
    public void sendBatch(LogBatch batch, StreamObserver<LogResponse> responses) {
        if (batch.getLogsCount() == 0) {
            respond(responses, true, "");
            return;
        }
        List<byte[]> bodies = new ArrayList<>(batch.getLogsCount());
        for (LogRequest request : batch.getLogsList()) {
            bodies.add(intake.body(request));
        }
        append(bodies, responses);
    }

    private void append(List<byte[]> bodies, StreamObserver<LogResponse> responses) {
        store.apply(bodies).whenComplete((result, error) -> {
            if (error != null) {
                respond(responses, false, "EchoPost could not store the records: " + error.getMessage());
            } else {
                respond(responses, result.stored, result.message);
            }
        });
    }

    private static void respond(StreamObserver<LogResponse> responses, boolean success, String message) {
        try {
            responses.onNext(LogResponse.newBuilder().setSuccess(success).setMessage(message).build());
            responses.onCompleted();
        } catch (RuntimeException cancelled) {
            // The client went away; the records are stored (or refused) all the same.
        }
    }
}
