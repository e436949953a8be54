package dev.renderloop.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;

/**
 * The run's DuckDB database. Writes are queued as they happen and committed by one writer thread in small
 * batches (whatever has queued while the previous batch committed), so storage stays off the pairs' critical
 * path. A kill (even SIGKILL) loses at most the last batch: pairs without a final row are run again, after
 * their partial attempts are deleted. Reads flush the queue first.
 */
final class RunStore implements AutoCloseable {
    /** One write, run by the writer thread inside a batch's transaction. */
    @FunctionalInterface
    private interface Write {
        void run(Connection c) throws SQLException, IOException;
    }

    private final java.util.concurrent.BlockingQueue<Write> queue = new java.util.concurrent.LinkedBlockingQueue<>();
    private final Object lock = new Object();
    private volatile Throwable failure;
    private volatile boolean closing;
    private Thread writer;
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> METRICS = List.of("vs_paper", "vs_corrected", "vs_paper_ssim", "vs_corrected_ssim", "ssim", "tiled",
            "codebleu", "codebleu_ngram", "codebleu_weighted_ngram", "codebleu_syntax", "codebleu_dataflow", "codebert", "cbb",
            "ast_distance", "syntax_ok", "blank");

    private final Connection connection;

    private RunStore(Connection connection) {
        this.connection = connection;
    }

    private void startWriter() {
        writer = new Thread(this::writeLoop, "run-store-writer");
        writer.setDaemon(true);
        writer.start();
    }

