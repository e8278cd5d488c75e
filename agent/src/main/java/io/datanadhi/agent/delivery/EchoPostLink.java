package io.datanadhi.agent.delivery;

import io.datanadhi.agent.AgentThreads;
import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.echopost.EchoPostInstaller;
import io.datanadhi.agent.echopost.EchoPostLauncher;
import io.datanadhi.agent.record.CapturedRecord;
import io.datanadhi.proto.LogAgentGrpc;
import io.datanadhi.proto.LogBatch;
import io.datanadhi.proto.LogRequest;
import io.datanadhi.proto.LogResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The agent's side of EchoPost: started the first time a record needs it, then one long-lived
 * channel on its UNIX socket. Batches go by {@code SendBatch}; an EchoPost that only has
 * {@code SendLog} (the original Go build) gets one call per record for the rest of the run. If
 * EchoPost exited (it does once it has drained), the next batch starts it again. While it starts,
 * batches wait for it ({@link Result#WAIT}), however long that takes; an attempt that fails is
 * retried after a pause, and meanwhile batches go elsewhere. Only a cause no retry can change
 * (platform, socket path, a refused download) disables it for the run, once, with a warning.
 */
public final class EchoPostLink {

    static final int MAX_BATCH = 500;
    /** How long a worker waits for another's call to end: a call to a running EchoPost takes a few ms. */
    private static final long TURN_MILLIS = 50;
    /** Below EchoPost's 4 MB limit per call. */
    static final int MAX_BATCH_BYTES = 3 * 1024 * 1024;
    private static final long CALL_TIMEOUT_SECONDS = 10;
    private static final long WARM_UP_MILLIS = 200;
    /** EchoPost's answer to a call that arrives while it stops. */
    private static final String SHUTTING_DOWN = "shutting down";
    /** EchoPost's answer when too many bytes arrive at once (several JVMs at once): a moment's wait. */
    private static final String BUSY = "EchoPost is busy";

    /** What happened to a batch. */
    enum Result {
        /** EchoPost has them on disk. */
        STORED,
        /** EchoPost answered success=false (disk full, shutting down...): send them elsewhere. */
        REFUSED,
        /** EchoPost is disabled, did not answer, or its last start failed: send them elsewhere. */
        UNAVAILABLE,
        /** EchoPost is starting, or busy for a moment: keep them and send them again shortly. */
        WAIT
    }

    private final EchoPostLauncher launcher;
    private final ReentrantLock sending = new ReentrantLock();
    private final String apiKey;
    private volatile String disabledBecause;
    private volatile boolean sendLogOnly;
    private volatile ManagedChannel channel;
    private volatile EventLoopGroup loop;
    private String lastRefusal;
    /** The start attempt already reported as slow. */
    private String reportedSlow;
    private boolean warmUpDone;
    /** The warm-up call left the channel in its reconnect backoff. */
    private boolean warmedUp;
    private boolean waitForConnection;
    /**
     * The last call was answered: call again without probing the socket first. A probe per batch
     * is a connection per batch for EchoPost to set up and tear down; thousands of them exhausted
     * its 24 MB heap.
     */
    private boolean answered;

    /** @param disabledBecause non-null: EchoPost is off for this run from the start (config, platform) */
    public EchoPostLink(EchoPostLauncher launcher, String apiKey, String disabledBecause) {
        this.launcher = launcher;
        this.apiKey = apiKey;
        this.disabledBecause = disabledBecause;
    }

    boolean enabled() {
        return disabledBecause == null;
    }

    /**
     * An EchoPost (started by this JVM or another) serves the directory: its socket is there.
     * EchoPost removes it when it exits; only one killed with {@code kill -9} leaves it behind
     * until the next start replaces it. A file check, so JMX reads stay cheap and side-effect free.
     */
    boolean running() {
        return enabled() && Files.exists(launcher.socket());
    }

    /**
     * Sends up to {@link #MAX_BATCH} records. One worker at a time: another one waits its turn
     * for at most {@link #TURN_MILLIS}, then gets {@link Result#WAIT}, so that it sees the
     * primary recover while the first waits for EchoPost to start (CI: two workers blocked here
     * for two seconds while the primary answered again).
     */
    Result send(List<CapturedRecord> records) throws InterruptedException {
        if (disabledBecause != null) {
            return Result.UNAVAILABLE;
        }
        if (!sending.tryLock(TURN_MILLIS, TimeUnit.MILLISECONDS)) {
            return Result.WAIT;
        }
        try {
            return sendNow(records);
        } finally {
            sending.unlock();
        }
    }

    private Result sendNow(List<CapturedRecord> records) throws InterruptedException {
        if (disabledBecause != null) {
            return Result.UNAVAILABLE; // by the call that had the turn before this one
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            if (!answered) {
                Result notReady = ensureRunning();
                if (notReady != null) {
                    return notReady;
                }
            }
            try {
                LogResponse response = sendLogOnly ? sendOneByOne(records) : sendBatch(records);
                answered = true;
                if (response.getSuccess()) {
                    return Result.STORED;
                }
                String refusal = response.getMessage();
                if (refusal.contains(SHUTTING_DOWN) && attempt == 0) {
                    // It drained and is exiting as we called: the next attempt starts a new one.
                    answered = false;
                    TimeUnit.MILLISECONDS.sleep(50);
                    continue;
                }
                if (refusal.contains(BUSY)) {
                    Diagnostics.debug("echopost_busy", refusal + "; the batch is sent again shortly");
                    return Result.WAIT;
                }
                if (!refusal.equals(lastRefusal)) {
                    Diagnostics.warn("echopost_refused", "EchoPost refused " + records.size()
                            + " record(s): " + refusal + "; they go to the fallback", "count", records.size());
                    lastRefusal = refusal;
                }
                return Result.REFUSED;
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED && !sendLogOnly) {
                    answered = true;
                    sendLogOnly = true;
                    Diagnostics.info("echopost_sendlog_only", "EchoPost has no SendBatch (the original build?): "
                            + "sending one record per call from now on");
                    attempt--; // not a failure of EchoPost
                    continue;
                }
                // EchoPost may have drained and exited: the next loop starts it again.
                answered = false;
                Diagnostics.debug("echopost_call_failed", "EchoPost call failed: " + e.getStatus());
                if (channel != null) {
                    channel.resetConnectBackoff();
                }
            }
        }
        return Result.UNAVAILABLE;
    }

    /**
     * Null once EchoPost listens; else what to do with the batch. The process is spawned first,
     * then the channel's classes load while EchoPost's JVM starts, then we wait for it, up to
     * {@code echopost.start_timeout} per call.
     */
    private Result ensureRunning() throws InterruptedException {
        EchoPostLauncher.State state;
        try {
            state = launcher.ensureRunning(0);
            if (state == EchoPostLauncher.State.STARTING) {
                warmUp();
                state = launcher.ensureRunning(launcher.startTimeoutNanos());
            }
        } catch (EchoPostInstaller.Unavailable e) {
            disable(e.getMessage());
            return Result.UNAVAILABLE;
        }
        switch (state) {
            case LISTENING:
                if (warmedUp) {
                    // Its warm-up attempt failed: connect now, not after a backoff; and the next
                    // call waits for that connection instead of failing at once.
                    warmedUp = false;
                    channel().resetConnectBackoff();
                    waitForConnection = true;
                }
                return null;
            case RETRY_LATER:
                return Result.UNAVAILABLE;
            default:
                String attempt = launcher.attemptDescription();
                long millis = launcher.startingForMillis();
                if (millis >= TimeUnit.NANOSECONDS.toMillis(launcher.startTimeoutNanos()) && !attempt.equals(reportedSlow)) {
                    reportedSlow = attempt;
                    Diagnostics.warn("echopost_start_slow", "EchoPost (" + attempt + ") does not listen yet after "
                            + millis + " ms (echopost.start_timeout); records wait for it in the queue",
                            "millis", millis);
                }
                return Result.WAIT;
        }
    }

    private LogResponse sendBatch(List<CapturedRecord> records) {
        LogBatch.Builder batch = LogBatch.newBuilder();
        for (CapturedRecord record : records) {
            batch.addLogs(request(record));
        }
        return stub().sendBatch(batch.build());
    }

    /** The original EchoPost's only call, per record; a failure part-way fails the whole batch (resent: at least once). */
    private LogResponse sendOneByOne(List<CapturedRecord> records) {
        LogResponse last = LogResponse.newBuilder().setSuccess(true).build();
        for (CapturedRecord record : records) {
            last = stub().sendLog(request(record));
            if (!last.getSuccess()) {
                return last;
            }
        }
        return last;
    }

    private LogRequest request(CapturedRecord record) {
        LogRequest.Builder request = LogRequest.newBuilder()
                .setJsonData(new String(record.logData(), StandardCharsets.UTF_8))
                .addAllPipelines(record.pipelines);
        if (apiKey != null) {
            request.setApiKey(apiKey); // as the original SDK sends it; the socket is the owner's only
        }
        return request.build();
    }

    private LogAgentGrpc.LogAgentBlockingStub stub() {
        LogAgentGrpc.LogAgentBlockingStub stub = LogAgentGrpc.newBlockingStub(channel())
                .withDeadlineAfter(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (waitForConnection) {
            waitForConnection = false;
            stub = stub.withWaitForReady();
        }
        return stub;
    }

    /**
     * While EchoPost's JVM boots: the channel, and one call with an empty batch that fails at once
     * (nothing listens yet; were EchoPost already there, it stores nothing for an empty batch),
     * which loads the classes of the whole call path on this side. Without it the
     * first batch pays for them after EchoPost listens, hundreds of milliseconds on a busy machine.
     */
    private void warmUp() {
        if (warmUpDone) {
            return;
        }
        warmUpDone = true;
        try {
            LogAgentGrpc.newBlockingStub(channel()).withDeadlineAfter(WARM_UP_MILLIS, TimeUnit.MILLISECONDS)
                    .sendBatch(LogBatch.getDefaultInstance());
        } catch (StatusRuntimeException expected) {
            // UNAVAILABLE: nothing listens yet
        } catch (RuntimeException e) {
            Diagnostics.debug("echopost_warm_up_failed", "warming up the EchoPost channel failed: " + e);
        }
        warmedUp = true;
    }

    /** Built once; it connects on the first call. */
    private synchronized ManagedChannel channel() {
        if (channel == null) {
            QuietNetty.install();
            loop = new EpollEventLoopGroup(1, AgentThreads.factory("datanadhi-echopost-io"));
            channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(launcher.socket().toString()))
                    .channelType(EpollDomainSocketChannel.class)
                    .eventLoopGroup(loop)
                    .executor(Runnable::run)
                    .usePlaintext()
                    .maxInboundMessageSize(4 * 1024 * 1024)
                    .build();
        }
        return channel;
    }

    private void disable(String why) {
        if (disabledBecause == null) {
            disabledBecause = why;
            Diagnostics.warn("echopost_disabled", "EchoPost is disabled for this run: " + why
                    + "; while the server is down, records go to the fallback server", "reason", why);
        }
    }

    /**
     * No EchoPost is started from now on (one starting for this JVM is stopped), and the channel
     * closes. Never waits for a batch being sent or a start under way: the JVM is exiting.
     */
    void close() {
        if (launcher != null) {
            launcher.close();
        }
        ManagedChannel open = channel;
        if (open != null) {
            open.shutdownNow();
            try {
                open.awaitTermination(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        }
    }
}
