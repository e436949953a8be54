package dev.renderloop.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.renderloop.data.BuildReport.DomainCounts;
import dev.renderloop.data.BuildReport.KindCounts;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The dataset card ({@code README.md}): Hugging Face front matter (licence, one configuration per task with its
 * data files), then the sources and their licences, the command, counts per domain, why programs and defects were
 * dropped, the defect-type histogram, the layout and how to load it. Everything in it comes from the build report.
 */
final class DatasetCard {
    private DatasetCard() {
    }

    static String markdown(BuildReport r, BuildOptions options, Map<String, List<ObjectNode>> rows) {
        boolean manimbench = r.sources().stream().anyMatch(s -> s.licence().equals(Corpus.MANIMBENCH_LICENCE));
        boolean user = r.sources().stream().anyMatch(s -> s.licence().equals(Corpus.USER_LICENCE));
        StringBuilder b = new StringBuilder();
        b.append("---\n");
        b.append("license: ").append(manimbench ? "cc-by-nc-sa-4.0" : "other").append('\n');
        b.append("task_categories:\n- text-generation\n- image-to-text\n");
        b.append("configs:\n");
        for (String config : Export.CONFIGS) {
            if (!rows.get(config).isEmpty()) {
                b.append("- config_name: ").append(config).append("\n  data_files:\n  - split: train\n    path: ").append(config)
                        .append(".parquet\n");
            }
        }
        b.append("---\n\n");
        b.append("# RenderLoop training data\n\n");
        b.append("Made by rendering every reference program, keeping what renders, dropping duplicates, and seeding defects for "
                + "the visual-code-optimisation task (VinciCoder). Made with:\n\n```\n").append(r.command()).append("\n```\n\n");
        b.append("Options: ").append(options.fingerprint()).append(".\n\n");

        b.append("## Sources and licences\n\n| source | programs | licence |\n| --- | ---: | --- |\n");
        r.sources().forEach(s -> b.append("| ").append(s.name()).append(" | ").append(s.programs()).append(" | ").append(s.licence()).append(" |\n"));
        b.append('\n');
        if (manimbench) {
            b.append("This dataset is derived from ManimBench v2 (R. S. Rammuni Silva et al., Nottingham Trent University; "
                    + "arXiv 2604.18364), licensed CC BY-NC-SA 4.0: it carries that licence (attribution, non-commercial, "
                    + "share-alike) as a whole.\n\n");
        } else if (user) {
            b.append("Part of the input is a user corpus whose licence RenderLoop does not know: the dataset is under that "
                    + "corpus's licence.\n\n");
        } else {
            b.append("All input was written for RenderLoop; the dataset is under the repository's licence.\n\n");
        }

        b.append("## Counts per domain\n\n| domain | programs | rendered | kept | text2code | image2code | optimise |\n"
                + "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        int[] total = new int[6];
        for (Map.Entry<String, DomainCounts> e : r.domains().entrySet()) {
            DomainCounts c = e.getValue();
            int[] v = {c.programs(), c.rendered(), c.kept(), c.textToCode(), c.imageToCode(), c.optimisation()};
            b.append("| ").append(e.getKey());
            for (int i = 0; i < 6; i++) {
                b.append(" | ").append(v[i]);
                total[i] += v[i];
            }
            b.append(" |\n");
        }
        b.append("| **all**");
        for (int t : total) {
            b.append(" | ").append(t);
        }
        b.append(" |\n\n");

        b.append("## Programs dropped, by reason\n\n");
        table(b, r.referenceRejections(), "reason", "none");
        b.append("`render_KIND`: the reference program failed to render with that error kind; `duplicate_code_exact`: the "
                + "same tokens as an earlier program (formatting and comments ignored); `duplicate_code_near`: token "
                + "5-shingle Jaccard (MinHash estimate) >= " + options.codeJaccard() + "; `duplicate_render`: difference "
                + "hash within " + Dedup.HASH_BITS + " bits and grey SSIM >= " + options.renderSsim() + ".\n\n");

        b.append("## Defect types\n\nPer domain and kind: defects tried, kept because the render fails with an error worth "
                + "learning from (syntax, runtime, no scene), kept because the render is visibly different (corrected visual "
                + "score below " + options.visibleBelow() + "), and rejected.\n\n"
                + "| domain | defect | tried | kept (error) | kept (visible) | rejected |\n| --- | --- | ---: | ---: | ---: | ---: |\n");
        int[] kt = new int[4];
        for (var d : r.defectKinds().entrySet()) {
            for (Map.Entry<String, KindCounts> k : d.getValue().entrySet()) {
                KindCounts c = k.getValue();
                b.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %d |%n", d.getKey(), k.getKey(), c.tried(), c.keptError(),
                        c.keptVisible(), c.rejected()));
                kt[0] += c.tried();
                kt[1] += c.keptError();
                kt[2] += c.keptVisible();
                kt[3] += c.rejected();
            }
        }
        b.append(String.format(Locale.ROOT, "| **all** | | %d | %d | %d | %d |%n%n", kt[0], kt[1], kt[2], kt[3]));
        b.append("### Defects rejected, by reason\n\n");
        table(b, r.defectRejections(), "reason", "none");
        b.append("`renders_alike`: the defective program renders with a corrected visual score at or above the threshold; "
                + "`error_KIND`: it fails with an error of the environment (timeout, memory or output limit, crash), not one to "
                + "learn from.\n\n");
        if (!r.apiNames().isEmpty()) {
            b.append("API names for `api_rename` (a plausible name the installed package does not have) and `api_swap` "
                    + "(a similar name it does have):\n\n");
            r.apiNames().forEach((d, n) -> b.append("- ").append(d).append(": ").append(n).append('\n'));
            b.append('\n');
        }

