package io.datanadhi.echopost.replay;

import io.datanadhi.http.HttpConnection;
import java.io.IOException;
import java.net.URI;
import java.util.function.Supplier;

/**
 * The Data Nadhi server, as replay sees it: {@code GET <health-url>} and
 * {@code POST <health-url>/log}, one record per request, over one keep-alive connection. Every
 * call is bounded by a timeout, so a slow or hanging server never wedges replay.
 */
public final class ServerClient implements AutoCloseable {

    static final int CONNECT_TIMEOUT_MILLIS = 2000;
    static final int HEALTH_TIMEOUT_MILLIS = 2000;
    static final int POST_TIMEOUT_MILLIS = 10_000;
    private static final String[] NO_HEADERS = {};
    /** How the server (and our tests) tell a replayed record from one the agent sent. */
    static final String USER_AGENT = "datanadhi-echopost";

    /** What the server did with a record. */
    public static final class Outcome {
        public enum Kind { DELIVERED, REJECTED, RETRY }

        public final Kind kind;
        public final int status;
        public final String detail;

        Outcome(Kind kind, int status, String detail) {
            this.kind = kind;
            this.status = status;
            this.detail = detail;
        }

        /** 2xx delivered; 3xx..500 refused for good; above 500 try again later. */
        static Outcome ofStatus(int status, String body) {
            if (status >= 200 && status < 300) {
                return new Outcome(Kind.DELIVERED, status, body);
            }
            return new Outcome(status > 500 ? Kind.RETRY : Kind.REJECTED, status, body);
        }
    }

    private final String healthPath;
    private final String logPath;
    private final String apiKeyHeader;
    private final Supplier<String> apiKey;
    private final HttpConnection connection;

    public ServerClient(String healthUrl, String logUrl, String apiKeyHeader, Supplier<String> apiKey) {
        URI health = URI.create(healthUrl);
        URI log = URI.create(logUrl);
        this.healthPath = pathOf(health);
        this.logPath = pathOf(log);
        this.apiKeyHeader = apiKeyHeader;
        this.apiKey = apiKey;
        this.connection = new HttpConnection(health, USER_AGENT, CONNECT_TIMEOUT_MILLIS);
    }

    public synchronized boolean healthy() {
        try {
            return connection.exchange("GET", healthPath, NO_HEADERS, null, HEALTH_TIMEOUT_MILLIS).status / 100 == 2;
        } catch (IOException | RuntimeException e) {
            connection.close();
            return false;
        }
    }

    public synchronized Outcome post(byte[] body) {
        String key = apiKey.get();
        String[] headers = key == null
                ? new String[] {"Content-Type", "application/json"}
                : new String[] {"Content-Type", "application/json", apiKeyHeader, key};
        try {
            HttpConnection.Response response = connection.exchange("POST", logPath, headers, body, POST_TIMEOUT_MILLIS);
            return Outcome.ofStatus(response.status, response.body);
        } catch (IOException | RuntimeException e) {
            connection.close();
            return new Outcome(Outcome.Kind.RETRY, 0, e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }

    @Override
    public synchronized void close() {
        connection.close();
    }

    private static String pathOf(URI uri) {
        String path = uri.getRawPath();
        if (path == null || path.isEmpty()) {
            path = "/";
        }
        return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    }
}