    private void writeLoop() {
        List<Write> batch = new ArrayList<>();
        while (!closing || !queue.isEmpty()) {
            try {
                Write first = queue.poll(50, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch);
                synchronized (lock) {
                    connection.setAutoCommit(false);
                    try {
                        for (Write w : batch) {
                            w.run(connection);
                        }
                        connection.commit();
                    } catch (SQLException | IOException | RuntimeException e) {
                        connection.rollback();
                        throw e;
                    } finally {
                        connection.setAutoCommit(true);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Throwable e) {
                failure = e;
                return;
            } finally {
                batch.clear();
            }
        }
    }

    private void enqueue(Write w) throws SQLException {
        check();
        queue.add(w);
    }

    private void check() throws SQLException {
        Throwable f = failure;
        if (f != null) {
            throw new SQLException("writing the run database failed: " + f.getMessage(), f);
        }
    }

    /** Waits until everything queued so far is committed. */
    void flush() throws SQLException {
        if (writer == null) {
            return;
        }
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        enqueue(c -> done.countDown());
        try {
            while (!done.await(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                check();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while flushing the run database", e);
        }
        check();
    }

    /** Opens (creating) the database of a run for writing. */
    static RunStore open(RunLayout layout) throws IOException {
        Files.createDirectories(layout.dir());
        try {
            Connection c = DriverManager.getConnection("jdbc:duckdb:" + layout.database().toAbsolutePath());
            RunStore store = new RunStore(c);
            store.createSchema();
            store.startWriter();
            return store;
        } catch (SQLException e) {
            throw new IOException("cannot open the run database " + layout.database() + ": " + e.getMessage(), e);
        }
    }

    /** Opens the database of a finished (or interrupted) run for reading only. */
    static RunStore openReadOnly(RunLayout layout) throws IOException {
        if (!Files.isRegularFile(layout.database())) {
            throw new IOException("no run database in " + layout.dir() + " (expected " + layout.database().getFileName() + ")");
        }
        try {
            Properties p = new Properties();
            p.setProperty("duckdb.read_only", "true");
            return new RunStore(DriverManager.getConnection("jdbc:duckdb:" + layout.database().toAbsolutePath(), p));
        } catch (SQLException e) {
            throw new IOException("cannot open the run database " + layout.database() + ": " + e.getMessage(), e);
        }
    }

    private void createSchema() throws IOException, SQLException {
        String sql;
        try (InputStream in = RunStore.class.getResourceAsStream("schema.sql")) {
            sql = new String(Objects.requireNonNull(in, "schema.sql missing from the jar").readAllBytes(), StandardCharsets.UTF_8);
        }
        try (Statement s = connection.createStatement()) {
            for (String statement : sql.replaceAll("(?m)--.*$", "").split(";")) {
                if (!statement.isBlank()) {
                    s.execute(statement);
                }
            }
        }
    }

    String meta(String key) throws SQLException {
        flush();
        synchronized (lock) {
            return metaLocked(key);
        }
    }

    private String metaLocked(String key) throws SQLException {
        try (PreparedStatement p = connection.prepareStatement("SELECT value FROM run_meta WHERE key = ?")) {
            p.setString(1, key);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }

    void putMeta(String key, String value) throws SQLException {
        enqueue(c -> update(c, "INSERT OR REPLACE INTO run_meta VALUES (?, ?)", key, value));
    }

    /** The (task, strategy) pairs with a final row. */
    Set<String> donePairs() throws SQLException {
        flush();
        synchronized (lock) {
            Set<String> done = new HashSet<>();
            try (Statement s = connection.createStatement(); ResultSet r = s.executeQuery("SELECT task_id, strategy FROM finals")) {
                while (r.next()) {
                    done.add(pair(r.getString(1), r.getString(2)));
                }
            }
            return done;
        }
    }

    /** Pairs with attempts but no final row: cut short by a kill. */
    Set<String> partialPairs() throws SQLException {
        flush();
        synchronized (lock) {
            Set<String> out = new HashSet<>();
            try (Statement s = connection.createStatement(); ResultSet r = s.executeQuery(
                    "SELECT DISTINCT a.task_id, a.strategy FROM attempts a ANTI JOIN finals f ON a.task_id = f.task_id AND a.strategy = f.strategy")) {
                while (r.next()) {
                    out.add(pair(r.getString(1), r.getString(2)));
                }
            }
            return out;
        }
    }

    Set<String> taskIds() throws SQLException {
        flush();
        synchronized (lock) {
            Set<String> out = new HashSet<>();
            try (Statement s = connection.createStatement(); ResultSet r = s.executeQuery("SELECT task_id FROM tasks")) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
            return out;
        }
    }

    /** Task id -> "kind: error" of each stored task whose reference did not render. */
    Map<String, String> referenceFailures() throws SQLException {
        flush();
        synchronized (lock) {
            Map<String, String> out = new LinkedHashMap<>();
            try (Statement s = connection.createStatement(); ResultSet r = s.executeQuery(
                    "SELECT task_id, reference_error FROM tasks WHERE reference_status <> 'ok' ORDER BY task_id")) {
                while (r.next()) {
                    out.put(r.getString(1), r.getString(2) == null ? "the reference did not render" : r.getString(2));
                }
            }
            return out;
        }
    }

    /**
     * Deletes the final rows that record a failure of the environment rather than an outcome of the model: the
     * renderer was unavailable, or a failed pair whose policy gave no answer for one of {@code policyErrors} (wire
     * names) at some attempt. Their attempts become a partial pair, which the next run deletes and runs again.
     *
     * @return the pairs whose rows were deleted
     */
    int dropEnvironmentFailures(Set<String> policyErrors) throws SQLException, IOException {
        flush();
        Set<String> drop = new HashSet<>();
        synchronized (lock) {
            try (Statement s = connection.createStatement()) {
                try (ResultSet r = s.executeQuery("SELECT task_id, strategy FROM finals WHERE error_kind = 'renderer_unavailable'")) {
                    while (r.next()) {
                        drop.add(pair(r.getString(1), r.getString(2)));
                    }
                }
                try (ResultSet r = s.executeQuery("SELECT a.task_id, a.strategy, a.record FROM attempts a JOIN finals f "
                        + "ON a.task_id = f.task_id AND a.strategy = f.strategy WHERE NOT f.success")) {
                    while (r.next()) {
                        String kind = JSON.readTree(r.getString(3)).path("policy_error").asText("");
                        if (policyErrors.contains(kind)) {
                            drop.add(pair(r.getString(1), r.getString(2)));
                        }
                    }
                }
            }
        }
        for (String p : drop) {
            String[] parts = p.split("\u0000", 2);
            enqueue(c -> update(c, "DELETE FROM finals WHERE task_id = ? AND strategy = ?", parts[0], parts[1]));
        }
        flush();
        return drop.size();
    }

    static String pair(String taskId, String strategy) {
        return taskId + "\u0000" + strategy;
    }

    void putTask(String taskId, String domain, String level, String description, String code, String status,
                 String error, List<String> frames) throws SQLException, IOException {
        String framesJson = JSON.writeValueAsString(frames);
        enqueue(c -> putTaskNow(c, taskId, domain, level, description, code, status, error, framesJson));
    }

    private static void putTaskNow(Connection connection, String taskId, String domain, String level, String description, String code,
                                   String status, String error, String frames) throws SQLException {
        update(connection, "INSERT OR REPLACE INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                taskId, domain, level, description, code, status, error, frames);
    }

    /** Runs one statement with text and integer parameters ({@code null} for SQL NULL). */
    private static void update(Connection connection, String sql, Object... args) throws SQLException {
        try (PreparedStatement p = connection.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                if (args[i] == null) {
                    p.setNull(i + 1, Types.VARCHAR);
                } else if (args[i] instanceof Integer n) {
                    p.setInt(i + 1, n);
                } else {
                    p.setString(i + 1, args[i].toString());
                }
            }
            p.executeUpdate();
        }
    }

    /** Removes what an interrupted run left of a pair that has no final row. */
    void deletePartial(String taskId, String strategy) throws SQLException {
        enqueue(c -> update(c, "DELETE FROM attempts WHERE task_id = ? AND strategy = ?", taskId, strategy));
    }

    void putAttempt(String taskId, String strategy, int seq, int round, String step, String renderStatus,
                    String errorKind, String record) throws SQLException {
        enqueue(c -> update(c, "INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                taskId, strategy, seq, round, step, renderStatus, errorKind, record));
    }

    /** One final answer; {@code metrics} maps metric columns to values, absent or null when unavailable. */
    void putFinal(FinalRow row) throws SQLException, IOException {
        String frames = JSON.writeValueAsString(row.finalFrames());
        String unavailable = JSON.writeValueAsString(row.unavailable());
        enqueue(c -> putFinalNow(c, row, frames, unavailable));
    }

    private static void putFinalNow(Connection connection, FinalRow row, String frames, String unavailable) throws SQLException {
        StringBuilder sql = new StringBuilder("INSERT INTO finals (task_id, strategy, level, success, repairs, attempts, prompt_tokens, "
                + "completion_tokens, policy_ms, render_ms, wall_ms, final_code, final_frames, error_kind, error, unavailable");
        for (String m : METRICS) {
            sql.append(", ").append(m);
        }
        sql.append(") VALUES (").append("?, ".repeat(16 + METRICS.size() - 1)).append("?)");
        try (PreparedStatement p = connection.prepareStatement(sql.toString())) {
            int i = 1;
            p.setString(i++, row.taskId());
            p.setString(i++, row.strategy());
            p.setString(i++, row.level());
            p.setBoolean(i++, row.success());
            p.setInt(i++, row.repairs());
            p.setInt(i++, row.attempts());
            p.setLong(i++, row.promptTokens());
            p.setLong(i++, row.completionTokens());
            p.setLong(i++, row.policyMs());
            p.setLong(i++, row.renderMs());
            p.setLong(i++, row.wallMs());
            p.setString(i++, row.finalCode());
            p.setString(i++, frames);
            p.setString(i++, row.errorKind());
            p.setString(i++, row.error());
            p.setString(i++, unavailable);
            for (String m : METRICS) {
                Double v = row.metrics().get(m);
                if (v == null || v.isNaN()) {
                    p.setNull(i++, Types.DOUBLE);
                } else {
                    p.setDouble(i++, v);
                }
            }
            p.executeUpdate();
        }
    }

    /** Every final row, ordered by task then strategy (a stable order keeps bootstrap draws identical across resumes). */
    List<FinalRow> finals() throws SQLException, IOException {
        flush();
        synchronized (lock) {
            List<FinalRow> rows = new ArrayList<>();
            try (Statement s = connection.createStatement();
                 ResultSet r = s.executeQuery("SELECT * FROM finals ORDER BY task_id, strategy")) {
                while (r.next()) {
                    Map<String, Double> metrics = new LinkedHashMap<>();
                    for (String m : METRICS) {
                        double v = r.getDouble(m);
                        metrics.put(m, r.wasNull() ? null : v);
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, String> unavailable = JSON.readValue(r.getString("unavailable"), Map.class);
                    @SuppressWarnings("unchecked")
                    List<String> frames = JSON.readValue(r.getString("final_frames"), List.class);
                    rows.add(new FinalRow(r.getString("task_id"), r.getString("strategy"), r.getString("level"), r.getBoolean("success"),
                            r.getInt("repairs"), r.getInt("attempts"), r.getLong("prompt_tokens"), r.getLong("completion_tokens"),
                            r.getLong("policy_ms"), r.getLong("render_ms"), r.getLong("wall_ms"), r.getString("final_code"), frames,
                            r.getString("error_kind"), r.getString("error"), metrics, unavailable));
                }
            }
            return rows;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (writer != null) {
                closing = true;
                try {
                    writer.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                check();
            }
            try (Statement s = connection.createStatement()) {
                if (!connection.isReadOnly()) {
                    s.execute("CHECKPOINT");
                }
            } catch (SQLException e) {
                // a read-only connection cannot checkpoint; nothing to flush
            }
            connection.close();
        } catch (SQLException e) {
            throw new IOException("cannot close the run database: " + e.getMessage(), e);
        }
    }
}