        b.append("## Layout\n\n");
        b.append("""
                | file | rows |
                | --- | --- |
                """);
        for (String config : Export.CONFIGS) {
            b.append("| `").append(config).append(".jsonl`, `").append(config).append(".parquet` | ").append(rows.get(config).size())
                    .append(" |\n");
        }
        b.append("""

                Every row is `{"messages": [{"role": "system", "content": ...}, {"role": "user", "content": ...},
                {"role": "assistant", "content": ...}], "images": [...]}`: the chat layout that Hugging Face `datasets`, TRL
                (`SFTTrainer`), LLaMA-Factory (sharegpt format with `messages` and `images` columns) and ms-swift read. Images
                are PNG files under `images/`, referenced by paths relative to this folder; each is announced by an `<image>`
                placeholder in the user turn. The assistant answers with the complete program in a fenced code block tagged
                with the language (`python`, `svg`, `html`, `latex`, `smiles`). TRL's vision collator
                (`DataCollatorForVisionLanguageModeling`) puts the image blocks in the user turn itself: for it, open the
                image paths relative to this folder and drop the `<image>` placeholders from the text.

                - `text2code`: the task's description -> the reference program.
                - `image2code`: the reference's render -> the program (still-image domains).
                - `optimise`: the target render (for Manim, the description), a defective program and what rendering it gave
                  (the last 10 lines of the error, or that it looks different) -> the corrected (reference) program.

                `CONFIG.meta.jsonl` / `CONFIG.meta.parquet` hold one row per training row (same order, `row` = its index):
                source, id, domain, target image, and for `optimise` the defect (kind, line, text before and after), its render
                error kind and text or its corrected visual score, and its render. `samples.html` shows sample pairs;
                `report.json` has every count; `build.duckdb` is the resumable build store.

                ```python
                from datasets import load_dataset
                ds = load_dataset("parquet", data_files={"train": "optimise.parquet"})["train"]
                ```
                """);
        b.append(String.format(Locale.ROOT, "%nThis invocation: %d renders, %d rows in %.1f s (%.2f rows/s).%n", r.rendersNow(), r.pairs(),
                r.wallMillis() / 1000.0, r.pairsPerSecond()));
        return b.toString();
    }

    private static void table(StringBuilder b, Map<String, Map<String, Integer>> byDomain, String what, String none) {
        if (byDomain.values().stream().allMatch(Map::isEmpty)) {
            b.append(none.substring(0, 1).toUpperCase(Locale.ROOT)).append(none.substring(1)).append(".\n\n");
            return;
        }
        b.append("| domain | ").append(what).append(" | count |\n| --- | --- | ---: |\n");
        Map<String, Map<String, Integer>> sorted = new TreeMap<>(byDomain);
        sorted.forEach((d, m) -> m.forEach((k, v) -> b.append("| ").append(d).append(" | ").append(k).append(" | ").append(v).append(" |\n")));
        b.append('\n');
    }
}
