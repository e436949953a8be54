package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.policy.Conversation;
import dev.renderloop.policy.Message;
import dev.renderloop.policy.Policies;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.PolicyRequest;
import dev.renderloop.policy.PolicyResponse;
import dev.renderloop.policy.Purpose;
import dev.renderloop.policy.Sampling;
import dev.renderloop.task.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code renderloop train sft} end to end on the tiny chat model: the run writes metrics, checkpoints and an adapter
 * that {@code model run --adapter} and a {@code local:MODEL+ADAPTER} policy load (and that changes the model); a run
 * cut after a checkpoint resumes to the same losses; a Parquet corpus in the chat layout trains like its JSONL.
 */
class TrainCommandIT {
    static final String MODEL = TrainCommandTest.MODEL;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void sftWritesAnAdapterThatLoadsEverywhereAndResumesAfterACut() throws Exception {
        Path run = dir.resolve("run");
        String[] args = {"train", "sft", "--model", MODEL, "--suite", "svg", "--out", run.toString(), "--steps", "6",
            "--batch-size", "4", "--lr", "5e-3", "--checkpoint-every", "3", "--eval-every", "3"};
        CliRun first = CliRun.of(args);
        assertEquals(ExitCode.OK, first.exitCode(), first.out() + first.err());
        assertTrue(first.err().contains("ETA"), first.err());
        List<String> full = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(6, full.size());
        assertTrue(JSON.readTree(full.get(5)).has("val_loss"));
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-000003/optimizer.bin")));

        // the adapter changes the model as model run --adapter loads it
        CliRun base = CliRun.of("model", "run", "--model", MODEL, "--input-ids", "5,17,42", "--greedy", "0", "--json");
        CliRun tuned = CliRun.of("model", "run", "--model", MODEL, "--adapter", run.resolve("adapter").toString(),
                "--input-ids", "5,17,42", "--greedy", "0", "--json");
        assertEquals(ExitCode.OK, tuned.exitCode(), tuned.err());
        assertNotEquals(base.json().get("top5_last_position"), tuned.json().get("top5_last_position"));
        // and as a local: policy (what bench and serve-model's ChatModel.load use)
        try (Policy p = Policies.create("local:" + MODEL + "+" + run.resolve("adapter"), null, 1, Duration.ofSeconds(60))) {
            PolicyResponse r = p.respond(new PolicyRequest(new Task("t", "svg", "Draw a circle", "<svg/>", null, null),
                    Conversation.of("You write SVG.", Message.user("Draw a red circle.")), Purpose.GENERATE, 1,
                    Sampling.greedy(8)));
            assertTrue(r.ok(), r.error());
        }

        // cut after the step-3 checkpoint, as a kill would leave it, then resume: the same losses
        deleteTree(run.resolve("checkpoints/step-000006"));
        deleteTree(run.resolve("adapter"));
        Files.write(run.resolve("metrics.jsonl"), full.subList(0, 4));
        String[] resume = java.util.Arrays.copyOf(args, args.length + 1);
        resume[args.length] = "--resume";
        CliRun again = CliRun.of(resume);
        assertEquals(ExitCode.OK, again.exitCode(), again.out() + again.err());
        List<String> resumed = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(6, resumed.size());
        for (int i = 0; i < 6; i++) {
            JsonNode a = JSON.readTree(full.get(i));
            JsonNode b = JSON.readTree(resumed.get(i));
            for (String key : List.of("loss", "grad_norm", "lr", "tokens")) {
                assertEquals(a.get(key).asDouble(), b.get(key).asDouble(), 1e-5 * Math.max(1, Math.abs(a.get(key).asDouble())),
                        "step " + (i + 1) + " " + key);
            }
        }
    }

    @Test
    void aParquetCorpusInTheChatLayoutTrains() throws Exception {
        Path jsonl = dir.resolve("text2code.jsonl");
        StringBuilder rows = new StringBuilder();
        for (String colour : List.of("red", "blue", "green", "black", "white", "grey")) {
            rows.append("{\"messages\": [{\"role\": \"system\", \"content\": \"You write SVG.\"}, {\"role\": \"user\", "
                    + "\"content\": \"A ").append(colour).append(" square.\"}, {\"role\": \"assistant\", \"content\": "
                    + "\"```svg\\n<svg><rect fill='").append(colour).append("'/></svg>\\n```\"}], \"images\": []}\n");
        }
        Files.writeString(jsonl, rows);
        Path parquet = dir.resolve("text2code.parquet");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("COPY (SELECT * FROM read_json_auto('" + jsonl + "')) TO '" + parquet + "' (FORMAT parquet)");
        }
        CliRun run = CliRun.of("train", "sft", "--model", MODEL, "--data", parquet.toString(), "--out",
                dir.resolve("p").toString(), "--steps", "2", "--batch-size", "2");
        assertEquals(ExitCode.OK, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("sft: 6 examples"), run.out());
        assertTrue(Files.isRegularFile(dir.resolve("p/adapter/adapter_model.safetensors")));
    }

    @Test
    void aMissingModelDirectoryIsAUsageError() {
        CliRun run = CliRun.of("train", "sft", "--model", dir.resolve("nomodel").toString(), "--suite", "svg", "--out",
                dir.resolve("r").toString());
        assertEquals(ExitCode.USAGE, run.exitCode(), run.out() + run.err());
        assertTrue(run.err().contains("nomodel"), run.err());
        assertTrue(!Files.exists(dir.resolve("r/train.json")));
    }

    static void deleteTree(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
