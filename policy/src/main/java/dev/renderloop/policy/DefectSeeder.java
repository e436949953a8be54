package dev.renderloop.policy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Seeds one {@link Defect} into a program, chosen with a seeded generator among the kinds the program has a site for.
 *
 * <p>Sites are found textually, per language family: Python (manim, matplotlib, rdkit), markup (svg, html),
 * LaTeX (tikz) and SMILES (the {@code smiles} domain, and the SMILES strings of RDKit programs). The oracle policy
 * seeds only {@link #ORACLE_KINDS} ({@link #seed(String, String, Random)}); the training-data builder asks for any
 * kind by name ({@link #seed(String, String, Defect.Kind, Random, Collection)}), with the installed API's public names
 * for the two kinds that need them. A program with no site for a kind gets {@code null} for it.
 */
public final class DefectSeeder {

    /** A program after seeding: the code and the defect, or {@code null} when nothing could be broken. */
    public record Seeded(String code, Defect defect) {
    }

    static final Pattern PY_CALL = Pattern.compile("\\b([A-Za-z_][A-Za-z0-9_]{3,})\\(");
    private static final Pattern PY_KEYWORD = Pattern.compile("[(,]\\s*([a-z_][a-z0-9_]{1,})=(?!=)");
    static final Pattern PY_IMPORT = Pattern.compile("(?m)^(?:from\\s+\\S+\\s+import\\s+.+|import\\s+.+)$");
    private static final Pattern TAG = Pattern.compile("<([a-zA-Z]{4,})[\\s>/]");
    static final Pattern ATTRIBUTE = Pattern.compile("\\s([a-z][a-z-]{2,})=\"");
    private static final Pattern TEX_COMMAND = Pattern.compile("\\\\([a-zA-Z]{4,})");
    private static final Pattern TEX_PACKAGE = Pattern.compile("(?m)^\\s*\\\\(?:usepackage|usetikzlibrary)\\{.*$");
    static final Pattern COLOUR = Pattern.compile(
            "\\b(RED|BLUE|GREEN|YELLOW|ORANGE|PURPLE|PINK|TEAL|GOLD|WHITE|red|blue|green|yellow|orange|purple|black|gray|navy)\\b"
                    + "|#[0-9a-fA-F]{6}\\b");
    static final List<String> PY_BUILTINS = List.of("print", "range", "self", "super", "len", "list", "dict", "float", "int");

    /**
     * The kinds the oracle policy seeds, in this order. Fixed: seeded oracle runs (tests, README figures) depend on
     * the order the shuffle starts from.
     */
    public static final List<Defect.Kind> ORACLE_KINDS = List.of(Defect.Kind.API_TYPO, Defect.Kind.WRONG_KEYWORD,
            Defect.Kind.REMOVED_IMPORT, Defect.Kind.WRONG_COLOUR);

    private DefectSeeder() {
    }

    /** Seeds one defect into {@code code} written for {@code domain}. */
    public static Seeded seed(String code, String domain, Random seedSource) {
        // java.util.Random's first draws are strongly correlated for nearby seeds (seeds 0..39 never shuffle
        // the third of four kinds first); a SplittableRandom mix decorrelates them.
        Random random = new Random(new java.util.SplittableRandom(seedSource.nextLong()).nextLong());
        List<Defect.Kind> kinds = new ArrayList<>(ORACLE_KINDS);
        java.util.Collections.shuffle(kinds, random);
        for (Defect.Kind kind : kinds) {
            Seeded s = apply(kind, code, family(domain), random);
            if (s != null) {
                return s;
            }
        }
        return new Seeded(code, null);
    }

    /**
     * Seeds one defect of {@code kind}, or returns {@code null} when the program has no site for it (or, for
     * {@link Defect.Kind#API_RENAME} and {@link Defect.Kind#API_SWAP}, when {@code apiNames} is empty). Deterministic
     * for a given code, domain, kind, generator state and name collection.
     *
     * @param apiNames the installed API's public names ({@code InstalledApi.names()}: {@code name} or
     *                 {@code Class.attr}); only the last segment matters; may be empty
     */
    public static Seeded seed(String code, String domain, Defect.Kind kind, Random random, Collection<String> apiNames) {
        Family family = family(domain);
        if (ORACLE_KINDS.contains(kind)) {
            return family == Family.SMILES ? null : apply(kind, code, family, random);
        }
        return MoreDefects.apply(kind, code, domain, family, random, simpleNames(apiNames));
    }

    /** The kinds that can have a site in programs of {@code domain} (a program may still lack one). */
    public static List<Defect.Kind> kinds(String domain) {
        List<Defect.Kind> out = new ArrayList<>();
        Family f = family(domain);
        for (Defect.Kind k : Defect.Kind.values()) {
            boolean applies = switch (k) {
                case API_TYPO, WRONG_COLOUR, SWAPPED_COLOURS, REMOVED_STATEMENT, SWAPPED_POSITIONS -> f != Family.SMILES && f != Family.OTHER;
                case WRONG_KEYWORD, MISSING_ARGUMENT -> f == Family.PYTHON || f == Family.MARKUP;
                case REMOVED_IMPORT -> f == Family.PYTHON || f == Family.LATEX;
                case API_RENAME, API_SWAP -> f == Family.PYTHON;
                case WRONG_ARGUMENT, OFF_BY_ONE -> f == Family.PYTHON || f == Family.LATEX;
                case SVG_ATTRIBUTE, SVG_PATH -> f == Family.MARKUP;
                case SMILES_ATOM, SMILES_BOND -> f == Family.SMILES || domain.equals("rdkit");
            };
            if (applies) {
                out.add(k);
            }
        }
        return out;
    }

    private static Set<String> simpleNames(Collection<String> apiNames) {
        Set<String> out = new HashSet<>();
        if (apiNames != null) {
            for (String n : apiNames) {
                out.add(n.substring(n.lastIndexOf('.') + 1));
            }
        }
        return out;
    }

    enum Family { PYTHON, MARKUP, LATEX, SMILES, OTHER }

    static Family family(String domain) {
        return switch (domain) {
            case "manim", "matplotlib", "rdkit" -> Family.PYTHON;
            case "svg", "html" -> Family.MARKUP;
            case "tikz" -> Family.LATEX;
            case "smiles" -> Family.SMILES;
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
                if (family == Family.OTHER || family == Family.SMILES) {
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

    static List<int[]> sites(String code, Pattern p, int group) {
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

    static Seeded splice(Defect.Kind kind, String code, int[] site, String after) {
        String before = code.substring(site[0], site[1]);
        int line = 1 + (int) code.substring(0, site[0]).chars().filter(c -> c == '\n').count();
        return new Seeded(code.substring(0, site[0]) + after + code.substring(site[1]), new Defect(kind, line, before, after));
    }

    /** Swaps two inner letters, or doubles one when the swap would change nothing. */
    static String misspell(String word) {
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
