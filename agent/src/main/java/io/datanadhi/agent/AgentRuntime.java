package io.datanadhi.agent;

import io.datanadhi.agent.capture.CaptureInstaller;
import io.datanadhi.agent.config.AgentConfig;
import io.datanadhi.agent.config.ConfigResolver;
import io.datanadhi.agent.config.ResolvedConfigWriter;
import io.datanadhi.agent.delivery.Delivery;
import io.datanadhi.agent.delivery.DroppedFiles;
import io.datanadhi.agent.delivery.EchoPostLink;
import io.datanadhi.agent.echopost.EchoPostInstaller;
import io.datanadhi.agent.echopost.EchoPostLauncher;
import io.datanadhi.agent.echopost.Platform;
import io.datanadhi.agent.jmx.AgentMetrics;
import io.datanadhi.agent.jmx.PlatformMBean;
import io.datanadhi.agent.delivery.Servers;
import io.datanadhi.agent.delivery.StdoutPrinter;
import io.datanadhi.agent.diag.CounterSummary;
import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.record.EarlyEvent;
import io.datanadhi.agent.record.RecordSettings;
import io.datanadhi.agent.rules.ResolvedRulesWriter;
import io.datanadhi.agent.rules.Rule;
import io.datanadhi.agent.rules.RuleChanges;
import io.datanadhi.agent.rules.RuleLoadResult;
import io.datanadhi.agent.rules.RuleLoader;
import io.datanadhi.agent.rules.RuleWatcher;
import io.datanadhi.bootstrap.CaptureBridge;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The running agent. premain only installs the hooks and starts one daemon thread; that thread
 * reads the configuration and rules and starts delivery while the application goes on. Events
 * logged in between wait in {@link PendingEvents}.
 */
final class AgentRuntime {

    private static final Duration DEFAULT_EXIT_TIMEOUT = Duration.ofSeconds(5);
    /** Hidden, for tests that change the rules a hundred times: the time between two looks at them. */
    static final String LOOK_PROPERTY = "datanadhi.internal.rules_look_millis";
    /** What an exit past its deadline still gives the start-up buffer to stop. */
    private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final String agentArgs;
    private final PendingEvents pending = new PendingEvents();
    /** Rules in effect: events are being evaluated. */
    private final CountDownLatch ready = new CountDownLatch(1);
    /** Everything of start-up done, resolved files included. */
    private final CountDownLatch started = new CountDownLatch(1);
    private final long startNanos = System.nanoTime();
    private final Counters counters = new Counters();
    private volatile AgentConfig config;
    private volatile Delivery delivery;
    /** Set while the early events are evaluated; released at shutdown. */
    private volatile ReplayPace replayPace;
    private volatile PlatformMBean mbean;
    /** Null until the rules first make the agent active. */
    private volatile EventProcessor processor;
    /** The rules in effect (an idle agent's included). */
    private volatile RuleLoadResult inEffect;
    /** Null when {@code rules.reload} is off. */
    private RuleWatcher watcher;
    private volatile ScheduledExecutorService watching;
    /** The hooks feed the processor (not nothing). */
    private volatile boolean capturing;
    /** Guards reloads against the shutdown: none applies once {@link #stopping}. */
    private final java.util.concurrent.locks.ReentrantLock lifecycle = new java.util.concurrent.locks.ReentrantLock();
    private volatile boolean stopping;
    /** The early events being evaluated, which an exit stops. */
    private volatile PendingEvents.Early replaying;
    private final CountDownLatch replayEnded = new CountDownLatch(1);

    private final Path agentJar;

    private AgentRuntime(String agentArgs, Path agentJar) {
        this.agentArgs = agentArgs;
        this.agentJar = agentJar;
    }

    static void start(String args, Instrumentation inst, Path agentJar, boolean lateAttach, String bootstrapHow) {
        if (!CaptureBridge.claimStart()) {
            Diagnostics.warn("agent_already_running", "the Data Nadhi agent is already running in this JVM; "
                    + (lateAttach ? "this attach" : "this -javaagent") + " changes nothing", "late_attach", lateAttach);
            return;
        }
        AgentRuntime runtime = new AgentRuntime(args, agentJar);
        CaptureBridge.install(runtime.pending);
        CaptureInstaller.install(inst);
        String shutdownHow = LastShutdownHook.register(inst, new Runnable() {
            @Override
            public void run() {
                runtime.shutdown();
            }
        }, "datanadhi-shutdown");
        AgentThreads.newThread("datanadhi-init", new Runnable() {
            @Override
            public void run() {
                runtime.initialize();
            }
        }).start();
        Diagnostics.debug("agent_premain", "hooks installed", "late_attach", lateAttach, "bootstrap", bootstrapHow,
                "shutdown", shutdownHow,
                "millis", runtime.millis());
    }

