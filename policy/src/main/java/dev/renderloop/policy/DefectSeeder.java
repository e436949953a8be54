package dev.renderloop.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Seeds one {@link Defect} into a program, chosen with a seeded generator among the kinds the program has a site for.
 *
 * <p>Sites are found textually, per language family: Python (manim, matplotlib, rdkit), markup (svg, html) and
 * LaTeX (tikz). A program with no site for any kind (e.g. a SMILES string) is returned unchanged with no defect.
 */
public final class DefectSeeder {

    /** A program after seeding: the code and the defect, or {@code null} when nothing could be broken. */
    public record Seeded(String code, Defect defect) {
    }

    private static final Pattern PY_CALL = Pattern.compile("\\b([A-Za-z_][A-Za-z0-9_]{3,})\\(");
    private static final Pattern PY_KEYWORD = Pattern.compile("[(,]\\s*([a-z_][a-z0-9_]{1,})=(?!=)");
    private static final Pattern PY_IMPORT = Pattern.compile("(?m)^(?:from\\s+\\S+\\s+import\\s+.+|import\\s+.+)$");
    private static final Pattern TAG = Pattern.compile("<([a-zA-Z]{4,})[\\s>/]");
    private static final Pattern ATTRIBUTE = Pattern.compile("\\s([a-z][a-z-]{2,})=\"");
    private static final Pattern TEX_COMMAND = Pattern.compile("\\\\([a-zA-Z]{4,})");
    private static final Pattern TEX_PACKAGE = Pattern.compile("(?m)^\\s*\\\\(?:usepackage|usetikzlibrary)\\{.*$");
    private static final Pattern COLOUR = Pattern.compile(
            "\\b(RED|BLUE|GREEN|YELLOW|ORANGE|PURPLE|PINK|TEAL|GOLD|WHITE|red|blue|green|yellow|orange|purple|black|gray|navy)\\b"
                    + "|#[0-9a-fA-F]{6}\\b");
    private static final List<String> PY_BUILTINS = List.of("print", "range", "self", "super", "len", "list", "dict", "float", "int");

    private DefectSeeder() {
    }

    /** Seeds one defect into {@code code} written for {@code domain}. */
    public static Seeded seed(String code, String domain, Random seedSource) {
        // java.util.Random's first draws are strongly correlated for nearby seeds (seeds 0..39 never shuffle
        // the third of four kinds first); a SplittableRandom mix decorrelates them.
        Random random = new Random(new java.util.SplittableRandom(seedSource.nextLong()).nextLong());
        List<Defect.Kind> kinds = new ArrayList<>(List.of(Defect.Kind.values()));
        java.util.Collections.shuffle(kinds, random);
        for (Defect.Kind kind : kinds) {
            Seeded s = apply(kind, code, family(domain), random);
            if (s != null) {
                return s;
            }
        }
        return new Seeded(code, null);
    }

    private enum Family { PYTHON, MARKUP, LATEX, OTHER }

    private static Family family(String domain) {
        return switch (domain) {
            case "manim", "matplotlib", "rdkit" -> Family.PYTHON;
            case "svg", "html" -> Family.MARKUP;
            case "tikz" -> Family.LATEX;
            default -> Family.OTHER;
        };
    }

    private static Seeded apply(Defect.Kind kind, String code, Family family, Random random) {
        switch (kind) {
            case API_TYPO: {
                Pattern p = family == Family.PYTHON ? PY_CALL : family == Family.MARKUP ? TAG : family == Family.LATEX ? TEX_COMMAND : null;
                return p == null ? null : replaceGroup(kind, code, p, random, DefectSeeder::misspell);
            }
            case WRONG_KEYWORD: {
                Pattern p = family == Family.PYTHON ? PY_KEYWORD : family == Family.MARKUP ? ATTRIBUTE : null;
                return p == null ? null : replaceGroup(kind, code, p, random, k -> k + "_value");
            }
            case REMOVED_IMPORT: {
                Pattern p = family == Family.PYTHON ? PY_IMPORT : family == Family.LATEX ? TEX_PACKAGE : null;
                if (p == null) {
                    return null;
                }
                List<int[]> sites = sites(code, p, 0);
                if (sites.isEmpty()) {
                    return null;
                }
                int[] site = sites.get(random.nextInt(sites.size()));
                return splice(kind, code, site, "");
            }
            case WRONG_COLOUR: {
                if (family == Family.OTHER) {
                    return null;
                }
                return replaceGroup(kind, code, COLOUR, random, DefectSeeder::otherColour);
            }
            default:
                throw new AssertionError(kind);
        }
    }

    private static Seeded replaceGroup(Defect.Kind kind, String code, Pattern p, Random random,
                                       java.util.function.UnaryOperator<String> change) {
        int group = p == COLOUR ? 0 : 1;
        List<int[]> sites = new ArrayList<>();
        for (int[] s : sites(code, p, group)) {
            String word = code.substring(s[0], s[1]);
            if (!PY_BUILTINS.contains(word)) {
                sites.add(s);
            }
        }
        if (sites.isEmpty()) {
            return null;
        }
        int[] site = sites.get(random.nextInt(sites.size()));
        String after = change.apply(code.substring(site[0], site[1]));
        return splice(kind, code, site, after);
    }

    private static List<int[]> sites(String code, Pattern p, int group) {
        List<int[]> out = new ArrayList<>();
        Matcher m = p.matcher(code);
        while (m.find()) {
            int g = group == 0 ? 0 : group;
            if (m.group(g) != null) {
                out.add(new int[] {m.start(g), m.end(g)});
            }
        }
        return out;
    }

    private static Seeded splice(Defect.Kind kind, String code, int[] site, String after) {
        String before = code.substring(site[0], site[1]);
        int line = 1 + (int) code.substring(0, site[0]).chars().filter(c -> c == '\n').count();
        return new Seeded(code.substring(0, site[0]) + after + code.substring(site[1]), new Defect(kind, line, before, after));
    }

    /** Swaps two inner letters, or doubles one when the swap would change nothing. */
    private static String misspell(String word) {
        for (int i = word.length() - 3; i >= 1; i--) {
            if (word.charAt(i) != word.charAt(i + 1)) {
                return word.substring(0, i) + word.charAt(i + 1) + word.charAt(i) + word.substring(i + 2);
            }
        }
        return word + word.charAt(word.length() - 1);
    }

    private static String otherColour(String colour) {
        if (colour.startsWith("#")) {
            StringBuilder inverted = new StringBuilder("#");
            for (int i = 1; i < colour.length(); i++) {
                int v = Character.digit(colour.charAt(i), 16);
                inverted.append(Character.forDigit(15 - v, 16));
            }
            return inverted.toString();
        }
        List<String> upper = List.of("RED", "BLUE", "GREEN", "YELLOW", "ORANGE", "PURPLE", "PINK", "TEAL", "GOLD", "WHITE");
        List<String> lower = List.of("red", "blue", "green", "yellow", "orange", "purple", "black", "gray", "navy");
        List<String> pool = Character.isUpperCase(colour.charAt(0)) ? upper : lower;
        int i = pool.indexOf(colour);
        return pool.get((i + pool.size() / 2) % pool.size());
    }
}
