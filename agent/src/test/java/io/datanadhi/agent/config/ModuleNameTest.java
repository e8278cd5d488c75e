package io.datanadhi.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModuleNameTest {
    @Test
    void jarCommandGivesTheJarFileNameWithoutDotJar() {
        assertEquals("orders", ModuleName.fromJavaCommand("/opt/app/orders.jar --port 8080"));
        assertEquals("orders-1.2", ModuleName.fromJavaCommand("orders-1.2.JAR"));
        assertEquals("billing", ModuleName.fromJavaCommand("C:\\apps\\billing.jar"));
    }

    @Test
    void mainClassCommandGivesTheMainClassName() {
        assertEquals("com.acme.Main", ModuleName.fromJavaCommand("com.acme.Main arg1 arg2.jar"));
        assertEquals("Main", ModuleName.fromJavaCommand("Main"));
        assertEquals("com.acme.Main", ModuleName.fromJavaCommand("  com.acme.Main\targ"));
        assertEquals("com.acme.Main", ModuleName.fromJavaCommand("com.acme.Main\u000Barg\nmore"));
    }

    @Test
    void moduleCommandGivesTheMainClassName() {
        assertEquals("com.acme.Main", ModuleName.fromJavaCommand("com.acme/com.acme.Main"));
    }

    @Test
    void emptyOrUnknownCommandGivesJavaApp() {
        assertEquals("java-app", ModuleName.fromJavaCommand(null));
        assertEquals("java-app", ModuleName.fromJavaCommand(""));
        assertEquals("java-app", ModuleName.fromJavaCommand("   "));
        assertEquals("java-app", ModuleName.fromJavaCommand(".jar"));
    }

    @Test
    void configuredModuleNameBeatsTheDerivedOne(@TempDir Path dir) {
        DiagnosticsCapture diagnostics = new DiagnosticsCapture();
        try {
            Sources sources = new Sources(dir).env("DATANADHI_MODULE_NAME", "checkout");
            sources.javaCommand = "/srv/orders.jar";
            assertEquals("checkout", sources.resolve().moduleName());

            Sources derived = new Sources(dir);
            derived.javaCommand = "/srv/orders.jar";
            AgentConfig config = derived.resolve();
            assertEquals("orders", config.moduleName());
            assertEquals(SourceKind.DEFAULT, config.setting("module_name").source());
        } finally {
            diagnostics.close();
        }
    }
}
