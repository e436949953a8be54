package dev.renderloop.render;

import java.util.List;

/**
 * {@link JobIsolationSuite} for matplotlib with every job as two forks (a keeper and the job process): the path a
 * worker takes where one clone() cannot stand in for fork() must give the same isolation.
 */
class ForkedJobIsolationIT extends JobIsolationSuite.Python {
    ForkedJobIsolationIT() {
        super("matplotlib", JobIsolationIT.LIMITS);
    }

    @Override
    RenderEngine newEngine() {
        return RenderEngine.builder().noCache().workers(1).forkedJobs().build();
    }

    @Override
    String expectedJobSpawn() {
        return "fork";
    }

    @Override
    List<String> benign() {
        return List.of(JobIsolationIT.BENIGN);
    }
}
