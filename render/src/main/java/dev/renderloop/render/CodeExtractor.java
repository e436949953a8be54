package dev.renderloop.render;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Extracts the program from a model's answer, per domain. Preference order: the last fenced block
 * tagged with the domain's language (the only case with {@code formatOk}, as in VinciCoder's format
 * reward, which scores the last such block), then the last untagged fenced block, the last fenced
 * block of another language, the last {@code <code>} tagged block, an unclosed final fence (an answer
 * cut off mid-block), and finally the domain's own syntax in the bare answer. Pure and thread-safe.
 */
public final class CodeExtractor {
    /** Accepted language tags per domain (lower case). */
    static final Map<String, Set<String>> TAGS = Map.of(
            "manim", Set.of("python", "py", "python3"),
            "matplotlib", Set.of("python", "py", "python3"),
            "rdkit", Set.of("python", "py", "python3"),
            "svg", Set.of("svg", "xml"),
            "html", Set.of("html", "htm"),
            "tikz", Set.of("latex", "tikz", "tex"),
            "smiles", Set.of("smiles"));

    // An opening fence: ``` or ~~~ (3+), an optional info string, then the body up to a matching fence.
    private static final Pattern FENCE = Pattern.compile(
            "(?m)^[ \\t]{0,3}(`{3,}|~{3,})[ \\t]*([^\\s`]*)[^\\n]*\\n(.*?)(?:(?<close>^[ \\t]{0,3}\\1[`~]*[ \\t]*$)|\\z)", Pattern.DOTALL);
    private static final Pattern CODE_TAG = Pattern.compile("<code>\\s*\\n?(.*?)</code>", Pattern.DOTALL);
    private static final Map<String, Pattern> BARE = Map.of(
            "svg", Pattern.compile("(<svg\\b.*</svg>)", Pattern.DOTALL | Pattern.CASE_INSENSITIVE),
            "html", Pattern.compile("((?:<!doctype html|<html\\b).*?(?:</html>|\\z))", Pattern.DOTALL | Pattern.CASE_INSENSITIVE),
            "tikz", Pattern.compile("(\\\\documentclass.*\\\\end\\{document\\}|\\\\begin\\{tikzpicture\\}.*\\\\end\\{tikzpicture\\})", Pattern.DOTALL));

    private CodeExtractor() {
    }

    /** The code in {@code answer} for {@code domain}. Never throws for any answer text. */
    public static ExtractedCode extract(String domain, String answer) {
        if (answer == null || answer.isBlank()) {
            return new ExtractedCode("", false, ExtractedCode.Source.NONE, 0);
        }
        Set<String> tags = TAGS.getOrDefault(domain, Set.of());
        record Block(String tag, String body, boolean closed) {
        }
        List<Block> blocks = new ArrayList<>();
        Matcher m = FENCE.matcher(answer);
        while (m.find()) {
            blocks.add(new Block(m.group(2).toLowerCase(Locale.ROOT), m.group(3), m.group("close") != null));
        }
        for (int i = blocks.size() - 1; i >= 0; i--) {
            Block b = blocks.get(i);
            if (b.closed() && tags.contains(b.tag())) {
                return new ExtractedCode(strip(b.body()), true, ExtractedCode.Source.FENCED_TAGGED, blocks.size());
            }
        }
        for (int i = blocks.size() - 1; i >= 0; i--) {
            Block b = blocks.get(i);
            if (b.closed() && b.tag().isEmpty()) {
                return new ExtractedCode(strip(b.body()), false, ExtractedCode.Source.FENCED_UNTAGGED, blocks.size());
            }
        }
        for (int i = blocks.size() - 1; i >= 0; i--) {
            Block b = blocks.get(i);
            if (b.closed()) {
                return new ExtractedCode(strip(b.body()), false, ExtractedCode.Source.FENCED_OTHER, blocks.size());
            }
        }
        Matcher tag = CODE_TAG.matcher(answer);
        String lastTagged = null;
        while (tag.find()) {
            lastTagged = tag.group(1);
        }
        if (lastTagged != null) {
            return new ExtractedCode(strip(lastTagged), false, ExtractedCode.Source.CODE_TAG, blocks.size());
        }
        if (!blocks.isEmpty()) {
            return new ExtractedCode(strip(blocks.getLast().body()), false, ExtractedCode.Source.UNCLOSED_FENCE, blocks.size());
        }
        return bare(domain, answer);
    }

    private static ExtractedCode bare(String domain, String answer) {
        Pattern p = BARE.get(domain);
        if (p != null) {
            Matcher m = p.matcher(answer);
            return m.find() ? new ExtractedCode(strip(m.group(1)), false, ExtractedCode.Source.BARE, 0)
                    : new ExtractedCode("", false, ExtractedCode.Source.NONE, 0);
        }
        if (domain.equals("smiles")) {
            // The last line that looks like a SMILES string (no spaces, SMILES alphabet only, not a
            // "Label:" line): answers tend to end with the result.
            String[] lines = answer.strip().split("\\R");
            for (int i = lines.length - 1; i >= 0; i--) {
                String s = lines[i].strip();
                if (!s.isEmpty() && !s.endsWith(":") && s.matches("[A-Za-z0-9@+\\-\\[\\]()=#$/\\\\%.:*]+")) {
                    return new ExtractedCode(s, false, ExtractedCode.Source.BARE, 0);
                }
            }
            return new ExtractedCode("", false, ExtractedCode.Source.NONE, 0);
        }
        // Python domains: a bare answer is taken whole; the renderer reports if it does not parse.
        return new ExtractedCode(strip(answer), false, ExtractedCode.Source.BARE, 0);
    }

    private static String strip(String code) {
        return code.strip() + "\n";
    }
}
