package dev.renderloop.data;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The build's DuckDB database ({@code OUT/build.duckdb}): every reference render and every defect render, committed
 * per program in one transaction, so a killed build (even SIGKILL) loses at most the programs in flight. Rerun with
 * the same options, it renders only what is missing; the dataset files are always written again from the store.
 * Thread-safe: one connection, writes serialised.
 */
final class BuildStore implements AutoCloseable {
    /** A reference program and its render. {@code errorKind} is null when it rendered. */
    record Reference(String uid, int seq, String source, String id, String domain, String description, String code,
                     String errorKind, String error, String image, long millis) {
    }

    /** A defect tried on a reference: the defective code, how it rendered, and the verdict ({@code kept} or why not). */
    record DefectRow(String uid, int n, String kind, int line, String before, String after, String code, String errorKind,
                     String error, Double score, String image, String verdict, long millis) {
        boolean kept() {
            return verdict.startsWith("kept");
        }
    }

    private final Connection connection;

    private BuildStore(Connection connection) {
        this.connection = connection;
    }

    /**
     * Opens (or creates) the store and checks that it was made with the same sources and options.
     *
     * @throws IllegalStateException when the folder holds a build made with other sources or options
     */
    static BuildStore open(Path file, String fingerprint) throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:duckdb:" + file.toAbsolutePath());
        BuildStore store = new BuildStore(c);
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)");
            s.execute("CREATE TABLE IF NOT EXISTS refs (uid VARCHAR PRIMARY KEY, seq INTEGER, source VARCHAR, id VARCHAR, "
                    + "domain VARCHAR, description VARCHAR, code VARCHAR, error_kind VARCHAR, error VARCHAR, image VARCHAR, millis BIGINT)");
            s.execute("CREATE TABLE IF NOT EXISTS defects (uid VARCHAR, n INTEGER, kind VARCHAR, line INTEGER, before VARCHAR, "
                    + "after VARCHAR, code VARCHAR, error_kind VARCHAR, error VARCHAR, score DOUBLE, image VARCHAR, verdict VARCHAR, "
                    + "millis BIGINT, PRIMARY KEY (uid, n))");
            s.execute("CREATE TABLE IF NOT EXISTS defects_done (uid VARCHAR PRIMARY KEY)");
            String stored = null;
            try (ResultSet r = s.executeQuery("SELECT value FROM meta WHERE key = 'fingerprint'")) {
                if (r.next()) {
                    stored = r.getString(1);
                }
            }
            if (stored == null) {
                try (PreparedStatement p = c.prepareStatement("INSERT INTO meta VALUES ('fingerprint', ?)")) {
                    p.setString(1, fingerprint);
                    p.executeUpdate();
                }
            } else if (!stored.equals(fingerprint)) {
                c.close();
                throw new IllegalStateException("the output folder holds a build made with other sources or options (" + stored
                        + "); use another --out, or delete it to start again");
            }
        } catch (SQLException | RuntimeException e) {
            if (!c.isClosed()) {
                c.close();
            }
            throw e;
        }
        return store;
    }

    synchronized Set<String> referencesDone() throws SQLException {
        return strings("SELECT uid FROM refs");
    }

    synchronized Set<String> defectsDone() throws SQLException {
        return strings("SELECT uid FROM defects_done");
    }

    synchronized void putReference(Reference r) throws SQLException {
        try (PreparedStatement p = connection.prepareStatement("INSERT OR REPLACE INTO refs VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
            p.setString(1, r.uid());
            p.setInt(2, r.seq());
            p.setString(3, r.source());
            p.setString(4, r.id());
            p.setString(5, r.domain());
            p.setString(6, r.description());
            p.setString(7, r.code());
            p.setString(8, r.errorKind());
            p.setString(9, r.error());
            p.setString(10, r.image());
            p.setLong(11, r.millis());
            p.executeUpdate();
        }
    }

    /** The defects of one program and its done mark, in one transaction. */
    synchronized void putDefects(String uid, List<DefectRow> rows) throws SQLException {
        connection.setAutoCommit(false);
        try {
            try (PreparedStatement d = connection.prepareStatement("DELETE FROM defects WHERE uid = ?")) {
                d.setString(1, uid);
                d.executeUpdate();
            }
            try (PreparedStatement p = connection.prepareStatement("INSERT INTO defects VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                for (DefectRow r : rows) {
                    p.setString(1, r.uid());
                    p.setInt(2, r.n());
                    p.setString(3, r.kind());
                    p.setInt(4, r.line());
                    p.setString(5, r.before());
                    p.setString(6, r.after());
                    p.setString(7, r.code());
                    p.setString(8, r.errorKind());
                    p.setString(9, r.error());
                    if (r.score() == null) {
                        p.setNull(10, Types.DOUBLE);
                    } else {
                        p.setDouble(10, r.score());
                    }
                    p.setString(11, r.image());
                    p.setString(12, r.verdict());
                    p.setLong(13, r.millis());
                    p.addBatch();
                }
                if (!rows.isEmpty()) {
                    p.executeBatch();
                }
            }
            try (PreparedStatement p = connection.prepareStatement("INSERT OR REPLACE INTO defects_done VALUES (?)")) {
                p.setString(1, uid);
                p.executeUpdate();
            }
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    synchronized List<Reference> references() throws SQLException {
        List<Reference> out = new ArrayList<>();
        try (Statement s = connection.createStatement();
             ResultSet r = s.executeQuery("SELECT * FROM refs ORDER BY seq")) {
            while (r.next()) {
                out.add(new Reference(r.getString("uid"), r.getInt("seq"), r.getString("source"), r.getString("id"),
                        r.getString("domain"), r.getString("description"), r.getString("code"), r.getString("error_kind"),
                        r.getString("error"), r.getString("image"), r.getLong("millis")));
            }
        }
        return out;
    }

    /** Defect rows in program order ({@code refs.seq}) then index. */
    synchronized List<DefectRow> defects() throws SQLException {
        List<DefectRow> out = new ArrayList<>();
        try (Statement s = connection.createStatement();
             ResultSet r = s.executeQuery("SELECT d.* FROM defects d JOIN refs USING (uid) ORDER BY refs.seq, d.n")) {
            while (r.next()) {
                double value = r.getDouble("score");
                Double score = r.wasNull() ? null : value;
                out.add(new DefectRow(r.getString("uid"), r.getInt("n"), r.getString("kind"), r.getInt("line"), r.getString("before"),
                        r.getString("after"), r.getString("code"), r.getString("error_kind"), r.getString("error"),
                        score, r.getString("image"), r.getString("verdict"), r.getLong("millis")));
            }
        }
        return out;
    }

    private Set<String> strings(String sql) throws SQLException {
        Set<String> out = new HashSet<>();
        try (Statement s = connection.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                out.add(r.getString(1));
            }
        }
        return out;
    }

    @Override
    public synchronized void close() throws SQLException {
        connection.close();
    }
}
