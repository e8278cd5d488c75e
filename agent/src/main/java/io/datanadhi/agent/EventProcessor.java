package io.datanadhi.agent;

import io.datanadhi.agent.capture.Mappers;
import io.datanadhi.agent.delivery.Delivery;
import io.datanadhi.agent.diag.Counters;
import io.datanadhi.agent.record.EarlyEvent;
import io.datanadhi.agent.record.EarlyEventMapper;
import io.datanadhi.agent.record.EventMapper;
import io.datanadhi.agent.record.EventView;
import io.datanadhi.agent.record.Level;
import io.datanadhi.agent.record.RecordSettings;
import io.datanadhi.agent.record.ThreadScratch;
import io.datanadhi.agent.rules.Match;
import io.datanadhi.agent.rules.RuleSet;
import io.datanadhi.bootstrap.CaptureSink;
import io.datanadhi.bootstrap.CapturedEvent;
import java.util.List;

/**
 * The agent's sink, on the logging thread: level threshold, rules, and for an event that a rule
 * keeps, a copy handed to delivery. An event that matches no rule costs a few field reads and
 * allocates nothing; with rules that read the level, the logger's name, the framework, the message
 * or a context value it is decided from the framework's event alone, without storing anything.
 */
final class EventProcessor implements CaptureSink {

    /**
     * The rules in effect, replaced whole by a reload: each event reads this once, so that it is
     * judged by one complete set, the old or the new.
     */
    private volatile RuleSet rules;
    private final Level threshold;
    private final RecordSettings settings;
    private final Delivery delivery;
    private final boolean shipping;
    private final Counters counters;
    private final EarlyEventMapper earlyMapper;
    /** The view for early events, reused: they are evaluated on one thread, the start-up thread. */
    private EventView replayView;

    EventProcessor(RuleSet rules, Level threshold, RecordSettings settings, Delivery delivery, boolean shipping,
            Counters counters) {
        this.rules = rules;
        this.threshold = threshold;
        this.settings = settings;
        this.delivery = delivery;
        this.shipping = shipping;
        this.counters = counters;
        this.earlyMapper = new EarlyEventMapper(settings);
    }

    @Override
    public void accept(CapturedEvent scratch, String framework, Object event, Object logger) {
        EventMapper mapper = Mappers.forFramework(framework);
        if (mapper == null || !mapper.logged(event, logger)) {
            return;
        }
        counters.countCaptured();
        Level level = mapper.level(event);
        if (!level.atLeast(threshold)) {
            return;
        }
        RuleSet current = rules;
        Match match = null;
        if (current.quick()) {
            // Decided from the event itself: nothing is stored in scratch (a store of the event
            // into this long-lived object costs a GC write barrier), unless a mapper must.
            try {
                match = current.evaluate(level, framework, mapper, event, logger, scratch);
            } finally {
                if (scratch.event != null) {
                    scratch.clear();
                }
            }
            if (match == Match.NONE || (match != null && !wanted(match))) {
                return;
            }
        }
        CapturedEvent captured = scratch.set(framework, event, logger);
        try {
            process(ThreadScratch.of(scratch).view(this, settings).reset(captured, mapper, level), current, match);
        } finally {
            captured.clear();
        }
    }

    /** An event captured before the agent was ready: the same decision, from its copy. */
    void replay(EarlyEvent early) {
        counters.countCaptured();
        Level level = early.level();
        if (!level.atLeast(threshold)) {
            return;
        }
        RuleSet current = rules;
        CapturedEvent captured = EarlyEventMapper.captured(early);
        Match match = null;
        if (current.quick()) {
            match = current.evaluate(level, earlyMapper, captured);
            if (match == Match.NONE || (match != null && !wanted(match))) {
                return;
            }
        }
        if (replayView == null) {
            replayView = new EventView(settings);
        }
        process(replayView.reset(captured, earlyMapper, level), current, match);
    }

    private boolean wanted(Match match) {
        return (shipping && match.ships()) || match.stdout();
    }

    /** Replaces the rules in effect; events already being judged finish with the old ones. */
    void replaceRules(RuleSet next) {
        rules = next;
    }

    /** {@code known}: what quick rules of {@code current} already decided, or null to evaluate them on the view. */
    private void process(EventView view, RuleSet current, Match known) {
        try {
            Match match = known != null ? known : current.evaluate(view);
            boolean ship = shipping && match.ships();
            if (!ship && !match.stdout()) {
                return;
            }
            counters.countMatched();
            delivery.submit(view.snapshot(ship ? match.pipelines() : List.of(), match.stdout()));
        } finally {
            view.release();
        }
    }

}
