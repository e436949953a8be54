package dev.renderloop.cli;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The default run folder of a suite and a policy, short enough to read and type:
 * {@code manimbench:train.jsonl} with {@code oracle-defects:1} is {@code manimbench-train-oracle-defects_1}, the bundled
 * svg suite with an OpenAI-served {@code Qwen/Qwen2.5-Coder-7B-Instruct} is {@code svg-openai-Qwen2.5-Coder-7B-Instruct}.
 * Only {@code [A-Za-z0-9._-]} appear; a name over {@value #MAX} characters is cut and ends with a hash of the whole.
 */
final class RunFolderName {
    static final int MAX = 80;

    private RunFolderName() {
    }

    /**
     * @param suite  a suite's name as {@code SuiteSource} gives it ({@code bundled:svg}, {@code manimbench:FILE[/split][/level]},
     *               a JSONL file name) or a bundled domain
     * @param policy a policy spec
     */
    static String of(String suite, String policy) {
        String full = suitePart(suite) + "-" + policyPart(policy);
        String clean = full.replaceAll("[^A-Za-z0-9._-]+", "_");
        if (clean.length() <= MAX) {
            return clean;
        }
        return clean.substring(0, MAX - 9) + "-" + sha256(full).substring(0, 8);
    }

    private static String suitePart(String suite) {
        String s = suite.startsWith("bundled:") ? suite.substring("bundled:".length()) : suite;
        String prefix = "";
        if (s.startsWith("manimbench:")) {
            prefix = "manimbench-";
            s = s.substring("manimbench:".length());
        }
        List<String> parts = new ArrayList<>();
        for (String part : s.split("/")) {
            if (!part.isEmpty()) {
                parts.add(part.replaceFirst("(?i)\\.(jsonl|parquet)$", ""));
            }
        }
        return prefix + String.join("-", parts);
    }

    private static String policyPart(String policy) {
        if (policy.startsWith("openai:")) {
            String model = policy.substring("openai:".length());
            int at = model.lastIndexOf('@');
            return "openai-" + lastSegment(at < 0 ? model : model.substring(0, at));
        }
        if (policy.startsWith("local:")) {
            String[] dirs = policy.substring("local:".length()).split("\\+", 2);
            return "local-" + lastSegment(dirs[0]) + (dirs.length > 1 ? "+" + lastSegment(dirs[1]) : "");
        }
        return policy;
    }

    /** The last element of a path or model id: {@code Qwen/Qwen2.5-Coder} is {@code Qwen2.5-Coder}. */
    private static String lastSegment(String s) {
        String t = s.replaceAll("/+$", "");
        return t.substring(t.lastIndexOf('/') + 1);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)))
                    .toLowerCase(Locale.ROOT);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
