package dev.renderloop.serve;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link RewardService} runs. Every bound here is what keeps one replica's memory and time flat under any
 * input: a request over a bound is refused with a 4xx saying which bound, never queued.
 *
 * @param host                address to bind
 * @param port                port, 0 for a free one
 * @param bearerToken         token every non-probe request must carry, or {@code null} for none
 * @param maxBodyBytes        largest request body (413 above)
 * @param maxItems            most items in one request
 * @param maxCodeBytes        largest answer, code or reference code of one item, in UTF-8 bytes
 * @param maxImagePixels      largest reference image (width x height), checked from the PNG header before decoding
 * @param queueCapacity       most items admitted (waiting or running) at once; a request that does not fit gets 429
 * @param concurrency         items scored at once (threads taking items from the queue)
 * @param defaultDeadline     a request's deadline when it names none
 * @param maxDeadline         the longest deadline a request may ask for
 * @param renderTimeout       cap on each render's own timeout, or {@code null} for the domain defaults
 * @param imageRoot           directory under which reference images may be named by path, or {@code null}: paths
 *                            refused
 * @param referenceCacheSize  decoded reference renders and images kept per replica (least recently used dropped)
 * @param warmDomains         Python domains whose workers are started before {@code /readyz} says ready
 * @param httpThreads         threads holding requests (each waits for its batch)
 */
public record RewardServiceConfig(
        String host,
        int port,
        String bearerToken,
        int maxBodyBytes,
        int maxItems,
        int maxCodeBytes,
        long maxImagePixels,
        int queueCapacity,
        int concurrency,
        Duration defaultDeadline,
        Duration maxDeadline,
        Duration renderTimeout,
        Path imageRoot,
        int referenceCacheSize,
        List<String> warmDomains,
        int httpThreads) {

    public RewardServiceConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(defaultDeadline, "defaultDeadline");
        Objects.requireNonNull(maxDeadline, "maxDeadline");
        warmDomains = List.copyOf(warmDomains);
        require(port >= 0 && port <= 65535, "port must be in 0..65535, got " + port);
        require(maxBodyBytes >= 1024, "maxBodyBytes must be >= 1024, got " + maxBodyBytes);
        require(maxItems >= 1, "maxItems must be >= 1, got " + maxItems);
        require(maxCodeBytes >= 1, "maxCodeBytes must be >= 1, got " + maxCodeBytes);
        require(maxImagePixels >= 1, "maxImagePixels must be >= 1, got " + maxImagePixels);
        require(queueCapacity >= 1, "queueCapacity must be >= 1, got " + queueCapacity);
        require(concurrency >= 1, "concurrency must be >= 1, got " + concurrency);
        require(referenceCacheSize >= 1, "referenceCacheSize must be >= 1, got " + referenceCacheSize);
        require(httpThreads >= 2, "httpThreads must be >= 2, got " + httpThreads);
        require(!defaultDeadline.isNegative() && !defaultDeadline.isZero(), "defaultDeadline must be positive");
        require(maxDeadline.compareTo(defaultDeadline) >= 0, "maxDeadline must be >= defaultDeadline");
        require(renderTimeout == null || !renderTimeout.isNegative() && !renderTimeout.isZero(), "renderTimeout must be positive");
    }

    /** The defaults on {@code host:port}: 32 MiB bodies, 64 items, 64 KiB code, 64 admitted items, 60 s deadlines. */
    public static RewardServiceConfig defaults(String host, int port) {
        int cores = Runtime.getRuntime().availableProcessors();
        return new RewardServiceConfig(host, port, null, 32 << 20, 64, 64 << 10, 4096L * 4096, 64, Math.max(2, cores),
                Duration.ofSeconds(60), Duration.ofSeconds(600), null, null, 256, List.of(), 32);
    }

    public RewardServiceConfig withBearerToken(String token) {
        return new RewardServiceConfig(host, port, token, maxBodyBytes, maxItems, maxCodeBytes, maxImagePixels, queueCapacity,
                concurrency, defaultDeadline, maxDeadline, renderTimeout, imageRoot, referenceCacheSize, warmDomains, httpThreads);
    }

    public RewardServiceConfig withQueue(int capacity, int threads) {
        return new RewardServiceConfig(host, port, bearerToken, maxBodyBytes, maxItems, maxCodeBytes, maxImagePixels, capacity,
                threads, defaultDeadline, maxDeadline, renderTimeout, imageRoot, referenceCacheSize, warmDomains, httpThreads);
    }

    public RewardServiceConfig withLimits(int bodyBytes, int items, int codeBytes) {
        return new RewardServiceConfig(host, port, bearerToken, bodyBytes, items, codeBytes, maxImagePixels, queueCapacity,
                concurrency, defaultDeadline, maxDeadline, renderTimeout, imageRoot, referenceCacheSize, warmDomains, httpThreads);
    }

    public RewardServiceConfig withDeadlines(Duration dflt, Duration max) {
        return new RewardServiceConfig(host, port, bearerToken, maxBodyBytes, maxItems, maxCodeBytes, maxImagePixels, queueCapacity,
                concurrency, dflt, max, renderTimeout, imageRoot, referenceCacheSize, warmDomains, httpThreads);
    }

    public RewardServiceConfig withRenderTimeout(Duration timeout) {
        return new RewardServiceConfig(host, port, bearerToken, maxBodyBytes, maxItems, maxCodeBytes, maxImagePixels, queueCapacity,
                concurrency, defaultDeadline, maxDeadline, timeout, imageRoot, referenceCacheSize, warmDomains, httpThreads);
    }

    public RewardServiceConfig withImageRoot(Path root) {
        return new RewardServiceConfig(host, port, bearerToken, maxBodyBytes, maxItems, maxCodeBytes, maxImagePixels, queueCapacity,
                concurrency, defaultDeadline, maxDeadline, renderTimeout, root, referenceCacheSize, warmDomains, httpThreads);
    }

    public RewardServiceConfig withWarmDomains(List<String> domains) {
        return new RewardServiceConfig(host, port, bearerToken, maxBodyBytes, maxItems, maxCodeBytes, maxImagePixels, queueCapacity,
                concurrency, defaultDeadline, maxDeadline, renderTimeout, imageRoot, referenceCacheSize, domains, httpThreads);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
