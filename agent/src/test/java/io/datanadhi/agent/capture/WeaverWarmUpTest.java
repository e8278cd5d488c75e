package io.datanadhi.agent.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.Map;
import java.util.TreeMap;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;

/**
 * The warm-up weaves each of its target's methods with the hook kind it names (exit, before a
 * call, forwarded), so the weaver's code for every kind runs and its classes load.
 */
class WeaverWarmUpTest {

    @Test
    void everyHookKindIsWovenIntoTheTarget() {
        byte[] woven = WeaverWarmUp.weave();
        assertNotNull(woven);
        Map<String, String> bridgeCalls = new TreeMap<>();
        new ClassReader(woven).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String called, String calledDescriptor,
                            boolean isInterface) {
                        if (owner.equals(HookWeaver.BRIDGE)) {
                            bridgeCalls.merge(name, called, (a, b) -> a + "," + b);
                        }
                    }
                };
            }
        }, 0);
        // Exits on the normal return and on the handler the weaver adds for a throw.
        assertEquals(Map.of("callAppenders", "enterOnce,exit,exit", "forward", "markForwarded",
                "log", "enterOuter,exitOuter,exitOuter"), bridgeCalls);
    }
}
