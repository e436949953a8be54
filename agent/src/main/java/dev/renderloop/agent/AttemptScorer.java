package dev.renderloop.agent;

import dev.renderloop.render.RenderResult;
import dev.renderloop.score.Metric;
import dev.renderloop.task.Task;
import java.util.List;

/** Scores one attempt: its code and its render (or {@code null} when there was nothing to render). */
@FunctionalInterface
public interface AttemptScorer {
    /** The metrics of {@code code} and its {@code render} for {@code task}; never throws for a failed render. */
    List<Metric> score(Task task, String code, RenderResult render);
}
