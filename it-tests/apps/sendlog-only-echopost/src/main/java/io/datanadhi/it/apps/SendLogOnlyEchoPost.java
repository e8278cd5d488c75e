package io.datanadhi.it.apps;

import io.datanadhi.proto.LogAgentGrpc;
import io.datanadhi.proto.LogRequest;
import io.datanadhi.proto.LogResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An EchoPost as the original Go build is on the wire: {@code logagent.LogAgent} with
 * {@code SendLog} only, so {@code SendBatch} answers UNIMPLEMENTED. Takes the original's
 * arguments ({@code -datanadhi DIR -health-url URL}), listens on
 * {@code DIR/data-nadhi-agent.sock}, and appends every record it gets to {@code DIR/received.jsonl}
 * as {@code {"pipelines":[...],"log_data":...}}. It never replays: tests read the file.
 */
public final class SendLogOnlyEchoPost {

    public static void main(String[] args) throws Exception {
        Path dir = null;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("-datanadhi")) {
                dir = Path.of(args[i + 1]);
            }
        }
        if (dir == null) {
            System.err.println("usage: -datanadhi DIR [-health-url URL]");
            System.exit(2);
        }
        Files.createDirectories(dir);
        Path socket = dir.resolve("data-nadhi-agent.sock");
        Files.deleteIfExists(socket);
        Writer received = Files.newBufferedWriter(dir.resolve("received.jsonl"), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(new EpollEventLoopGroup(1))
                .workerEventLoopGroup(new EpollEventLoopGroup(1))
                .addService(new LogAgentGrpc.LogAgentImplBase() {
                    @Override
                    public void sendLog(LogRequest request, StreamObserver<LogResponse> response) {
                        boolean stored = store(received, request);
                        response.onNext(LogResponse.newBuilder().setSuccess(stored)
                                .setMessage(stored ? "Log stored" : "could not write").build());
                        response.onCompleted();
                    }
                })
                .build()
                .start();
        server.awaitTermination();
    }

    private static synchronized boolean store(Writer received, LogRequest request) {
        StringBuilder line = new StringBuilder("{\"pipelines\":[");
        for (int i = 0; i < request.getPipelinesCount(); i++) {
            line.append(i == 0 ? "" : ",").append('"').append(request.getPipelines(i)).append('"');
        }
        line.append("],\"log_data\":").append(request.getJsonData()).append("}\n");
        try {
            received.write(line.toString());
            received.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
