package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@code renderloop model run} on the model module's tiny checkpoints, against transformers' outputs in their fixtures. */
class ModelCommandIT {
    static final Path QWEN = Path.of("../model/src/test/resources/dev/renderloop/model/qwen2-tiny");
    static final Path QWEN_LORA = Path.of("../model/src/test/resources/dev/renderloop/model/qwen2-tiny-lora");

    @Test
    void greedyIdsAndTopLogitsMatchTransformers() throws Exception {
        JsonNode expected = new ObjectMapper().readTree(QWEN.resolve("expected.json").toFile());
        JsonNode gen = expected.get("generations").get(0);
        String ids = IntStream.range(0, gen.get("input_ids").get(0).size())
                .mapToObj(i -> gen.get("input_ids").get(0).get(i).asText()).collect(Collectors.joining(","));
        CliRun run = CliRun.of("model", "run", "--model", QWEN.toString(), "--input-ids", ids, "--greedy", "32", "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode j = run.json();
        assertEquals(gen.get("generated").get(0), j.get("generated"));

        JsonNode logitsCase = expected.get("logits").get(0);
        String prompt = IntStream.range(0, logitsCase.get("input_ids").get(0).size())
                .mapToObj(i -> logitsCase.get("input_ids").get(0).get(i).asText()).collect(Collectors.joining(","));
        JsonNode top = CliRun.of("model", "run", "--model", QWEN.toString(), "--input-ids", prompt, "--greedy", "0", "--json")
                .json().get("top5_last_position");
        JsonNode lastRow = logitsCase.get("logits").get(0).get(logitsCase.get("input_ids").get(0).size() - 1);
        List<Integer> order = new ArrayList<>(IntStream.range(0, lastRow.size()).boxed().toList());
        order.sort(Comparator.comparingDouble((Integer i) -> -lastRow.get(i).asDouble()));
        for (int k = 0; k < 5; k++) {
            assertEquals(order.get(k).longValue(), top.get(k).get("id").asLong());
            assertEquals(lastRow.get(order.get(k)).asDouble(), top.get(k).get("logit").asDouble(), 1e-4);
        }
    }

    @Test
    void badInputIsAUsageError() {
        CliRun missing = CliRun.of("model", "run", "--model", "/no/such/model", "--input-ids", "1,2");
        assertEquals(2, missing.exitCode(), missing.err());
        assertTrue(missing.err().contains("/no/such/model"), missing.err());
        CliRun outside = CliRun.of("model", "run", "--model", QWEN.toString(), "--input-ids", "1,999999");
        assertEquals(2, outside.exitCode());
        assertTrue(outside.err().contains("outside the vocabulary"), outside.err());
    }

    @Test
    void adapterGreedyIdsAndTopLogitsMatchPeft() throws Exception {
        JsonNode expected = new ObjectMapper().readTree(QWEN_LORA.resolve("expected.json").toFile());
        JsonNode gen = expected.get("generations").get(0);
        String ids = IntStream.range(0, gen.get("input_ids").get(0).size())
                .mapToObj(i -> gen.get("input_ids").get(0).get(i).asText()).collect(Collectors.joining(","));
        CliRun run = CliRun.of("model", "run", "--model", QWEN.toString(), "--adapter", QWEN_LORA.toString(),
                "--input-ids", ids, "--greedy", "32", "--json");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(gen.get("generated").get(0), run.json().get("generated"));
        assertEquals(QWEN_LORA.toString(), run.json().get("adapter").asText());
        CliRun base = CliRun.of("model", "run", "--model", QWEN.toString(), "--input-ids", ids, "--greedy", "32", "--json");
        assertTrue(!base.json().get("generated").equals(run.json().get("generated")), "the adapter should change the output");

        JsonNode logitsCase = expected.get("logits").get(0);
        String prompt = IntStream.range(0, logitsCase.get("input_ids").get(0).size())
                .mapToObj(i -> logitsCase.get("input_ids").get(0).get(i).asText()).collect(Collectors.joining(","));
        JsonNode top = CliRun.of("model", "run", "--model", QWEN.toString(), "--adapter", QWEN_LORA.toString(),
                "--input-ids", prompt, "--greedy", "0", "--json").json().get("top5_last_position");
        JsonNode lastRow = logitsCase.get("logits").get(0).get(logitsCase.get("input_ids").get(0).size() - 1);
        List<Integer> order = new ArrayList<>(IntStream.range(0, lastRow.size()).boxed().toList());
        order.sort(Comparator.comparingDouble((Integer i) -> -lastRow.get(i).asDouble()));
        for (int k = 0; k < 5; k++) {
            assertEquals(order.get(k).longValue(), top.get(k).get("id").asLong());
            assertEquals(lastRow.get(order.get(k)).asDouble(), top.get(k).get("logit").asDouble(), 1e-4);
        }
    }

    @Test
    void adapterForAnotherModelIsAUsageErrorNamingTheTensor() {
        // qwen3-tiny's heads are 24 wide, so qwen2-tiny's q_proj adapter does not fit it
        Path qwen3 = QWEN.resolveSibling("qwen3-tiny");
        CliRun run = CliRun.of("model", "run", "--model", qwen3.toString(), "--adapter", QWEN_LORA.toString(),
                "--input-ids", "1,2");
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains("adapter_model.safetensors") && run.err().contains("lora_"), run.err());
        CliRun missing = CliRun.of("model", "run", "--model", QWEN.toString(), "--adapter", "/no/such/adapter",
                "--input-ids", "1,2");
        assertEquals(2, missing.exitCode(), missing.err());
        assertTrue(missing.err().contains("/no/such/adapter") && missing.err().contains("adapter_config.json"),
                missing.err());
    }
}