    private void initialize() {
        RuleLoadResult rules = null;
        try {
            AgentConfig resolved = ConfigResolver.resolveForThisJvm(agentArgs);
            config = resolved;
            pending.configure(resolved.dir(), resolved.logLevel(), resolved.maxMessageBytes(), resolved.maxStackTraceBytes());
            phase("config resolved");
            String build = build();
            watcher = resolved.rulesReload() ? new RuleWatcher(resolved.dir(), build, new RuleWatcher.Listener() {
                @Override
                public void reloaded(RuleLoadResult now, RuleChanges changes) {
                    rulesReloaded(now, changes);
                }
            }) : null;
            rules = RuleLoader.readCached(resolved.dir(), build);
            inEffect = rules;
            phase(rules.cached() ? "rules read (from the cache)" : "rules read");
            if (watcher != null) {
                watcher.start(rules);
            }

            if (!active(rules)) {
                // Nothing can leave the process: capture nothing until a reload brings a rule that can.
                CaptureBridge.install(null);
                pending.handOff(null).discard();
                ready.countDown();
                Diagnostics.info("agent_idle", "the agent is attached but has nothing to do (" + idleReason(rules) + ")"
                        + (watcher != null ? "; it starts when a rule file in " + resolved.dir().resolve(RuleLoader.RULES_DIR)
                                + " gives it something to do" : ""));
                return;
            }

            Delivery running = startDelivery(resolved);
            phase("delivery started");

            EventProcessor processor = newProcessor(rules, running);
            PendingEvents.Early early = pending.handOff(processor);
            CaptureBridge.install(processor);
            capturing = true;
            long earlyEvents = early.count();
            long earlySpilled = early.spilled();
            phase("early events handed off: " + earlyEvents + " (" + earlySpilled + " through the file)");
            replaying = early;
            counters.countCaptured(pending.belowThreshold());
            ReplayPace pace = new ReplayPace(running);
            replayPace = pace;
            if (stopping) {
                pace.release(); // the application exits: evaluate the rest at once
            }
            long replayFailed = replay(early, processor, pace);
            replayEnded.countDown();
            ready.countDown();
            phase("ready");
            observe(running);
            reportSkipped(early, replayFailed);
            boolean shipping = resolved.apiKey() != null;
            Diagnostics.info("agent_started", "Data Nadhi agent " + AgentVersion.get() + " ready: "
                    + rules.rules().size() + " rule(s), "
                    + (shipping ? "shipping to " + resolved.serverHost() : "not shipping (no API key)"),
                    "version", AgentVersion.get(), "dir", resolved.dir().toString(),
                    "rules", rules.rules().size(), "shipping", shipping, "early_events", earlyEvents, "early_spilled", earlySpilled,
                    "millis", millis());
        } catch (Throwable t) {
            CaptureBridge.install(null);
            capturing = false;
            watcher = null; // it stays as it failed: no reload can mend that
            pending.handOff(null).discard();
            Diagnostics.error("agent_init_failed",
                    "the agent could not start and captures nothing; the application is not affected: " + t);
        } finally {
            ready.countDown();
            afterReady(rules);
            watch();
            started.countDown();
        }
    }

    /** What {@code .rules.cache} is tied to: the version, and the jar's size and time (a rebuild keeps the version). */
    private String build() {
        String build = AgentVersion.get();
        try {
            if (agentJar != null) {
                build += " " + Files.size(agentJar) + " " + Files.getLastModifiedTime(agentJar).toMillis();
            }
        } catch (java.io.IOException | RuntimeException e) {
            // the version alone
        }
        return build;
    }

    /** Something can leave the process: a rule, and an API key to ship or a rule that prints. */
    private boolean active(RuleLoadResult rules) {
        if (rules.rules().isEmpty()) {
            return false;
        }
        if (config.apiKey() != null) {
            return true;
        }
        for (Rule rule : rules.rules().rules()) {
            if (rule.stdout()) {
                return true;
            }
        }
        return false;
    }

    private static String idleReason(RuleLoadResult rules) {
        return rules.rules().isEmpty() ? "no valid rules" : "no API key and no stdout rule";
    }

    private Delivery startDelivery(AgentConfig resolved) {
        Servers servers = Servers.from(resolved);
        Delivery running = new Delivery(new Delivery.Settings(resolved.queueSize(), resolved.workers(),
                resolved.maxInFlight(), resolved.exitTimeout(), servers, resolved.apiKeyHeader(), resolved.apiKey()),
                null, echoPost(resolved, servers), // the HTTP client starts when the records need it
                new DroppedFiles(resolved.dir(), counters),
                new StdoutPrinter(counters), counters);
        running.start();
        delivery = running;
        return running;
    }

