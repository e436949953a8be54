package dev.renderloop.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The bounded queue in front of the renderers. A batch is admitted whole or not at all: when its items do not fit
 * in the free capacity it is refused at once ({@link HttpError} 429 with a Retry-After estimated from recent item
 * times), so memory never grows with load. Admitted items run on a fixed number of threads in arrival order. An
 * item that has not started when its batch's deadline passes, or whose batch was {@linkplain Ticket#abandon()
 * abandoned} (the client went away), is skipped without rendering; one that has started runs to its render's own
 * timeout (a render cannot be interrupted half-way), and its capacity is returned when it ends. Thread-safe.
 */
final class WorkQueue implements AutoCloseable {
    /** A batch's handle: its deadline, and whether anybody still waits for it. */
    static final class Ticket {
        final long deadlineNanos;
        private volatile boolean abandoned;

        Ticket(long deadlineNanos) {
            this.deadlineNanos = deadlineNanos;
        }

        /** Nobody waits for this batch any more: its items that have not started are skipped. */
        void abandon() {
            abandoned = true;
        }
    }

    /** Why an item did not run. */
    enum Skip {
        DEADLINE_EXCEEDED, DROPPED;

        String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** An admitted batch. */
    record Submitted<R>(Ticket ticket, List<CompletableFuture<R>> results, CompletableFuture<Void> all) {}

    private final int capacity;
    private final Semaphore free;
    private final ExecutorService threads;
    private final LongSupplier clock;
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    /** Recent item time in nanoseconds, smoothed; for Retry-After. */
    private final AtomicLong itemNanos = new AtomicLong(200_000_000L);
    private final int threadCount;
    private final ServiceMetrics.Counter skipped;

    WorkQueue(int capacity, int threadCount, LongSupplier clock, ServiceMetrics metrics) {
        this.capacity = capacity;
        this.threadCount = threadCount;
        this.free = new Semaphore(capacity);
        this.clock = clock;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(threadCount, r -> {
            Thread t = new Thread(r, "reward-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        metrics.gauge("renderloop_reward_queue_depth", "Items admitted and waiting for a scoring thread.", waiting::get);
        metrics.gauge("renderloop_reward_items_running", "Items being rendered and scored now.", running::get);
        metrics.gauge("renderloop_reward_queue_capacity", "Most items admitted at once.", () -> capacity);
        this.skipped = metrics.counter("renderloop_reward_items_skipped_total",
                "Admitted items never started: their deadline passed, or their client went away (dropped).", "reason");
    }

    /**
     * Admits {@code items} (all or none) and starts them.
     *
     * @param work    what to do with an item (must not throw; failures are results)
     * @param onSkip  the result of an item that did not run
     * @throws HttpError 429 when they do not fit now
     */
    <T, R> Submitted<R> submit(List<T> items, long deadlineNanos, Function<T, R> work, BiFunction<T, Skip, R> onSkip)
            throws HttpError {
        if (!free.tryAcquire(items.size())) {
            int admitted = capacity - free.availablePermits();
            long seconds = Math.max(1, (long) Math.ceil(itemNanos.get() / 1e9 * (admitted + items.size()) / threadCount));
            throw new HttpError(429, "overloaded", null, "the server's queue is full (" + admitted + " of " + capacity
                    + " items admitted); retry after " + seconds + " s or send to another replica")
                    .retryAfter((int) Math.min(seconds, 60));
        }
        Ticket ticket = new Ticket(deadlineNanos);
        List<CompletableFuture<R>> results = new ArrayList<>(items.size());
        for (T item : items) {
            waiting.incrementAndGet();
            CompletableFuture<R> f = new CompletableFuture<>();
            results.add(f);
            try {
                threads.execute(() -> run(item, ticket, f, work, onSkip));
            } catch (RuntimeException e) {  // rejected: the queue is closing
                waiting.decrementAndGet();
                free.release();
                f.complete(onSkip.apply(item, Skip.DROPPED));
            }
        }
        return new Submitted<>(ticket, results, CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)));
    }

    private <T, R> void run(T item, Ticket ticket, CompletableFuture<R> f, Function<T, R> work, BiFunction<T, Skip, R> onSkip) {
        waiting.decrementAndGet();
        try {
            if (ticket.abandoned) {
                skipped.inc("dropped");
                f.complete(onSkip.apply(item, Skip.DROPPED));
                return;
            }
            if (clock.getAsLong() - ticket.deadlineNanos > 0) {
                skipped.inc("deadline_exceeded");
                f.complete(onSkip.apply(item, Skip.DEADLINE_EXCEEDED));
                return;
            }
            running.incrementAndGet();
            long start = clock.getAsLong();
            try {
                f.complete(work.apply(item));
            } finally {
                running.decrementAndGet();
                long took = clock.getAsLong() - start;
                itemNanos.getAndUpdate(old -> (old * 7 + took) / 8);
            }
        } catch (RuntimeException | Error e) {
            f.completeExceptionally(e);
        } finally {
            free.release();
        }
    }

    /** Items admitted now (waiting or running). */
    int admitted() {
        return capacity - free.availablePermits();
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
