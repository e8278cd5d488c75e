package io.datanadhi.agent.capture;

import static io.datanadhi.agent.capture.FrameworkApi.call;
import static io.datanadhi.agent.capture.FrameworkApi.failure;

import java.lang.invoke.MethodHandle;

/**
 * The part of an {@link EventAccess} that every framework has alike: a level object with a
 * number and a name, a logger name, a thread name and a timestamp, each a method handle that
 * the subclass's constructor looks up on the application's classes.
 */
public abstract class HandleAccess implements EventAccess {

    /** {@code (Object) Object}: the event's level object. */
    protected MethodHandle level;
    /** {@code (Object) int}: the level object's number. */
    protected MethodHandle levelValue;
    /** {@code (Object) Object}: the level object's name. */
    protected MethodHandle levelName;
    /** {@code (Object) Object}. */
    protected MethodHandle loggerName;
    /** {@code (Object) Object}. */
    protected MethodHandle threadName;
    /** {@code (Object) long}: milliseconds since the epoch. */
    protected MethodHandle timestamp;

    @Override
    public int levelValue(Object event) {
        try {
            return (int) levelValue.invokeExact((Object) level.invokeExact(event));
        } catch (Throwable t) {
            throw failure(t);
        }
    }

    @Override
    public String levelName(Object event) {
        return String.valueOf(call(levelName, call(level, event)));
    }

    @Override
    public String loggerName(Object event) {
        return (String) call(loggerName, event);
    }

    @Override
    public String threadName(Object event) {
        return (String) call(threadName, event);
    }

    @Override
    public long timestamp(Object event) {
        try {
            return (long) timestamp.invokeExact(event);
        } catch (Throwable t) {
            throw failure(t);
        }
    }
}
