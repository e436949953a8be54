package dev.renderloop.render;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded pool of warm {@link PythonWorker}s for one {@link WorkerKey}. Workers start lazily (the
 * first job pays the import), are reused while healthy, recycled after {@code maxJobsPerWorker}
 * jobs, and replaced when they die or are killed for not answering. Thread-safe.
 */
final class PythonWorkerPool implements AutoCloseable {

    @FunctionalInterface
    interface Job<T> {
        T run(PythonWorker worker) throws WorkerException, IOException;
    }

    private final WorkerKey key;
    private final Sandbox sandbox;
    private final Path scratchRoot;
    private final Path script;
    private final Duration startTimeout;
    private final int maxJobsPerWorker;
    private final Semaphore permits;
    private final int maxSparesPerWorker;
    private final ConcurrentLinkedDeque<PythonWorker> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger started = new AtomicInteger();
    private volatile boolean closed;

    PythonWorkerPool(WorkerKey key, int size, Sandbox sandbox, Path scratchRoot, Path script,
                     Duration startTimeout, int maxJobsPerWorker) {
        if (size < 1) {
            throw new IllegalArgumentException("pool size must be >= 1, got " + size);
        }
        this.key = key;
        this.sandbox = sandbox;
        this.scratchRoot = scratchRoot;
        this.script = script;
        this.startTimeout = startTimeout;
        this.maxJobsPerWorker = maxJobsPerWorker;
        this.permits = new Semaphore(size, true);
        this.maxSparesPerWorker = PythonWorker.maxSparesPerWorker(size);
    }

    WorkerKey key() {
        return key;
    }

    /** How many worker processes this pool has started so far (restarts included). */
    int workersStarted() {
        return started.get();
    }

    /**
     * Runs {@code job} on a worker, waiting for one to be free. A worker that died or was killed
     * during the job is discarded; the next job gets a fresh one.
     */
    <T> T withWorker(Job<T> job) throws WorkerException, IOException, InterruptedException {
        if (closed) {
            throw new WorkerException(WorkerException.Reason.UNAVAILABLE, "the render engine is closed");
        }
        permits.acquire();
        PythonWorker worker = null;
        try {
            worker = idle.pollFirst();
            while (worker != null && !worker.alive()) {
                worker.close();
                worker = idle.pollFirst();
            }
            if (worker == null) {
                worker = startWorker();
            }
            return job.run(worker);
        } finally {
            if (worker != null) {
                if (!closed && worker.alive() && worker.jobsDone() < maxJobsPerWorker) {
                    idle.offerFirst(worker);
                } else {
                    retire(worker);
                }
            }
            permits.release();
        }
    }

    /** The ready message of an idle worker, or null when none is idle. */
    com.fasterxml.jackson.databind.JsonNode idleReady() {
        PythonWorker w = idle.peekFirst();
        return w == null ? null : w.readyMessage();
    }

    /** Starts every worker now rather than on first use (benchmarks measure steady state). */
    void warmUp(int count) throws WorkerException, IOException {
        List<PythonWorker> fresh = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            fresh.add(startWorker());
        }
        fresh.forEach(idle::offerLast);
    }

    private PythonWorker startWorker() throws WorkerException, IOException {
        int n = started.incrementAndGet();
        Path scratch = Files.createDirectories(scratchRoot.resolve(key.driver() + "-" + n));
        PythonWorker.own(scratch, sandbox.workerUid());
        return PythonWorker.start(key, sandbox, scratch, script, startTimeout, maxSparesPerWorker);
    }

    private void retire(PythonWorker worker) {
        worker.close();
    }

    @Override
    public void close() {
        closed = true;
        PythonWorker w;
        while ((w = idle.pollFirst()) != null) {
            w.close();
        }
    }
}
