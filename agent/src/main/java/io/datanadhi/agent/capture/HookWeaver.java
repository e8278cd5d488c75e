package io.datanadhi.agent.capture;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.Handle;
import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * Inserts the hooks into a class's bytecode, with the ASM that ships inside ByteBuddy: one static
 * call to the bridge on entry (or just before a given call, see
 * {@link HookPoint.Kind#CAPTURE_BEFORE_CALL}), and one before every return and on every
 * exception, like a try/finally. What the entry call returns (the thread's capture state) is kept in a new local
 * variable for the exit call, so an event costs one thread-local lookup, not two. No field or
 * method is added, so already loaded classes can be retransformed.
 *
 * <p>ByteBuddy's own Advice would do the same, but loading it costs about 300 ms at start-up;
 * this costs a few classes.
 */
final class HookWeaver {

    static final String BRIDGE = "io/datanadhi/bootstrap/CaptureBridge";
    private static final String ENTER = "(Ljava/lang/String;Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;";
    private static final String EXIT = "(Ljava/lang/Object;)V";
    private static final String ENTER_ONCE =
            "(Ljava/lang/Object;Ljava/lang/String;Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;";
    private static final String ENTER_OUTER = "()Ljava/lang/Object;";
    private static final String EXIT_OUTER =
            "(Ljava/lang/Object;Ljava/lang/String;Ljava/lang/Object;Ljava/lang/Object;)V";
    private static final String STATE_TYPE = "java/lang/Object";

    private HookWeaver() {}

    /** Returns the woven class, or null when none of the hooked methods is in it. */
    static byte[] weave(byte[] classFile, List<HookPoint> points) {
        ClassReader reader = new ClassReader(classFile);
        MaxLocals maxLocals = new MaxLocals(points);
        reader.accept(maxLocals, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        if (maxLocals.found.isEmpty()) {
            return null;
        }
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        HookClassVisitor visitor = new HookClassVisitor(writer, points, maxLocals.found, maxLocals.calling);
        // Expanded frames: each lists every local, so the state's slot can be added to it.
        reader.accept(visitor, ClassReader.EXPAND_FRAMES);
        return visitor.woven > 0 ? writer.toByteArray() : null;
    }

    private static HookPoint find(List<HookPoint> points, int access, String name, String descriptor) {
        if ((access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE)) != 0) {
            return null;
        }
        for (HookPoint point : points) {
            if (point.method.equals(name) && point.descriptor.equals(descriptor)) {
                return point;
            }
        }
        return null;
    }

    private static boolean isTheCall(HookPoint point, String owner, String name, String descriptor) {
        return point.kind == HookPoint.Kind.CAPTURE_BEFORE_CALL && point.call.length == 3 && point.call[0].equals(owner)
                && point.call[1].equals(name) && point.call[2].equals(descriptor);
    }

    /**
     * First pass: the number of local variable slots of each hooked method, the state goes after
     * them; and which methods make the call a {@link HookPoint.Kind#CAPTURE_BEFORE_CALL} waits for
     * after other calls: another agent's code on entry (a call or an invokedynamic before it).
     * Where nothing comes before the call, as in the framework's own method, capturing on entry is
     * the same and costs less (the entry call sits outside the method's loop).
     */
    private static final class MaxLocals extends ClassVisitor {
        private final List<HookPoint> points;
        final Map<String, Integer> found = new HashMap<>();
        final Set<String> calling = new HashSet<>();

        MaxLocals(List<HookPoint> points) {
            super(Opcodes.ASM9);
            this.points = points;
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                String[] exceptions) {
            HookPoint point = find(points, access, name, descriptor);
            if (point == null) {
                return null;
            }
            return new MethodVisitor(Opcodes.ASM9) {
                private boolean reached;
                private boolean codeBefore;

                @Override
                public void visitMethodInsn(int opcode, String owner, String called, String calledDescriptor,
                        boolean isInterface) {
                    if (reached) {
                        return;
                    }
                    if (isTheCall(point, owner, called, calledDescriptor)) {
                        reached = true;
                        if (codeBefore) {
                            calling.add(name + descriptor);
                        }
                    } else {
                        codeBefore = true;
                    }
                }

                @Override
                public void visitInvokeDynamicInsn(String called, String calledDescriptor, Handle bootstrap,
                        Object... arguments) {
                    codeBefore |= !reached;
                }

                @Override
                public void visitMaxs(int maxStack, int maxLocals) {
                    found.put(name + descriptor, maxLocals);
                }
            };
        }
    }

    private static final class HookClassVisitor extends ClassVisitor {
        private final List<HookPoint> points;
        private final Map<String, Integer> maxLocals;
        private final Set<String> calling;
        private String owner;
        private boolean frames;
        int woven;

        HookClassVisitor(ClassVisitor next, List<HookPoint> points, Map<String, Integer> maxLocals,
                Set<String> calling) {
            super(Opcodes.ASM9, next);
            this.points = points;
            this.maxLocals = maxLocals;
            this.calling = calling;
        }

        @Override
        public void visit(int version, int access, String name, String signature, String superName,
                String[] interfaces) {
            owner = name;
            frames = (version & 0xFFFF) >= Opcodes.V1_6;
            super.visit(version, access, name, signature, superName, interfaces);
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                String[] exceptions) {
            MethodVisitor next = super.visitMethod(access, name, descriptor, signature, exceptions);
            HookPoint point = find(points, access, name, descriptor);
            Integer slots = maxLocals.get(name + descriptor);
            if (point == null || slots == null) {
                return next;
            }
            woven++;
            HookPoint.Kind kind = point.kind == HookPoint.Kind.CAPTURE_BEFORE_CALL && !calling.contains(name + descriptor)
                    ? HookPoint.Kind.CAPTURE_ON_ENTRY : point.kind;
            return new HookMethodVisitor(next, access, descriptor, owner, frames, point, kind, slots);
        }
    }

    private static final class HookMethodVisitor extends MethodVisitor {
        private final boolean isStatic;
        private final Type[] parameters;
        private final String owner;
        private final boolean frames;
        private final HookPoint point;
        /** The point's kind, or capture on entry where the call it waits for is not in the method. */
        private final HookPoint.Kind kind;
        private final int eventSlot;
        private final int loggerSlot;
        /** The new local that holds what the entry call returned; after every local of the method. */
        private final int stateSlot;
        private final Label start = new Label();
        private final Label handler = new Label();

        HookMethodVisitor(MethodVisitor next, int access, String descriptor, String owner, boolean frames,
                HookPoint point, HookPoint.Kind kind, int stateSlot) {
            super(Opcodes.ASM9, next);
            this.kind = kind;
            this.isStatic = (access & Opcodes.ACC_STATIC) != 0;
            this.parameters = Type.getArgumentTypes(descriptor);
            this.owner = owner;
            this.frames = frames;
            this.point = point;
            this.eventSlot = slot(point.eventParameter);
            this.loggerSlot = point.loggerParameter < 0 ? (isStatic ? -1 : 0) : slot(point.loggerParameter);
            this.stateSlot = stateSlot;
        }

        /** The local variable slot of parameter {@code index}. */
        private int slot(int index) {
            int slot = isStatic ? 0 : 1;
            for (int i = 0; i < index; i++) {
                slot += parameters[i].getSize();
            }
            return slot;
        }

        @Override
        public void visitCode() {
            super.visitCode();
            switch (kind) {
                case CAPTURE_ON_ENTRY:
                    pushEventArguments();
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "enter", ENTER, false);
                    super.visitVarInsn(Opcodes.ASTORE, stateSlot);
                    break;
                case CAPTURE_BEFORE_CALL:
                    super.visitInsn(Opcodes.ACONST_NULL); // entered at the call, once
                    super.visitVarInsn(Opcodes.ASTORE, stateSlot);
                    break;
                case CAPTURE_ON_EXIT:
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "enterOuter", ENTER_OUTER, false);
                    super.visitVarInsn(Opcodes.ASTORE, stateSlot);
                    break;
                default:
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "markForwarded", "()V", false);
            }
            super.visitLabel(start);
        }

        /** Before each call a {@link HookPoint.Kind#CAPTURE_BEFORE_CALL} waits for: enter, if not entered yet. */
        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
            if (kind == HookPoint.Kind.CAPTURE_BEFORE_CALL && isTheCall(point, owner, name, descriptor)) {
                super.visitVarInsn(Opcodes.ALOAD, stateSlot);
                pushEventArguments();
                super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "enterOnce", ENTER_ONCE, false);
                super.visitVarInsn(Opcodes.ASTORE, stateSlot);
            }
            super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
        }

        @Override
        public void visitInsn(int opcode) {
            if (opcode >= Opcodes.IRETURN && opcode <= Opcodes.RETURN) {
                onExit();
            }
            super.visitInsn(opcode);
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            if (point.kind != HookPoint.Kind.FORWARDED) {
                // Added last, so the method's own handlers keep precedence: a finally block.
                super.visitTryCatchBlock(start, handler, handler, null);
                super.visitLabel(handler);
                if (frames) {
                    Object[] locals = withState(parameterFrame());
                    super.visitFrame(Opcodes.F_NEW, locals.length, locals, 1, new Object[] {"java/lang/Throwable"});
                }
                onExit();
                super.visitInsn(Opcodes.ATHROW);
            }
            super.visitMaxs(maxStack, maxLocals);
        }

        /** Every frame of the method's own code comes after the entry call: the state is set in all. */
        @Override
        public void visitFrame(int type, int numLocal, Object[] local, int numStack, Object[] stack) {
            if (point.kind == HookPoint.Kind.FORWARDED || type != Opcodes.F_NEW) {
                super.visitFrame(type, numLocal, local, numStack, stack);
                return;
            }
            Object[] locals = withState(Arrays.copyOf(local, numLocal));
            super.visitFrame(type, locals.length, locals, numStack, stack);
        }

        /** The frame's locals, padded to the state's slot, then the state. */
        private Object[] withState(Object[] locals) {
            List<Object> out = new ArrayList<>(Arrays.asList(locals));
            int slots = 0;
            for (Object local : locals) {
                slots += local == Opcodes.LONG || local == Opcodes.DOUBLE ? 2 : 1;
            }
            for (; slots < stateSlot; slots++) {
                out.add(Opcodes.TOP);
            }
            out.add(STATE_TYPE);
            return out.toArray();
        }

        private void onExit() {
            switch (kind) {
                case CAPTURE_ON_ENTRY:
                case CAPTURE_BEFORE_CALL:
                    super.visitVarInsn(Opcodes.ALOAD, stateSlot);
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "exit", EXIT, false);
                    break;
                case CAPTURE_ON_EXIT:
                    super.visitVarInsn(Opcodes.ALOAD, stateSlot);
                    pushEventArguments();
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "exitOuter", EXIT_OUTER, false);
                    break;
                default:
                    break;
            }
        }

        /**
         * The handler's frame: only {@code this} and the parameters, which javac never reuses for
         * values of another type, so the frame holds at every instruction of the method.
         */
        private Object[] parameterFrame() {
            Object[] locals = new Object[(isStatic ? 0 : 1) + parameters.length];
            int i = 0;
            if (!isStatic) {
                locals[i++] = owner;
            }
            for (Type parameter : parameters) {
                switch (parameter.getSort()) {
                    case Type.BOOLEAN: case Type.CHAR: case Type.BYTE: case Type.SHORT: case Type.INT:
                        locals[i++] = Opcodes.INTEGER;
                        break;
                    case Type.FLOAT:
                        locals[i++] = Opcodes.FLOAT;
                        break;
                    case Type.LONG:
                        locals[i++] = Opcodes.LONG;
                        break;
                    case Type.DOUBLE:
                        locals[i++] = Opcodes.DOUBLE;
                        break;
                    case Type.ARRAY:
                        locals[i++] = parameter.getDescriptor();
                        break;
                    default:
                        locals[i++] = parameter.getInternalName();
                }
            }
            return locals;
        }

        /** framework name, the event parameter, and {@code this} (the logger) or the chosen parameter. */
        private void pushEventArguments() {
            super.visitLdcInsn(point.framework);
            super.visitVarInsn(Opcodes.ALOAD, eventSlot);
            if (loggerSlot < 0) {
                super.visitInsn(Opcodes.ACONST_NULL);
            } else {
                super.visitVarInsn(Opcodes.ALOAD, loggerSlot);
            }
        }
    }
}
