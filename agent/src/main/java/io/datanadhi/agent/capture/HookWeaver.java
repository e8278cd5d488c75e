package io.datanadhi.agent.capture;

import java.util.List;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * Inserts the hooks into a class's bytecode, with the ASM that ships inside ByteBuddy: one static
 * call to the bridge on entry, and one before every return and on every exception, like a
 * try/finally. No field or method is added, so already loaded classes can be retransformed.
 *
 * <p>ByteBuddy's own Advice would do the same, but loading it costs about 300 ms at start-up;
 * this costs a few classes.
 */
final class HookWeaver {

    static final String BRIDGE = "io/datanadhi/bootstrap/CaptureBridge";
    private static final String ENTER = "(Ljava/lang/String;Ljava/lang/Object;Ljava/lang/Object;)V";

    private HookWeaver() {}

    /** Returns the woven class, or null when none of the hooked methods is in it. */
    static byte[] weave(byte[] classFile, List<HookPoint> points) {
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        HookClassVisitor visitor = new HookClassVisitor(writer, points);
        reader.accept(visitor, 0);
        return visitor.woven > 0 ? writer.toByteArray() : null;
    }

    private static final class HookClassVisitor extends ClassVisitor {
        private final List<HookPoint> points;
        private String owner;
        private boolean frames;
        int woven;

        HookClassVisitor(ClassVisitor next, List<HookPoint> points) {
            super(Opcodes.ASM9, next);
            this.points = points;
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
            if ((access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE)) != 0) {
                return next;
            }
            for (HookPoint point : points) {
                if (point.method.equals(name) && point.descriptor.equals(descriptor)) {
                    woven++;
                    return new HookMethodVisitor(next, access, descriptor, owner, frames, point);
                }
            }
            return next;
        }
    }

    private static final class HookMethodVisitor extends MethodVisitor {
        private final boolean isStatic;
        private final Type[] parameters;
        private final String owner;
        private final boolean frames;
        private final HookPoint point;
        private final int eventSlot;
        private final int loggerSlot;
        private final Label start = new Label();
        private final Label handler = new Label();

        HookMethodVisitor(MethodVisitor next, int access, String descriptor, String owner, boolean frames,
                HookPoint point) {
            super(Opcodes.ASM9, next);
            this.isStatic = (access & Opcodes.ACC_STATIC) != 0;
            this.parameters = Type.getArgumentTypes(descriptor);
            this.owner = owner;
            this.frames = frames;
            this.point = point;
            this.eventSlot = slot(point.eventParameter);
            this.loggerSlot = point.loggerParameter < 0 ? (isStatic ? -1 : 0) : slot(point.loggerParameter);
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
            switch (point.kind) {
                case CAPTURE_ON_ENTRY:
                    pushEventArguments();
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "enter", ENTER, false);
                    break;
                case CAPTURE_ON_EXIT:
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "enterOuter", "()V", false);
                    break;
                default:
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "markForwarded", "()V", false);
            }
            super.visitLabel(start);
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
                    Object[] locals = parameterFrame();
                    super.visitFrame(Opcodes.F_FULL, locals.length, locals, 1, new Object[] {"java/lang/Throwable"});
                }
                onExit();
                super.visitInsn(Opcodes.ATHROW);
            }
            super.visitMaxs(maxStack, maxLocals);
        }

        private void onExit() {
            switch (point.kind) {
                case CAPTURE_ON_ENTRY:
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "exit", "()V", false);
                    break;
                case CAPTURE_ON_EXIT:
                    pushEventArguments();
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "exitOuter", ENTER, false);
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
