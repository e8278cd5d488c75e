package io.datanadhi.agent.cli;

import io.datanadhi.agent.AgentVersion;
import java.io.PrintStream;
import java.util.Arrays;

/** {@code java -jar datanadhi-agent.jar <command>}: the agent's command-line tools. */
public final class Main {

    private Main() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        String command = args.length == 0 ? "help" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        switch (command) {
            case "version":
            case "--version":
                out.println("datanadhi-agent " + AgentVersion.get());
                return 0;
            case "dev-server":
                return DevServer.run(rest, out, err);
            case "doctor":
                return Doctor.run(rest, out, err);
            case "replay-dropped":
                return ReplayDropped.run(rest, out, err);
            case "help":
            case "--help":
            case "-h":
                usage(out);
                return 0;
            default:
                err.println("datanadhi-agent: unknown command \"" + command + "\"");
                usage(err);
                return 2;
        }
    }

    private static void usage(PrintStream out) {
        out.println("Data Nadhi Java agent " + AgentVersion.get());
        out.println();
        out.println("Attach to an application:");
        out.println("  java -javaagent:datanadhi-agent.jar[=key=value;key=value] -jar app.jar");
        out.println();
        out.println("Commands (java -jar datanadhi-agent.jar <command>):");
        out.println("  dev-server [--port 5000] [--host 127.0.0.1] [--api-key-header x-datanadhi-api-key]");
        out.println("                 a local Data Nadhi-compatible server (GET /, POST /log, POST /upload)");
        out.println("                 that prints one line per record it receives; Ctrl-C to stop");
        out.println("  doctor [--dir DIR] [--json]");
        out.println("                 the resolved configuration (and where each value comes from), rule");
        out.println("                 problems, the servers' reachability, EchoPost's state and backlog, and");
        out.println("                 dropped records; exit code 0 when healthy, 1 when something needs attention");
        out.println("  replay-dropped [--dir DIR] [--reason R] [--fallback]");
        out.println("                 sends the records of <dir>/dropped/*.jsonl again (only reason R's files,");
        out.println("                 e.g. primary_failed), to the server or the fallback server, and removes");
        out.println("                 what was delivered; exit 0 all delivered, 1 something left, 2 bad usage");
        out.println("  echopost -datanadhi DIR -health-url URL [flags]");
        out.println("                 the local outage buffer this jar carries (what <dir>/echopost/echopost");
        out.println("                 runs); echopost -help lists its flags");
        out.println("  version        print the agent's version");
        out.println("  help           this text");
    }
}
