package io.datanadhi.agent.echopost;

import java.util.List;

/**
 * How a Java EchoPost is run: small heap, serial GC, C1 only: it is a short-lived process that
 * mostly waits on the disk and the network, and must be ready fast (see BENCHMARKS.md).
 */
public final class EchoPostJvm {

    public static final List<String> FLAGS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
            "-Xms8m", "-Xmx24m", "-XX:MaxDirectMemorySize=64m", "-XX:MaxMetaspaceSize=48m", "-XX:-UsePerfData",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=1",
            "-Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=1");

    private EchoPostJvm() {}
}
