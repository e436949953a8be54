package dev.renderloop.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WorkQueueTest {
    final AtomicLong now = new AtomicLong();
    final ServiceMetrics metrics = new ServiceMetrics();

    @Test
    void aBatchThatDoesNotFitIsRefusedWhole() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (WorkQueue q = new WorkQueue(3, 1, now::get, metrics)) {
            var first = q.submit(List.of(1, 2), Long.MAX_VALUE, i -> {
                await(release);
                return i;
            }, (i, why) -> -1);
            HttpError e = assertThrows(HttpError.class, () -> q.submit(List.of(3, 4), Long.MAX_VALUE, i -> i, (i, why) -> -1));
            assertEquals(429, e.status());
            assertTrue(Integer.parseInt(e.headers().get("Retry-After")) >= 1);
            assertEquals(2, q.admitted(), "the refused batch took nothing");
            release.countDown();
            first.all().get(10, TimeUnit.SECONDS);
            assertEquals(List.of(1, 2), first.results().stream().map(f -> f.join()).toList());
            awaitAdmitted(q, 0);
            assertEquals(List.of(3, 4), q.submit(List.of(3, 4), Long.MAX_VALUE, i -> i, (i, why) -> -1).results().stream()
                    .map(f -> f.join()).toList());
        }
    }

    @Test
    void itemsNotStartedByTheDeadlineOrAfterAbandonAreSkipped() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (WorkQueue q = new WorkQueue(8, 1, now::get, metrics)) {
            var late = q.submit(List.of(1, 2), 100, i -> {
                started.countDown();
                await(release);
                return i;
            }, (i, why) -> why == WorkQueue.Skip.DEADLINE_EXCEEDED ? -1 : -2);
            var gone = q.submit(List.of(3), Long.MAX_VALUE, i -> i, (i, why) -> why == WorkQueue.Skip.DROPPED ? -2 : -1);
            assertTrue(started.await(10, TimeUnit.SECONDS));
            now.set(101);  // item 1 is running past the deadline; item 2 has not started
            gone.ticket().abandon();
            release.countDown();
            late.all().get(10, TimeUnit.SECONDS);
            gone.all().get(10, TimeUnit.SECONDS);
            assertEquals(List.of(1, -1), late.results().stream().map(f -> f.join()).toList());
            assertEquals(-2, gone.results().get(0).join());
            assertEquals(1, metrics.counter("renderloop_reward_items_skipped_total", "", "reason").value("deadline_exceeded"));
            assertEquals(1, metrics.counter("renderloop_reward_items_skipped_total", "", "reason").value("dropped"));
            awaitAdmitted(q, 0);
        }
    }

    static void await(CountDownLatch l) {
        try {
            l.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void awaitAdmitted(WorkQueue q, int n) throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        while (q.admitted() != n && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals(n, q.admitted());
    }
}
