package io.datanadhi.agent.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.ZoneId;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code java -jar datanadhi-agent.jar dev-server}: a local Data Nadhi-compatible server (DESIGN.md
 * section 11) that prints every record it receives, for trying the agent without a real server.
 * Also usable from code: {@code try (DevServer s = DevServer.start("127.0.0.1", 0, System.out)) {...}}.
 */
public final class DevServer implements AutoCloseable {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 5000;
    public static final String DEFAULT_API_KEY_HEADER = "x-datanadhi-api-key";
    // Requests are small and quick to print; a few threads keep one slow client from blocking others.
    private static final int THREADS = 4;

    static final String USAGE = "usage: java -jar datanadhi-agent.jar dev-server"
            + " [--port " + DEFAULT_PORT + "] [--host " + DEFAULT_HOST + "] [--api-key-header " + DEFAULT_API_KEY_HEADER + "]";

    private final HttpServer server;
    private final ExecutorService threads;
    private final DevServerHandler handler;
    private final PrintStream out;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);

    private DevServer(HttpServer server, ExecutorService threads, DevServerHandler handler, PrintStream out) {
        this.server = server;
        this.threads = threads;
        this.handler = handler;
        this.out = out;
    }

    /** Starts on {@code host:port} (port 0: any free port) and prints where it listens to {@code out}. */
    public static DevServer start(String host, int port, PrintStream out) throws IOException {
        return start(host, port, DEFAULT_API_KEY_HEADER, out, System.err);
    }

    /**
     * @param apiKeyHeader the header whose presence each printed line reports
     * @param err where malformed requests are reported, one line each
     * @throws BindException when the port is in use or the address is not local
     * @throws UnknownHostException when {@code host} does not resolve
     */
    public static DevServer start(String host, int port, String apiKeyHeader, PrintStream out, PrintStream err)
            throws IOException {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new UnknownHostException(host);
        }
        HttpServer server = HttpServer.create(address, 50);
        ExecutorService threads = Executors.newFixedThreadPool(THREADS, daemonThreads());
        DevServerHandler handler = new DevServerHandler(apiKeyHeader, out, err, ZoneId.systemDefault());
        server.createContext("/", handler);
        server.setExecutor(threads);
        server.start();
        DevServer devServer = new DevServer(server, threads, handler, out);
        out.println("datanadhi dev-server listening on " + devServer.url()
                + " (GET /, POST /log, POST /upload); point the agent at it with DATANADHI_SERVER_HOST="
                + devServer.url() + " and DATANADHI_FALLBACK_SERVER_HOST=" + devServer.url());
        out.flush();
        return devServer;
    }

    /** The port it listens on (the one chosen when started with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** e.g. {@code http://127.0.0.1:5000}. */
    public String url() {
        InetSocketAddress address = server.getAddress();
        String host = address.getAddress().getHostAddress();
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** How many records it has printed so far, through both routes. */
    public long received() {
        return handler.received();
    }

    /** Stops listening and its threads; idempotent. Requests in progress get up to a second. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.stop(0);
            threads.shutdown();
            if (!threads.awaitTermination(1, TimeUnit.SECONDS)) {
                threads.shutdownNow();
            }
        } catch (InterruptedException e) {
            threads.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            out.println("datanadhi dev-server stopped (" + received() + " records received)");
            out.flush();
            stopped.countDown();
        }
    }

    /** The command: parses arguments, runs until SIGTERM or Ctrl-C. 2 for bad arguments or a busy port. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("dev-server: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        if (options.help) {
            out.println(USAGE);
            return 0;
        }
        DevServer server;
        String where = options.host + ":" + options.port;
        try {
            server = start(options.host, options.port, options.apiKeyHeader, out, err);
        } catch (BindException e) {
            err.println("dev-server: cannot listen on " + where + ": " + e.getMessage()
                    + " (is another server using port " + options.port + "? try --port N)");
            return 2;
        } catch (UnknownHostException e) {
            err.println("dev-server: unknown host \"" + options.host + "\"");
            return 2;
        } catch (IOException | RuntimeException e) {
            err.println("dev-server: cannot listen on " + where + ": " + e);
            return 2;
        }
        out.println("Ctrl-C to stop.");
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "datanadhi-dev-server-shutdown"));
        try {
            server.stopped.await();
        } catch (InterruptedException e) {
            server.close();
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private static java.util.concurrent.ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "datanadhi-dev-server-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** {@code --port N --host H --api-key-header NAME}, also as {@code --port=N}. */
    static final class Options {
        int port = DEFAULT_PORT;
        String host = DEFAULT_HOST;
        String apiKeyHeader = DEFAULT_API_KEY_HEADER;
        boolean help;

        static Options parse(String[] args) {
            Options options = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (arg.equals("-h") || arg.equals("--help")) {
                    options.help = true;
                    continue;
                }
                String name = arg;
                String value;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    name = arg.substring(0, eq);
                    value = arg.substring(eq + 1);
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    value = null;
                }
                switch (name) {
                    case "--port":
                        options.port = port(value);
                        break;
                    case "--host":
                        options.host = nonEmpty(name, value);
                        break;
                    case "--api-key-header":
                        options.apiKeyHeader = nonEmpty(name, value);
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option \"" + arg + "\"");
                }
            }
            return options;
        }

        private static int port(String value) {
            nonEmpty("--port", value);
            try {
                int port = Integer.parseInt(value.trim());
                if (port >= 0 && port <= 65535) {
                    return port;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("--port needs a number from 0 to 65535, not \"" + value + "\"");
        }

        private static String nonEmpty(String name, String value) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            return value.trim();
        }
    }
}
