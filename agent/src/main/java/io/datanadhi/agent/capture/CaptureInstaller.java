package io.datanadhi.agent.capture;

import io.datanadhi.agent.capture.jboss.JbossHook;
import io.datanadhi.agent.capture.jul.JulHook;
import io.datanadhi.agent.capture.log4j1.Log4j1Hook;
import io.datanadhi.agent.capture.log4j2.Log4j2Hook;
import io.datanadhi.agent.capture.logback.LogbackHook;
import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.trace.Tracers;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;

/** Installs the hooks of every supported framework. */
public final class CaptureInstaller {

    private CaptureInstaller() {}

    private static final List<FrameworkHook> HOOKS = List.of(new JulHook(), new LogbackHook(), new Log4j2Hook(),
            new Log4j1Hook(), new JbossHook());

    public static List<FrameworkHook> hooks() {
        return HOOKS;
    }

    /** Registers the transformer and hooks the target classes that are already loaded. */
    public static void install(Instrumentation inst) {
        CaptureTransformer transformer = new CaptureTransformer(hooks());
        WeaverWarmUp.start();
        inst.addTransformer(transformer, true);
        List<Class<?>> loaded = new ArrayList<>();
        for (Class<?> type : inst.getAllLoadedClasses()) {
            if (transformer.targets(type.getName()) && inst.isModifiableClass(type)) {
                loaded.add(type);
            }
            Tracers.noticeLoaded(type); // a tracer's agent attached before this one
        }
        if (!loaded.isEmpty()) {
            try {
                inst.retransformClasses(loaded.toArray(new Class<?>[0]));
            } catch (Throwable t) {
                Diagnostics.warn("capture_retransform_failed",
                        "could not hook classes loaded before the agent: " + loaded, t);
            }
        }
    }
}
