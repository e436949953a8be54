package dev.renderloop.cli;

import dev.renderloop.model.CausalLm;
import dev.renderloop.model.ModelFormatException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code renderloop model}: the in-process model. */
@Command(name = "model", description = {"The in-process model (Qwen2 and Llama checkpoints on DJL/PyTorch).",
        "Needs the model runtime (libtorch), which the launcher does not build by default: scripts/install-model-runtime."},
        subcommands = {ModelCommand.Run.class})
final class ModelCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * {@code renderloop model run --model DIR [--adapter DIR] --input-ids 1,2,3 --greedy N [--json]}: greedy ids and the
     * top-5 logits at the last input position, so that any checkpoint (with a PEFT LoRA adapter applied, if given) can
     * be checked against transformers and PEFT from outside the tests.
     */
    @Command(name = "run", description = "Greedy continuation of token ids, and the top-5 logits at the last input position.")
    static final class Run implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model directory (config.json, *.safetensors).")
        Path model;

        @Option(names = "--adapter", paramLabel = "DIR", description = "LoRA adapter in the PEFT format (adapter_config.json, adapter_model.safetensors), applied to the model.")
        Path adapter;

        @Option(names = "--input-ids", required = true, split = ",", paramLabel = "ID", description = "Prompt token ids, comma-separated.")
        List<Long> inputIds;

        @Option(names = "--greedy", defaultValue = "16", paramLabel = "N", description = "Tokens to generate greedily (default: ${DEFAULT-VALUE}).")
        int greedy;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (inputIds.isEmpty() || greedy < 0) {
                err.println("renderloop model run: give at least one input id and --greedy >= 0");
                return ExitCode.USAGE;
            }
            long[][] ids = {inputIds.stream().mapToLong(Long::longValue).toArray()};
            try (CausalLm lm = adapter == null ? CausalLm.load(model) : CausalLm.load(model, adapter)) {
                int vocab = lm.config().vocabSize();
                for (long id : ids[0]) {
                    if (id < 0 || id >= vocab) {
                        err.println("renderloop model run: input id " + id + " is outside the vocabulary (0.." + (vocab - 1) + ")");
                        return ExitCode.USAGE;
                    }
                }
                float[][][] logits = lm.logits(ids, null);
                float[] last = logits[0][ids[0].length - 1];
                long[] generated = greedy == 0 ? new long[0] : lm.generateGreedy(ids, null, greedy)[0];
                List<Map<String, Object>> top = top5(last);
                if (json) {
                    Map<String, Object> j = new LinkedHashMap<>();
                    j.put("model", model.toString());
                    if (adapter != null) {
                        j.put("adapter", adapter.toString());
                    }
                    j.put("architecture", lm.config().architecture().toString());
                    j.put("input_ids", inputIds);
                    j.put("generated", Arrays.stream(generated).boxed().toList());
                    j.put("top5_last_position", top);
                    out.println(ResultJson.write(j));
                } else {
                    out.println("generated: " + Arrays.toString(generated));
                    for (Map<String, Object> t : top) {
                        out.printf(Locale.ROOT, "  id %6d  logit %.6f%n", (Long) t.get("id"), (Double) t.get("logit"));
                    }
                }
                return ExitCode.OK;
            } catch (ModelFormatException e) {
                err.println("renderloop model run: " + e.getMessage());
                return ExitCode.USAGE;
            }
        }

        private static List<Map<String, Object>> top5(float[] logits) {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < logits.length; i++) {
                order.add(i);
            }
            order.sort((a, b) -> a.equals(b) ? 0 : Float.compare(logits[b], logits[a]) != 0 ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
            List<Map<String, Object>> out = new ArrayList<>();
            for (int i = 0; i < Math.min(5, order.size()); i++) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", (long) order.get(i));
                m.put("logit", (double) logits[order.get(i)]);
                out.add(m);
            }
            return out;
        }
    }
}
