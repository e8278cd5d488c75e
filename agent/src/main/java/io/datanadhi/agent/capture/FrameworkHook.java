package io.datanadhi.agent.capture;

import io.datanadhi.agent.record.EventMapper;
import java.util.List;

/** How one logging framework is captured: the methods it hooks, and how its events are read. */
public interface FrameworkHook {

    /** The framework's short name, as it appears in {@code log_record.framework}. */
    String framework();

    List<HookPoint> hookPoints();

    /**
     * A new reader of this framework's events; {@link Mappers} makes one at the framework's first
     * event (its method handles cost a few ms to make: not in premain, not for frameworks unused).
     */
    EventMapper newMapper();
}
