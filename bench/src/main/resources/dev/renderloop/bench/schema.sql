-- The tables of one benchmark run (results.duckdb in the run folder). Rows are written as they complete;
-- a (task, strategy) pair is done exactly when its row in `finals` exists. Metric columns are NULL when the
-- metric is unavailable (the reason is in `unavailable`, a JSON object metric -> reason).
CREATE TABLE IF NOT EXISTS run_meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
    task_id          VARCHAR PRIMARY KEY,
    domain           VARCHAR NOT NULL,
    level            VARCHAR,
    description      VARCHAR NOT NULL,
    reference_code   VARCHAR NOT NULL,
    reference_status VARCHAR NOT NULL,   -- ok | error
    reference_error  VARCHAR,
    reference_frames VARCHAR NOT NULL    -- JSON array of paths relative to the run folder
);
CREATE TABLE IF NOT EXISTS attempts (
    task_id       VARCHAR NOT NULL,
    strategy      VARCHAR NOT NULL,
    seq           INTEGER NOT NULL,      -- 0, 1, ... in the order the attempts were made
    round         INTEGER NOT NULL,
    step          VARCHAR NOT NULL,      -- generate | doc-regenerate | repair | critique
    render_status VARCHAR,               -- ok | error | NULL (not rendered)
    error_kind    VARCHAR,
    record        VARCHAR NOT NULL,      -- the attempt as AttemptJson (prompt, answer, code, render, scores, docs, tokens, latency)
    PRIMARY KEY (task_id, strategy, seq)
);
CREATE TABLE IF NOT EXISTS finals (
    task_id           VARCHAR NOT NULL,
    strategy          VARCHAR NOT NULL,
    level             VARCHAR,
    success           BOOLEAN NOT NULL,  -- the final code rendered (counts towards RSR)
    repairs           INTEGER NOT NULL,
    attempts          INTEGER NOT NULL,
    prompt_tokens     BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    policy_ms         BIGINT NOT NULL,   -- time spent waiting for the policy
    render_ms         BIGINT NOT NULL,   -- render time of all attempts (cache hits count 0)
    wall_ms           BIGINT NOT NULL,   -- the pair's wall time
    final_code        VARCHAR NOT NULL,
    final_frames      VARCHAR NOT NULL,  -- JSON array of paths relative to the run folder (empty when it failed)
    error_kind        VARCHAR,
    error             VARCHAR,
    vs_paper DOUBLE, vs_corrected DOUBLE, vs_paper_ssim DOUBLE, vs_corrected_ssim DOUBLE,
    ssim DOUBLE, tiled DOUBLE,
    codebleu DOUBLE, codebleu_ngram DOUBLE, codebleu_weighted_ngram DOUBLE, codebleu_syntax DOUBLE,
    codebleu_dataflow DOUBLE, codebert DOUBLE, cbb DOUBLE, ast_distance DOUBLE, syntax_ok DOUBLE,
    blank DOUBLE,                        -- 1 when the final render is one flat colour (rendered, drew nothing)
    unavailable       VARCHAR NOT NULL,
    PRIMARY KEY (task_id, strategy)
);
