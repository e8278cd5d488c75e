package io.datanadhi.agent.capture;

import io.datanadhi.agent.diag.Diagnostics;
import io.datanadhi.agent.trace.Tracers;
import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sees every class the JVM loads and hooks the few it knows by name. For any other class the
 * cost is two hash lookups (the second for a tracer's classes, see {@link Tracers}): nothing is
 * parsed, nothing is loaded.
 */
final class CaptureTransformer implements ClassFileTransformer {

    private static final String BRIDGE_CLASS = "io.datanadhi.bootstrap.CaptureBridge";

    private final Map<String, List<HookPoint>> byType = new HashMap<>();

    CaptureTransformer(List<FrameworkHook> hooks) {
        // Loaded now: loading it from transform() would define it while the transformer runs for it.
        Tracers.active();
        for (FrameworkHook hook : hooks) {
            for (HookPoint point : hook.hookPoints()) {
                List<HookPoint> points = byType.get(point.internalName());
                if (points == null) {
                    points = new ArrayList<>();
                    byType.put(point.internalName(), points);
                }
                points.add(point);
            }
        }
    }

    boolean targets(String binaryName) {
        return byType.containsKey(binaryName.replace('.', '/'));
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> redefined, ProtectionDomain domain,
            byte[] classFile) {
        if (className == null) {
            return null;
        }
        List<HookPoint> points = byType.get(className);
        if (points == null) {
            Tracers.noticeLoading(loader, className);
            return null;
        }
        String name = className.replace('/', '.');
        try {
            if (!bridgeVisibleFrom(loader)) {
                Diagnostics.warn("capture_hook_skipped", name + " is loaded by " + loader
                        + ", which cannot see the agent's bootstrap classes; its events are not captured",
                        "type", name);
                return null;
            }
            byte[] woven = HookWeaver.weave(classFile, points);
            if (woven == null) {
                Diagnostics.warn("capture_hook_missing", name + " has none of the methods the agent hooks "
                        + "(an unsupported version?); its events are not captured", "type", name);
            } else {
                Diagnostics.debug("capture_hook_installed", "hooked " + name, "type", name,
                        "retransformed", redefined != null);
            }
            return woven;
        } catch (Throwable t) {
            Diagnostics.warn("capture_hook_failed", "could not hook " + name + "; its events are not captured",
                    t, "type", name);
            return null;
        }
    }

    /**
     * The hook calls the bootstrap bridge; a class loader that does not delegate to the bootstrap
     * loader for it (some OSGi setups) would make that call fail, so such classes stay untouched.
     */
    private static boolean bridgeVisibleFrom(ClassLoader loader) {
        if (loader == null) {
            return true;
        }
        try {
            return Class.forName(BRIDGE_CLASS, false, loader).getClassLoader() == null;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
