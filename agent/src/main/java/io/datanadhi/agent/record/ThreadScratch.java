package io.datanadhi.agent.record;

import io.datanadhi.bootstrap.CapturedEvent;

/**
 * What the agent keeps for one logging thread, hung on the bridge's {@link CapturedEvent}: a
 * platform thread's own (it dies with the thread), or one the bridge lends to virtual threads for
 * the length of a logging call, which passes with its scratch from one virtual thread to the next.
 * Each part is made the first time it is needed, so a thread that only logs events no rule reads
 * closely has none.
 */
public final class ThreadScratch {

    /** A text buffer that grew past this is dropped after use rather than kept for the thread's life. */
    private static final int MAX_KEPT_CHARS = 16 * 1024;

    private StringBuilder text;
    /** The record view of {@link #viewOwner}, reused for every event of this thread it keeps. */
    private EventView view;
    private Object viewOwner;

    private ThreadScratch() {}

    /** The scratch of the thread whose event this is. */
    public static ThreadScratch of(CapturedEvent event) {
        Object attached = event.attachment;
        if (attached instanceof ThreadScratch) {
            return (ThreadScratch) attached;
        }
        ThreadScratch scratch = new ThreadScratch();
        event.attachment = scratch;
        return scratch;
    }

    /** An empty buffer for a message's text; what it held before is gone. */
    public StringBuilder text() {
        StringBuilder buffer = text;
        if (buffer == null || buffer.capacity() > MAX_KEPT_CHARS) {
            buffer = new StringBuilder(256);
            text = buffer;
        } else {
            buffer.setLength(0);
        }
        return buffer;
    }

    /**
     * After the rules read the thread's text: a buffer that a long message grew past
     * {@value #MAX_KEPT_CHARS} characters is let go now, not kept until the thread's next event.
     */
    public static void textRead(CapturedEvent thread) {
        Object attached = thread.attachment;
        if (attached instanceof ThreadScratch) {
            ThreadScratch scratch = (ThreadScratch) attached;
            if (scratch.text != null && scratch.text.capacity() > MAX_KEPT_CHARS) {
                scratch.text = null;
            }
        }
    }

    /** This thread's view for {@code owner}, made the first time (again after the owner changes). */
    public EventView view(Object owner, RecordSettings settings) {
        if (viewOwner != owner) {
            view = new EventView(settings);
            viewOwner = owner;
        }
        return view;
    }
}
