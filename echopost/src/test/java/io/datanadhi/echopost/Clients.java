package io.datanadhi.echopost;

import io.datanadhi.proto.LogAgentGrpc;
import io.datanadhi.proto.LogBatch;
import io.datanadhi.proto.LogRequest;
import io.datanadhi.proto.LogResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** gRPC clients of EchoPost over its UNIX socket. */
final class Clients {

    /**
     * grpc-netty sets SO_KEEPALIVE, which a UNIX socket does not have; Netty warns for every
     * channel. Held here, since JUL keeps loggers weakly (EchoPost itself does the same).
     */
    private static final java.util.logging.Logger QUIET_NETTY_BOOTSTRAP = quiet();
    private static final EventLoopGroup LOOP = new EpollEventLoopGroup(2);

    private static java.util.logging.Logger quiet() {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.netty.bootstrap");
        logger.setLevel(java.util.logging.Level.SEVERE);
        return logger;
    }

    private Clients() {}

    static ManagedChannel channel(Path socket) {
        return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(LOOP)
                .usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024)
                .build();
    }

    /** Like the original Python SDK: a channel per call, json_data, pipelines and api_key set. */
    static LogResponse sendLogLikeTheSdk(Path socket, String json, List<String> pipelines, String apiKey) {
        ManagedChannel channel = channel(socket);
        try {
            return LogAgentGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .sendLog(request(json, pipelines, apiKey));
        } finally {
            channel.shutdownNow();
        }
    }

    /** One SendLog on a long-lived channel. */
    static LogResponse sendLog(ManagedChannel channel, LogRequest request) {
        return LogAgentGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).sendLog(request);
    }

    static LogResponse sendBatch(ManagedChannel channel, List<LogRequest> requests) {
        return LogAgentGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .sendBatch(LogBatch.newBuilder().addAllLogs(requests).build());
    }

    static LogRequest request(String json, List<String> pipelines, String apiKey) {
        return LogRequest.newBuilder().setJsonData(json).addAllPipelines(pipelines).setApiKey(apiKey).build();
    }
}
