package io.datanadhi.agent.echopost;

import java.util.Locale;

/** The {@code {os}} and {@code {arch}} EchoPost builds exist for: linux and darwin, amd64 and arm64. */
public final class Platform {

    public final String os;
    public final String arch;

    private Platform(String os, String arch) {
        this.os = os;
        this.arch = arch;
    }

    /** This machine's platform, or null when EchoPost has no build for it. */
    public static Platform current() {
        return of(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    static Platform of(String osName, String osArch) {
        String name = osName.toLowerCase(Locale.ROOT);
        String os = name.startsWith("linux") ? "linux" : name.startsWith("mac") || name.startsWith("darwin") ? "darwin" : null;
        String arch;
        switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64":
            case "x86_64":
                arch = "amd64";
                break;
            case "aarch64":
            case "arm64":
                arch = "arm64";
                break;
            default:
                arch = null;
        }
        return os == null || arch == null ? null : new Platform(os, arch);
    }

    /** Fills {@code {os}} and {@code {arch}} in a download URL template. */
    public String expand(String template) {
        return template.replace("{os}", os).replace("{arch}", arch);
    }

    @Override
    public String toString() {
        return os + "/" + arch;
    }
}