    private EventProcessor newProcessor(RuleLoadResult rules, Delivery running) {
        AgentConfig resolved = config;
        EventProcessor made = new EventProcessor(rules.rules(), resolved.logLevel(),
                new RecordSettings(resolved.moduleName(), resolved.traceIdKeys(), resolved.spanIdKeys(),
                        resolved.maxMessageBytes(), resolved.maxStackTraceBytes(), resolved.caller()),
                running, resolved.apiKey() != null, counters);
        processor = made;
        return made;
    }

    /** Looks at the rule files from now on, unless {@code rules.reload} is off or start-up failed. */
    private void watch() {
        RuleWatcher looking = watcher;
        if (looking == null || inEffect == null) {
            return;
        }
        lifecycle.lock();
        try {
            if (stopping) {
                return;
            }
            long every = Math.max(5, Long.getLong(LOOK_PROPERTY, RuleWatcher.LOOK_MILLIS));
            ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(AgentThreads.factory("datanadhi-rules"));
            thread.scheduleWithFixedDelay(new Runnable() {
                @Override
                public void run() {
                    looking.lookQuietly();
                }
            }, every, every, TimeUnit.MILLISECONDS);
            watching = thread;
        } finally {
            lifecycle.unlock();
        }
    }

    /**
     * On the watcher's thread: the rule files changed. The new set replaces the old one whole; an
     * agent that had nothing to do starts delivery, one left with nothing to do stops capturing
     * (delivery keeps running for what is queued and for the next rule).
     */
    private void rulesReloaded(RuleLoadResult now, RuleChanges changes) {
        // Under the lifecycle lock: the shutdown waits for a reload that is starting delivery, and none begins after it.
        lifecycle.lock();
        try {
            if (!stopping) {
                apply(now, changes);
            }
        } finally {
            lifecycle.unlock();
        }
    }

    private void apply(RuleLoadResult now, RuleChanges changes) {
        boolean wasActive = capturing;
        boolean nowActive = active(now);
        EventProcessor current = processor;
        if (current != null) {
            current.replaceRules(now.rules());
        } else if (nowActive) {
            Delivery running = delivery != null ? delivery : startDelivery(config);
            current = newProcessor(now, running);
            observe(running);
        }
        CaptureBridge.install(nowActive ? current : null);
        capturing = nowActive;
        inEffect = now;
        ResolvedRulesWriter.write(config.dir(), now);
        String state = wasActive == nowActive ? "" : nowActive ? "; the agent is active now" : "; the agent is idle ("
                + idleReason(now) + "): nothing is captured until a rule gives it something to do";
        if (!changes.any() && wasActive == nowActive) {
            Diagnostics.debug("rules_reloaded", "rule files changed, their rules did not: " + now.rules().size()
                    + " rule(s) in effect, " + changes.skipped() + " skipped");
            return;
        }
        Diagnostics.info("rules_reloaded", "rules reloaded from " + config.dir().resolve(RuleLoader.RULES_DIR) + ": "
                + now.rules().size() + " rule(s) in effect (" + changes.describe() + ")" + state,
                "rules", now.rules().size(), "added", changes.added(), "removed", changes.removed(),
                "changed", changes.changed(), "unchanged", changes.unchanged(), "skipped", changes.skipped(),
                "active", nowActive);
    }

    /**
     * Evaluates the events logged while the agent started, oldest first, unless the application
     * exits meanwhile (then says how many were left); returns how many failed.
     */
    private static long replay(PendingEvents.Early early, EventProcessor processor, ReplayPace pace) {
        long count = early.count();
        long[] failed = {0};
        long given = early.forEach(new Consumer<EarlyEvent>() {
            @Override
            public void accept(EarlyEvent event) {
                try {
                    pace.awaitRoom();
                    processor.replay(event);
                } catch (Throwable t) {
                    failed[0]++; // one event's bad value must not cost the ones after it
                }
            }
        });
        if (early.abandoned() && count > given) {
            Diagnostics.warn("startup_events_unevaluated", (count - given)
                    + " event(s) logged while the agent was starting were not evaluated: the application exited"
                    + " while the agent evaluated them", "count", count - given);
        }
        return failed[0];
    }

    private void reportSkipped(PendingEvents.Early early, long replayFailed) {
        long skipped = pending.skipped() + early.unread() + replayFailed;
        if (skipped == 0) {
            return;
        }
        StringBuilder reasons = new StringBuilder(pending.skipReason());
        if (early.unread() > 0) {
            reasons.append(reasons.length() == 0 ? "" : "; ").append(early.unread())
                    .append(" because the start-up spill file could not be read back (").append(early.unreadReason()).append(')');
        }
        if (replayFailed > 0) {
            reasons.append(reasons.length() == 0 ? "" : "; ").append(replayFailed).append(" because evaluating them failed");
        }
        Diagnostics.warn("startup_events_skipped", skipped
                + " event(s) logged while the agent was starting were not evaluated: " + reasons, "count", skipped);
    }

