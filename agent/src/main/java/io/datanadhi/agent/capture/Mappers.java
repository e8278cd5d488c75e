package io.datanadhi.agent.capture;

import io.datanadhi.agent.record.EventMapper;

/** The mapper for each framework name a hook passes to the bridge. */
public final class Mappers {
    private static final FrameworkHook[] HOOKS = CaptureInstaller.hooks().toArray(new FrameworkHook[0]);
    private static final String[] NAMES = new String[HOOKS.length];
    /** Filled at each framework's first event; two threads may both make one, either is kept. */
    private static final EventMapper[] MAPPERS = new EventMapper[HOOKS.length];

    static {
        for (int i = 0; i < HOOKS.length; i++) {
            NAMES[i] = HOOKS[i].framework();
        }
    }

    private Mappers() {}

    /** Null for an unknown framework name. */
    public static EventMapper forFramework(String framework) {
        // The hooks push these very constants (interned literals): identity is enough.
        for (int i = 0; i < NAMES.length; i++) {
            if (NAMES[i] == framework) {
                EventMapper mapper = MAPPERS[i];
                return mapper != null ? mapper : made(i);
            }
        }
        return null;
    }

    /** Apart from {@link #forFramework}, which stays small enough to inline on the logging path. */
    private static EventMapper made(int i) {
        return MAPPERS[i] = HOOKS[i].newMapper();
    }
}
