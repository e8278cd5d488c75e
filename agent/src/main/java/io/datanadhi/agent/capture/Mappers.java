package io.datanadhi.agent.capture;

import io.datanadhi.agent.record.EventMapper;
import java.util.List;

/** The mapper for each framework name a hook passes to the bridge. */
public final class Mappers {
    private static final String[] NAMES;
    private static final EventMapper[] MAPPERS;

    static {
        List<FrameworkHook> hooks = CaptureInstaller.hooks();
        NAMES = new String[hooks.size()];
        MAPPERS = new EventMapper[hooks.size()];
        for (int i = 0; i < hooks.size(); i++) {
            NAMES[i] = hooks.get(i).framework();
            MAPPERS[i] = hooks.get(i).mapper();
        }
    }

    private Mappers() {}

    /** Null for an unknown framework name. */
    public static EventMapper forFramework(String framework) {
        // The hooks push these very constants (interned literals): identity is enough.
        for (int i = 0; i < NAMES.length; i++) {
            if (NAMES[i] == framework) {
                return MAPPERS[i];
            }
        }
        return null;
    }
}
