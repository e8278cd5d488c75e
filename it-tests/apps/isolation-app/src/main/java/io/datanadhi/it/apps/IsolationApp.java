package io.datanadhi.it.apps;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.ClassFileVersion;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.implementation.FixedValue;
import net.bytebuddy.matcher.ElementMatchers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Uses its own, older Jackson, ByteBuddy, protobuf, gRPC (netty-shaded) and Netty while the agent
 * runs with its newer, hidden copies. Exits 1 if any library misbehaves.
 */
public final class IsolationApp {

    private static final Logger LOG = LoggerFactory.getLogger("com.acme.Isolation");

    public static void main(String[] args) throws Exception {
        System.out.println("app: start isolation");
        Map<String, String> results = new TreeMap<>();
        results.put("jackson", jackson());
        results.put("bytebuddy", byteBuddy());
        results.put("protobuf", protobuf());
        results.put("grpc", grpc());
        results.put("netty", netty());
        System.out.println("app: libraries " + results);
        results.forEach(MDC::put);
        LOG.info("isolation ok");
        MDC.clear();
        System.out.println("app: done");
    }

    private static String jackson() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        String json = mapper.writeValueAsString(Map.of("answer", 42));
        int answer = mapper.readTree(json).get("answer").asInt();
        check(answer == 42, "jackson round trip");
        return com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION.toString();
    }

    private static String byteBuddy() throws Exception {
        Class<?> type = new ByteBuddy(ClassFileVersion.JAVA_V8)
                .subclass(Object.class)
                .method(ElementMatchers.named("toString"))
                .intercept(FixedValue.value("made by bytebuddy"))
                .make()
                .load(IsolationApp.class.getClassLoader(), ClassLoadingStrategy.Default.WRAPPER)
                .getLoaded();
        check("made by bytebuddy".equals(type.getDeclaredConstructor().newInstance().toString()), "bytebuddy subclass");
        // The application's own copy: 1.10 predates ClassFileVersion.JAVA_V18.
        boolean own = ByteBuddy.class.getClassLoader() == IsolationApp.class.getClassLoader();
        boolean old = java.util.Arrays.stream(ClassFileVersion.class.getFields()).noneMatch(f -> f.getName().equals("JAVA_V18"));
        return own && old ? "1.10" : "unexpected";
    }

    private static String protobuf() throws Exception {
        Struct struct = Struct.newBuilder().putFields("k", Value.newBuilder().setStringValue("v").build()).build();
        Struct parsed = Struct.parseFrom(struct.toByteArray());
        check("v".equals(parsed.getFieldsOrThrow("k").getStringValue()), "protobuf round trip");
        return "3.x";
    }

    private static String grpc() throws Exception {
        MethodDescriptor<String, String> echo = MethodDescriptor.<String, String>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName("isolation.Echo", "Echo"))
                .setRequestMarshaller(new Utf8())
                .setResponseMarshaller(new Utf8())
                .build();
        ServerServiceDefinition service = ServerServiceDefinition.builder("isolation.Echo")
                .addMethod(echo, ServerCalls.asyncUnaryCall((request, observer) -> {
                    observer.onNext("echo " + request);
                    observer.onCompleted();
                }))
                .build();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        try {
            String reply = ClientCalls.blockingUnaryCall(channel, echo, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "hi");
            check("echo hi".equals(reply), "grpc echo");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        return io.grpc.internal.GrpcUtil.getGrpcBuildVersion().getImplementationVersion();
    }

    private static String netty() {
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf in = (ByteBuf) msg;
                ctx.fireChannelRead(in.toString(StandardCharsets.UTF_8).toUpperCase());
                in.release();
            }
        });
        ByteBuf buffer = ByteBufAllocator.DEFAULT.buffer();
        buffer.writeCharSequence("netty", StandardCharsets.UTF_8);
        channel.writeInbound(buffer);
        check("NETTY".equals(channel.readInbound()), "netty pipeline");
        channel.finishAndReleaseAll();
        return io.netty.util.Version.identify().get("netty-buffer").artifactVersion();
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("app: FAILED " + what);
            System.exit(1);
        }
    }

    private static final class Utf8 implements MethodDescriptor.Marshaller<String> {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
