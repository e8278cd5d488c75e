package io.datanadhi.bench;

import io.datanadhi.proto.LogAgentGrpc;
import io.datanadhi.proto.LogBatch;
import io.datanadhi.proto.LogRequest;
import io.datanadhi.proto.LogResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The baseline for EchoPost's unary figure: the same gRPC service on a UNIX socket, configured as
 * EchoPost's, that acknowledges every call at once and stores nothing. What it reaches is the
 * ceiling of gRPC itself with these clients on this machine.
 */
public final class TrivialLogAgent {
    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        Files.deleteIfExists(socket);
        LogResponse ok = LogResponse.newBuilder().setSuccess(true).build();
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(new EpollEventLoopGroup(1))
                .workerEventLoopGroup(new EpollEventLoopGroup(2))
                .directExecutor()
                .addService(new LogAgentGrpc.LogAgentImplBase() {
                    @Override
                    public void sendLog(LogRequest request, StreamObserver<LogResponse> responses) {
                        responses.onNext(ok);
                        responses.onCompleted();
                    }

                    @Override
                    public void sendBatch(LogBatch batch, StreamObserver<LogResponse> responses) {
                        responses.onNext(ok);
                        responses.onCompleted();
                    }
                })
                .build()
                .start();
        server.awaitTermination();
    }
}