    /**
     * The periodic {@code agent_counters} line, and the MBean once the platform MBean server exists
     * (see {@link PlatformMBean} for why the agent never creates it). Both on delivery's
     * housekeeping thread; neither can stop the agent from starting.
     */
    private void observe(Delivery running) {
        try {
            long interval = CounterSummary.intervalMillis();
            running.every(Duration.ofMillis(interval), Duration.ofMillis(interval), new CounterSummary(counters));
            mbean = PlatformMBean.registerWhenPlatformServerExists(
                    new AgentMetrics(counters, AgentMetrics.Gauges.of(running, new Supplier<RuleLoadResult>() {
                        @Override
                        public RuleLoadResult get() {
                            return inEffect;
                        }
                    })), running);
        } catch (Throwable t) {
            Diagnostics.debug("agent_metrics_unavailable", "no counter summary or MBean: " + t);
        }
    }

    /** EchoPost, installed and started only when a record first needs it. */
    private EchoPostLink echoPost(AgentConfig config, Servers servers) {
        Path dir = config.dir().resolve("echopost");
        EchoPostInstaller installer = new EchoPostInstaller(dir, agentJar, config.echopostBinary(),
                config.echopostDownloadUrl(), config.echopostSha256(), Platform.current());
        EchoPostLauncher launcher = new EchoPostLauncher(new EchoPostLauncher.Settings(dir, config.serverHost(),
                config.apiKeyHeader(), config.apiKey(), config.echopostMaxDiskMb(), config.echopostStartTimeout(),
                config.serverTimeout(), config.maxInFlight(), EchoPostLauncher.ReplayTls.of(config.tls())),
                installer);
        return new EchoPostLink(launcher, config.apiKey(), config.echopostDisabled() ? "echopost.disable is set" : null);
    }

    /** What start-up still owes once events flow: the resolved files. */
    private void afterReady(RuleLoadResult rules) {
        try {
            AgentConfig resolved = config;
            if (resolved != null) {
                ResolvedConfigWriter.write(resolved);
                if (rules != null) {
                    ResolvedRulesWriter.write(resolved.dir(), rules);
                }
            }
            phase("resolved files written");
        } catch (Throwable t) {
            Diagnostics.warn("agent_init_incomplete", "start-up finished with an error; the agent keeps running: " + t);
        }
    }

    private void phase(String what) {
        Diagnostics.debug("agent_init_phase", what, "millis", millis());
    }

    private long millis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    private void shutdown() {
        CaptureBridge.markAgentThread();
        AgentConfig current = config;
        Duration timeout = current != null ? current.exitTimeout() : DEFAULT_EXIT_TIMEOUT;
        long deadline = System.nanoTime() + timeout.toNanos();
        ScheduledExecutorService looking = null;
        boolean locked = false;
        try {
            // After a reload under way (at most 200 ms of it), before the next.
            locked = lifecycle.tryLock(200, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            stopping = true;
            looking = watching;
            ReplayPace pace = replayPace;
            if (pace != null) {
                pace.release();
            }
        } finally {
            if (locked) {
                lifecycle.unlock();
            }
        }
        if (looking != null) {
            looking.shutdown(); // not interrupted: a read cut short would be applied as a smaller set
        }
        // A short-lived application can exit while the agent is still reading its rules.
        await(ready, deadline);
        PendingEvents.Early inReplay = replaying;
        if (ready.getCount() > 0 && inReplay != null) {
            inReplay.abandon(); // the rest is reported by the thread evaluating them
            await(replayEnded, System.nanoTime() + GRACE_NANOS);
        } else if (ready.getCount() > 0) {
            PendingEvents.Early unevaluated = pending.handOff(null, System.nanoTime() + GRACE_NANOS);
            long count = unevaluated.count();
            unevaluated.discard();
            if (count > 0) {
                Diagnostics.warn("startup_events_unevaluated", count
                        + " event(s) logged while the agent was starting were not evaluated: the application"
                        + " exited within async.exit_timeout (" + timeout.toMillis() + " ms) of starting",
                        "count", count);
            }
        }
        Delivery running = delivery;
        if (running != null) {
            running.shutdown(deadline);
        }
        PlatformMBean registered = mbean;
        if (registered != null) {
            registered.close();
        }
        await(started, deadline);
        Diagnostics.debug("agent_stopped", "shutdown finished", "counters", counters.snapshot().toString());
    }

    private static void await(CountDownLatch latch, long deadlineNanos) {
        try {
            latch.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
