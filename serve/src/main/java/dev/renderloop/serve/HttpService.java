package dev.renderloop.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The project's one HTTP layer, on the JDK's {@code com.sun.net.httpserver}: routes by exact path and method, a
 * request-body size limit, optional bearer-token auth, OpenAI-shaped JSON errors ({@link HttpError}), request
 * metrics in {@link ServiceMetrics} (served at {@code GET /metrics}) and a graceful shutdown. Both servers of the
 * project ({@link RewardService}, {@link ChatCompletionsServer}) are routes on it.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>A handler either answers through its {@link Exchange} or throws {@link HttpError}, which becomes that
 *       error's status and JSON body. Any other exception becomes a 500 with the exception's text; the service keeps
 *       serving.</li>
 *   <li>With a token set, every route not marked open needs {@code Authorization: Bearer TOKEN} (compared in
 *       constant time); without it: 401. Open routes are for load balancers' probes.</li>
 *   <li>{@link #close()} stops accepting connections, answers requests that arrive meanwhile with 503, and waits up
 *       to the grace period for requests in progress.</li>
 * </ul>
 * Thread-safe.
 */
public final class HttpService implements AutoCloseable {
    /**
     * How the service listens.
     *
     * @param host          address to bind (use 127.0.0.1 unless a load balancer must reach it)
     * @param port          port, 0 for a free one
     * @param maxBodyBytes  largest request body; a larger one gets 413
     * @param threads       threads answering requests (each holds a request until it is answered)
     * @param bearerToken   the token non-open routes require, or {@code null} for no auth
     * @param shutdownGrace how long {@link #close()} waits for requests in progress
     */
    public record Options(String host, int port, int maxBodyBytes, int threads, String bearerToken, Duration shutdownGrace) {
        public Options {
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535, got " + port);
            }
            if (maxBodyBytes < 1 || threads < 1) {
                throw new IllegalArgumentException("maxBodyBytes and threads must be >= 1, got " + maxBodyBytes + ", " + threads);
            }
            if (bearerToken != null && bearerToken.isBlank()) {
                throw new IllegalArgumentException("the bearer token must not be blank");
            }
            shutdownGrace = shutdownGrace == null ? Duration.ofSeconds(5) : shutdownGrace;
        }
    }

    /** Answers one request. */
    @FunctionalInterface
    public interface Handler {
        void handle(Exchange exchange) throws HttpError, IOException;
    }

    /**
     * One route.
     *
     * @param method  HTTP method
     * @param path    exact path
     * @param open    true when the route needs no token even when auth is on (health probes)
     * @param handler what answers it
     */
    public record Route(String method, String path, boolean open, Handler handler) {
        public Route {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(handler, "handler");
        }
    }

    private final String name;
    private final Options options;
    private final List<Route> routes;
    private final ServiceMetrics metrics;
    private final HttpServer http;
    private final ExecutorService threads;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final byte[] token;
    private final ServiceMetrics.Counter requests;
    private final ServiceMetrics.Counter rejected;
    private final ServiceMetrics.Histogram latency;

    private HttpService(String name, Options options, List<Route> routes, ServiceMetrics metrics) throws IOException {
        this.name = name;
        this.options = options;
        this.metrics = metrics;
        List<Route> all = new ArrayList<>(routes);
        all.add(new Route("GET", "/metrics", false, ex -> ex.sendText(200, ServiceMetrics.CONTENT_TYPE, metrics.prometheusText())));
        this.routes = List.copyOf(all);
        this.token = options.bearerToken() == null ? null : options.bearerToken().getBytes(StandardCharsets.UTF_8);
        this.requests = metrics.counter("renderloop_http_requests_total", "HTTP requests answered, by route and status.",
                "route", "status");
        this.rejected = metrics.counter("renderloop_http_rejected_total",
                "Requests refused before any work (4xx and 5xx answers), by error type.", "type");
        this.latency = metrics.histogram("renderloop_http_request_seconds", "Time to answer a request, by route.",
                ServiceMetrics.LATENCY_BUCKETS, "route");
        metrics.gauge("renderloop_http_in_flight", "Requests being answered now.", inFlight::get);
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 64);
        this.threads = Executors.newFixedThreadPool(options.threads(), r -> {
            Thread t = new Thread(r, name + "-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(threads);
        http.createContext("/", this::handle);
    }

    /**
     * Starts serving {@code routes} (and {@code GET /metrics}).
     *
     * @param name    used in thread names and the 404 message
     * @throws IOException when the address cannot be bound
     */
    public static HttpService start(String name, Options options, List<Route> routes, ServiceMetrics metrics) throws IOException {
        HttpService s = new HttpService(name, options, routes, metrics);
        s.http.start();
        return s;
    }

    /** The port the service listens on. */
    public int port() {
        return http.getAddress().getPort();
    }

    /** The limits it was started with. */
    public Options options() {
        return options;
    }

    /** Stops accepting, waits up to the grace period for requests in progress, then stops the threads. */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + options.shutdownGrace().toNanos();
        // HttpServer.stop(delay) waits for exchanges to finish but not for handler threads; wait for ours first.
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        http.stop(0);
        threads.shutdownNow();
    }

    private void handle(HttpExchange raw) {
        long start = System.nanoTime();
        inFlight.incrementAndGet();
        Exchange exchange = new Exchange(raw, options.maxBodyBytes());
        String routeLabel = "other";
        try (raw) {
            try {
                if (closing.get()) {
                    throw new HttpError(503, "shutting_down", null, name + " is shutting down").retryAfter(1);
                }
                Route route = route(exchange.path(), exchange.method());
                routeLabel = route.path();
                if (!route.open()) {
                    authorise(raw);
                }
                route.handler().handle(exchange);
            } catch (HttpError e) {
                rejected.inc(e.type());
                exchange.sendError(e);
            } catch (RuntimeException e) {
                rejected.inc("server_error");
                exchange.sendError(new HttpError(500, "server_error", null, "internal error: " + e));
            }
        } catch (IOException e) {
            // the client went away while we answered; nothing more to do for it
        } finally {
            requests.inc(routeLabel, Integer.toString(exchange.status()));
            latency.observe((System.nanoTime() - start) / 1e9, routeLabel);
            inFlight.decrementAndGet();
        }
    }

    private Route route(String path, String method) throws HttpError {
        boolean pathKnown = false;
        for (Route r : routes) {
            if (r.path().equals(path)) {
                pathKnown = true;
                if (r.method().equals(method)) {
                    return r;
                }
            }
        }
        if (pathKnown) {
            List<String> allowed = routes.stream().filter(r -> r.path().equals(path)).map(Route::method).toList();
            throw new HttpError(405, "invalid_request_error", null, "use " + String.join(" or ", allowed) + ", not " + method);
        }
        throw new HttpError(404, "not_found_error", null, "no route " + method + " " + path + " (this server has "
                + String.join(", ", routes.stream().map(r -> r.method() + " " + r.path()).toList()) + ")");
    }

    private void authorise(HttpExchange raw) throws HttpError {
        if (token == null) {
            return;
        }
        String header = raw.getRequestHeaders().getFirst("Authorization");
        byte[] given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(given, token)) {
            throw new HttpError(401, "authentication_error", null, header == null
                    ? "this server needs Authorization: Bearer TOKEN (the token is set by the server's environment)"
                    : "the bearer token is not the server's").header("WWW-Authenticate", "Bearer");
        }
    }

    /** The metrics this service reports at {@code /metrics}. */
    public ServiceMetrics metrics() {
        return metrics;
    }
}
