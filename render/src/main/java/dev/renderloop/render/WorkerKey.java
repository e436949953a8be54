package dev.renderloop.render;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Identifies interchangeable workers: same driver, interpreter and module path. Pools are keyed by it.
 *
 * @param driver     worker driver name ({@code manim}, {@code matplotlib})
 * @param python     the Python interpreter
 * @param pythonPath extra module directories put first on the worker's {@code sys.path}
 * @param forkedJobs every job as two forks (a keeper and the job process) rather than one clone() into its
 *                   namespaces ({@link RenderEngine.Builder#forkedJobs()})
 */
record WorkerKey(String driver, Path python, List<Path> pythonPath, boolean forkedJobs) {
    WorkerKey {
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(python, "python");
        pythonPath = List.copyOf(pythonPath);
    }
}
