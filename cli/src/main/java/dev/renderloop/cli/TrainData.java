package dev.renderloop.cli;

import dev.renderloop.agent.Prompts;
import dev.renderloop.bench.SuiteSource;
import dev.renderloop.model.ChatMessage;
import dev.renderloop.policy.CodeFences;
import dev.renderloop.policy.Conversation;
import dev.renderloop.policy.Message;
import dev.renderloop.task.Task;
import dev.renderloop.trainer.SftExample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code train} reads: tasks from a suite (bundled, {@code manimbench:PATH}, a JSONL suite file), as the agent
 * would prompt for them, and SFT corpora in TRL's chat {@code messages} layout (JSONL or Parquet, as
 * {@code renderloop data build} writes them). A ManimBench file's test split is never trained on.
 */
final class TrainData {
    private TrainData() {
    }

    /**
     * The suite's tasks, filtered; refuses a ManimBench file that holds test-split rows unless {@code --split}
     * picks another split.
     *
     * @throws IllegalArgumentException for an unknown suite, a missing file, bad rows, test rows, or no task left
     */
    static List<Task> tasks(String suite, String split, String level, Integer limit) throws IOException {
        if (suite.startsWith("manimbench:") && (split == null || split.equalsIgnoreCase("test"))) {
            int test = testRows(suite);
            if (test > 0) {
                throw new IllegalArgumentException(suite + " holds " + test + " test-split row(s): train on the training "
                        + "split only (add --split train); validation loss is taken on a held-out part of it");
            }
        }
        return SuiteSource.load(suite, split, level, limit).tasks();
    }

    private static int testRows(String suite) throws IOException {
        try {
            return SuiteSource.load(suite, "test", null, null).tasks().size();
        } catch (IllegalArgumentException e) {
            // no test rows, or a file without splits: the full load below reports a missing or bad file
            return 0;
        }
    }

    /** The agent's first request for a task, as chat messages (text only: the in-process model reads no images). */
    static List<ChatMessage> prompt(Task task) {
        if (task.description().isBlank()) {
            throw new IllegalArgumentException("task " + task.id() + " has no description (an image-only task), and the "
                    + "in-process model reads text only");
        }
        Conversation c = Prompts.initial(task);
        List<ChatMessage> out = new ArrayList<>();
        for (Message m : c.messages()) {
            out.add(new ChatMessage(m.role().wireName(), m.text()));
        }
        return out;
    }

    /** A task as an SFT pair: the agent's first request, answered with the reference code in its fence. */
    static SftExample example(Task task) {
        if (task.code().isBlank()) {
            throw new IllegalArgumentException("task " + task.id() + " has no reference code to train on");
        }
        return new SftExample(task.id(), prompt(task), CodeFences.wrap(task.domain(), task.code().strip()));
    }

    /**
     * A chat corpus: {@code .jsonl} or {@code .parquet} with a {@code messages} column (and optionally
     * {@code images}, which must be empty).
     *
     * @throws IllegalArgumentException naming the file (and row) when it is missing, unreadable or not in the layout
     */
    static List<SftExample> corpus(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no such file: " + file + (Files.exists(file) ? " (not a regular file)" : ""));
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException("cannot read " + file + " (permission denied)");
        }
        String name = file.getFileName().toString();
        try {
            if (name.endsWith(".jsonl")) {
                return SftExample.readJsonl(file);
            }
            if (name.endsWith(".parquet")) {
                return parquet(file);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        throw new IllegalArgumentException(file + ": expected a .jsonl or .parquet corpus in the chat messages layout");
    }

    private static List<SftExample> parquet(Path file) throws IOException {
        List<SftExample> out = new ArrayList<>();
        // Each row back to the JSON the JSONL would hold, so that both go through one parser and one set of checks.
        String sql = "SELECT to_json(t) FROM read_parquet(?) AS t";
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
             PreparedStatement p = c.prepareStatement(sql)) {
            p.setString(1, file.toAbsolutePath().toString());
            try (ResultSet r = p.executeQuery()) {
                int row = 0;
                while (r.next()) {
                    out.add(SftExample.parseRow(file + ": row " + ++row, r.getString(1)));
                }
            }
        } catch (SQLException e) {
            throw new IOException(file + ": not a readable Parquet file: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no examples");
        }
        return out;
    }
}
