package dev.renderloop.policy;

import dev.renderloop.policy.DefectSeeder.Family;
import dev.renderloop.policy.DefectSeeder.Seeded;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The defect kinds beyond the oracle's four, for the training-data builder's visual-code-optimisation pairs.
 *
 * <p>Every site is found textually (no parser): the aim is a plausible mistake, not a guaranteed one. Whether a
 * defect is worth learning from (it fails with a clear error, or renders visibly different) is decided by
 * rendering it, in the data module, never here.
 */
final class MoreDefects {
    private static final Pattern API_CALL = Pattern.compile("\\b([A-Za-z_][A-Za-z0-9_]{2,})\\(");
    private static final Pattern NUMBER_ARG = Pattern.compile("[(,=\\[]\\s*(-?\\d+(?:\\.\\d+)?)(?=\\s*[,)\\]])");
    private static final Pattern RANGE_INT = Pattern.compile("\\brange\\(\\s*(?:-?\\d+\\s*,\\s*)?(\\d+)\\s*[,)]");
    private static final Pattern FOREACH_END = Pattern.compile("\\.\\.\\.\\s*,\\s*(\\d+)\\s*\\}");
    private static final Pattern INT_ARG = Pattern.compile("[(,]\\s*(\\d+)(?=\\s*[,)])");
    private static final Pattern TEX_COORD = Pattern.compile("\\(\\s*-?\\d+(?:\\.\\d+)?\\s*,\\s*-?\\d+(?:\\.\\d+)?\\s*\\)");
    private static final Pattern TEX_NUMBER = Pattern.compile("(?<![A-Za-z\\\\])(-?\\d+(?:\\.\\d+)?)(?=\\s*(?:cm|pt|mm)?\\s*[,)\\]}])");
    private static final Pattern TEX_STATEMENT = Pattern.compile("(?m)^[ \\t]*\\\\(?:draw|fill|filldraw|node|path|shade)\\b[^;]*;[ \\t]*\\R?");
    private static final Pattern DIRECTION = Pattern.compile("\\b(UP|DOWN|LEFT|RIGHT|UL|UR|DL|DR)\\b");
    private static final Map<String, String> OPPOSITE = Map.of("UP", "DOWN", "DOWN", "UP", "LEFT", "RIGHT", "RIGHT", "LEFT",
            "UL", "DR", "DR", "UL", "UR", "DL", "DL", "UR");
    private static final Pattern XY_LISTS = Pattern.compile("\\(\\s*(\\[[^\\[\\]\n]*\\])\\s*,\\s*(\\[[^\\[\\]\n]*\\])");
    private static final Pattern POSITION_ATTR = Pattern.compile("\\s(x|y|cx|cy|x1|y1|x2|y2)=\"(-?\\d+(?:\\.\\d+)?)\"");
    private static final Pattern NUMERIC_ATTR = Pattern.compile(
            "\\s(?:x|y|cx|cy|r|rx|ry|width|height|x1|y1|x2|y2|stroke-width|font-size)=\"(-?\\d+(?:\\.\\d+)?)\"");
    private static final Pattern MARKUP_ATTR = Pattern.compile("\\s[a-z][a-z-]*=\"[^\"]*\"");
    private static final Pattern PATH_D = Pattern.compile("\\sd=\"([^\"]*)\"");
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(?:\\.\\d+)?");
    private static final Pattern ELEMENT = Pattern.compile("<(?!svg\\b|html\\b|body\\b|head\\b|/)([a-zA-Z][a-zA-Z0-9]*)\\b[^<>]*/>"
            + "|<(?!svg\\b|html\\b|body\\b|head\\b|style\\b)([a-zA-Z][a-zA-Z0-9]*)\\b[^<>]*>[^<]*</\\2>");
    private static final Pattern SMILES_IN_PYTHON = Pattern.compile("MolFromSmiles\\(\\s*[\"']([^\"']+)[\"']");
    private static final Pattern SMILES_ATOM = Pattern.compile("Cl|Br|[BCNOPSFI]|[cnos](?![a-z])");
    private static final Map<String, String> OTHER_ATOM = Map.ofEntries(Map.entry("C", "N"), Map.entry("N", "O"),
            Map.entry("O", "S"), Map.entry("S", "O"), Map.entry("F", "Cl"), Map.entry("Cl", "Br"), Map.entry("Br", "I"),
            Map.entry("I", "Br"), Map.entry("B", "C"), Map.entry("P", "N"), Map.entry("c", "n"), Map.entry("n", "c"),
            Map.entry("o", "s"), Map.entry("s", "o"));

    private MoreDefects() {
    }

    static Seeded apply(Defect.Kind kind, String code, String domain, Family family, Random random, Set<String> api) {
        return switch (kind) {
            case API_RENAME -> family == Family.PYTHON && !api.isEmpty() ? apiRename(code, random, api) : null;
            case API_SWAP -> family == Family.PYTHON && !api.isEmpty() ? apiSwap(code, random, api) : null;
            case MISSING_ARGUMENT -> family == Family.PYTHON ? missingArgument(code, random)
                    : family == Family.MARKUP ? pick(kind, code, sites(code, MARKUP_ATTR, 0), random, s -> "") : null;
            case WRONG_ARGUMENT -> family == Family.PYTHON ? pick(kind, code, sites(code, NUMBER_ARG, 1), random, MoreDefects::otherNumber)
                    : family == Family.LATEX ? pick(kind, code, sites(code, TEX_NUMBER, 1), random, MoreDefects::otherNumber) : null;
            case SWAPPED_COLOURS -> family == Family.OTHER || family == Family.SMILES ? null : swappedColours(code, random);
            case SWAPPED_POSITIONS -> switch (family) {
                case PYTHON -> !sites(code, DIRECTION, 1).isEmpty() ? pick(kind, code, sites(code, DIRECTION, 1), random, OPPOSITE::get)
                        : swappedDataLists(code, random);
                case MARKUP -> swappedAttributes(code, random);
                case LATEX -> swapTwo(kind, code, sites(code, TEX_COORD, 0), random);
                default -> null;
            };
            case REMOVED_STATEMENT -> switch (family) {
                case PYTHON -> removedPythonLine(code, random);
                case MARKUP -> pick(kind, code, sites(code, ELEMENT, 0), random, s -> "");
                case LATEX -> sites(code, TEX_STATEMENT, 0).size() < 2 ? null : pick(kind, code, sites(code, TEX_STATEMENT, 0), random, s -> "");
                default -> null;
            };
            case OFF_BY_ONE -> offByOne(code, family, random);
            case SVG_ATTRIBUTE -> family == Family.MARKUP ? pick(kind, code, sites(code, NUMERIC_ATTR, 1), random, MoreDefects::otherNumber) : null;
            case SVG_PATH -> family == Family.MARKUP ? pathCoordinate(code, random) : null;
            case SMILES_ATOM -> smiles(kind, code, domain, random);
            case SMILES_BOND -> smiles(kind, code, domain, random);
            default -> throw new IllegalArgumentException("not one of the extra kinds: " + kind);
        };
    }

    // ---- Python names --------------------------------------------------------------------------------------

    /** A called name the API has, turned into a plausible name it does not have (checked against the API). */
    private static Seeded apiRename(String code, Random random, Set<String> api) {
        List<int[]> sites = callSites(code, api);
        while (!sites.isEmpty()) {
            int[] site = sites.remove(random.nextInt(sites.size()));
            String name = code.substring(site[0], site[1]);
            List<String> variants = new ArrayList<>(hallucinations(name));
            variants.removeIf(api::contains);
            if (!variants.isEmpty()) {
                return DefectSeeder.splice(Defect.Kind.API_RENAME, code, site, variants.get(random.nextInt(variants.size())));
            }
        }
        return null;
    }

    /** The kinds of wrong name models produce: other casing conventions, British spelling, plural, a verb prefix. */
    static List<String> hallucinations(String name) {
        Set<String> out = new LinkedHashSet<>();
        if (name.contains("_")) {
            StringBuilder camel = new StringBuilder();
            boolean up = false;
            for (char c : name.toCharArray()) {
                if (c == '_') {
                    up = true;
                } else {
                    camel.append(up ? Character.toUpperCase(c) : c);
                    up = false;
                }
            }
            out.add(camel.toString());
        } else if (!name.equals(name.toLowerCase(Locale.ROOT))) {
            out.add(name.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT));
        }
        if (name.contains("color")) {
            out.add(name.replace("color", "colour"));
        }
        if (name.contains("Color")) {
            out.add(name.replace("Color", "Colour"));
        }
        out.add(name.endsWith("s") ? name + "es" : name + "s");
        if (Character.isUpperCase(name.charAt(0))) {
            out.add(name + "Object");
        } else {
            out.add("create_" + name);
        }
        out.remove(name);
        return new ArrayList<>(out);
    }

    /** A called name the API has, replaced by the nearest other real name (edit distance 1-3, same first letter). */
    private static Seeded apiSwap(String code, Random random, Set<String> api) {
        List<int[]> sites = callSites(code, api);
        List<String> sorted = api.stream().sorted().toList();
        while (!sites.isEmpty()) {
            int[] site = sites.remove(random.nextInt(sites.size()));
            String name = code.substring(site[0], site[1]);
            List<String> near = sorted.stream()
                    .filter(n -> !n.equals(name) && !n.startsWith("_") && n.length() > 2 && n.charAt(0) == name.charAt(0)
                            && Math.abs(n.length() - name.length()) <= 3)
                    .filter(n -> editDistance(n, name) <= 3)
                    .sorted(Comparator.comparingInt((String n) -> editDistance(n, name)).thenComparing(n -> n))
                    .limit(5).toList();
            if (!near.isEmpty()) {
                return DefectSeeder.splice(Defect.Kind.API_SWAP, code, site, near.get(random.nextInt(near.size())));
            }
        }
        return null;
    }

    private static List<int[]> callSites(String code, Set<String> api) {
        List<int[]> out = new ArrayList<>();
        for (int[] s : sites(code, API_CALL, 1)) {
            String word = code.substring(s[0], s[1]);
            if (api.contains(word) && !DefectSeeder.PY_BUILTINS.contains(word) && !inComment(code, s[0])) {
                out.add(s);
            }
        }
        return out;
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    // ---- arguments -----------------------------------------------------------------------------------------

    /** Removes one top-level argument of a one-line call that has at least one. */
    private static Seeded missingArgument(String code, Random random) {
        List<int[]> args = new ArrayList<>();
        for (int[] call : sites(code, DefectSeeder.PY_CALL, 1)) {
            int open = call[1];
            if (code.charAt(open) != '(' || inComment(code, call[0])) {
                continue;
            }
            int depth = 0;
            int start = open + 1;
            List<int[]> these = new ArrayList<>();
            for (int i = open; i < code.length(); i++) {
                char c = code.charAt(i);
                if (c == '\n' || c == '"' || c == '\'') {
                    if (c == '\n') {
                        these.clear();
                        break;
                    }
                }
                if (c == '(' || c == '[' || c == '{') {
                    depth++;
                } else if (c == ')' || c == ']' || c == '}') {
                    depth--;
                    if (depth == 0) {
                        if (i > start && !code.substring(start, i).isBlank()) {
                            these.add(new int[] {start, i});
                        }
                        break;
                    }
                } else if (c == ',' && depth == 1) {
                    these.add(new int[] {start, i});
                    start = i + 1;
                }
            }
            // remove "arg, " (not the last) or ", arg" (the last) so the call stays well formed
            for (int k = 0; k < these.size(); k++) {
                int[] a = these.get(k);
                if (these.size() == 1) {
                    args.add(a);
                } else if (k < these.size() - 1) {
                    args.add(new int[] {a[0], these.get(k + 1)[0]});
                } else {
                    args.add(new int[] {these.get(k - 1)[1], a[1]});
                }
            }
        }
        if (args.isEmpty()) {
            return null;
        }
        int[] site = args.get(random.nextInt(args.size()));
        return DefectSeeder.splice(Defect.Kind.MISSING_ARGUMENT, code, site, "");
    }

    /** A clearly different value: doubled, halved or negated for non-zero numbers; 0 becomes 1. */
    static String otherNumber(String number) {
        boolean decimal = number.contains(".");
        double v = Double.parseDouble(number);
        double w = v == 0 ? 1 : Math.abs(v) < 4 ? v * 2 + (v > 0 ? 1 : -1) : v / 2;
        if (!decimal) {
            long r = Math.round(w);
            return Long.toString(r == (long) v ? r + 1 : r);
        }
        return String.format(Locale.ROOT, "%.2f", w).replaceAll("0+$", "").replaceAll("\\.$", ".0");
    }

    private static Seeded offByOne(String code, Family family, Random random) {
        List<int[]> sites = new ArrayList<>();
        if (family == Family.PYTHON) {
            sites = sites(code, RANGE_INT, 1);
            if (sites.isEmpty()) {
                sites = sites(code, INT_ARG, 1);
            }
        } else if (family == Family.LATEX) {
            sites = sites(code, FOREACH_END, 1);
        }
        sites.removeIf(s -> inComment(code, s[0]));
        if (sites.isEmpty()) {
            return null;
        }
        int[] site = sites.get(random.nextInt(sites.size()));
        long v = Long.parseLong(code.substring(site[0], site[1]));
        long w = v <= 1 || random.nextBoolean() ? v + 1 : v - 1;
        return DefectSeeder.splice(Defect.Kind.OFF_BY_ONE, code, site, Long.toString(w));
    }

    // ---- colours and positions -----------------------------------------------------------------------------

    private static Seeded swappedColours(String code, Random random) {
        List<int[]> sites = sites(code, DefectSeeder.COLOUR, 0);
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < sites.size(); i++) {
            for (int j = i + 1; j < sites.size(); j++) {
                if (!text(code, sites.get(i)).equalsIgnoreCase(text(code, sites.get(j)))) {
                    pairs.add(new int[] {i, j});
                }
            }
        }
        if (pairs.isEmpty()) {
            return null;
        }
        int[] p = pairs.get(random.nextInt(pairs.size()));
        return exchange(Defect.Kind.SWAPPED_COLOURS, code, sites.get(p[0]), sites.get(p[1]));
    }

    /** Two elements' values of the same position attribute (e.g. two {@code cx}), when they differ, exchanged. */
    private static Seeded swappedAttributes(String code, Random random) {
        List<int[]> pairs = new ArrayList<>();
        List<int[]> values = new ArrayList<>();
        List<String> names = new ArrayList<>();
        Matcher m = POSITION_ATTR.matcher(code);
        while (m.find()) {
            values.add(new int[] {m.start(2), m.end(2)});
            names.add(m.group(1));
        }
        for (int i = 0; i < values.size(); i++) {
            for (int j = i + 1; j < values.size(); j++) {
                if (names.get(i).equals(names.get(j)) && !text(code, values.get(i)).equals(text(code, values.get(j)))) {
                    pairs.add(new int[] {i, j});
                }
            }
        }
        if (pairs.isEmpty()) {
            return null;
        }
        int[] p = pairs.get(random.nextInt(pairs.size()));
        return exchange(Defect.Kind.SWAPPED_POSITIONS, code, values.get(p[0]), values.get(p[1]));
    }

    /** A call's first two list arguments (its x and y data in matplotlib) exchanged, when they differ. */
    private static Seeded swappedDataLists(String code, Random random) {
        List<int[][]> pairs = new ArrayList<>();
        Matcher m = XY_LISTS.matcher(code);
        while (m.find()) {
            if (!m.group(1).replace(" ", "").equals(m.group(2).replace(" ", "")) && !inComment(code, m.start())) {
                pairs.add(new int[][] {{m.start(1), m.end(1)}, {m.start(2), m.end(2)}});
            }
        }
        if (pairs.isEmpty()) {
            return null;
        }
        int[][] p = pairs.get(random.nextInt(pairs.size()));
        return exchange(Defect.Kind.SWAPPED_POSITIONS, code, p[0], p[1]);
    }

    private static Seeded swapTwo(Defect.Kind kind, String code, List<int[]> sites, Random random) {
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < sites.size(); i++) {
            for (int j = i + 1; j < sites.size(); j++) {
                if (!text(code, sites.get(i)).replace(" ", "").equals(text(code, sites.get(j)).replace(" ", ""))) {
                    pairs.add(new int[] {i, j});
                }
            }
        }
        if (pairs.isEmpty()) {
            return null;
        }
        int[] p = pairs.get(random.nextInt(pairs.size()));
        return exchange(kind, code, sites.get(p[0]), sites.get(p[1]));
    }

    /** Exchanges two non-overlapping spans; the defect records the first span's line and both texts. */
    private static Seeded exchange(Defect.Kind kind, String code, int[] a, int[] b) {
        String ta = text(code, a);
        String tb = text(code, b);
        String out = code.substring(0, a[0]) + tb + code.substring(a[1], b[0]) + ta + code.substring(b[1]);
        int line = 1 + (int) code.substring(0, a[0]).chars().filter(c -> c == '\n').count();
        return new Seeded(out, new Defect(kind, line, ta + " ... " + tb, tb + " ... " + ta));
    }

    // ---- statements ----------------------------------------------------------------------------------------

    /**
     * One simple statement line removed: balanced brackets, no block opener, no import, not the only statement of
     * its block (the next non-blank line has the same indentation), so the program still parses.
     */
    private static Seeded removedPythonLine(String code, Random random) {
        String[] lines = code.split("\n", -1);
        List<int[]> sites = new ArrayList<>();
        int offset = 0;
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            String t = l.strip();
            int next = i + 1;
            while (next < lines.length && lines[next].isBlank()) {
                next++;
            }
            boolean simple = !t.isEmpty() && !t.startsWith("#") && !t.endsWith(":") && !t.endsWith("\\") && !t.endsWith(",")
                    && !DefectSeeder.PY_IMPORT.matcher(t).matches() && balanced(t) && t.contains("(")
                    && !t.startsWith("return") && !t.startsWith("def ") && !t.startsWith("class ")
                    && next < lines.length && indent(lines[next]) == indent(l);
            if (simple) {
                sites.add(new int[] {offset, offset + l.length() + 1});
            }
            offset += l.length() + 1;
        }
        if (sites.isEmpty()) {
            return null;
        }
        int[] site = sites.get(random.nextInt(sites.size()));
        Seeded s = DefectSeeder.splice(Defect.Kind.REMOVED_STATEMENT, code, site, "");
        Defect d = s.defect();
        return new Seeded(s.code(), new Defect(d.kind(), d.line(), d.before().stripTrailing(), ""));
    }

    private static boolean balanced(String t) {
        int depth = 0;
        for (char c : t.toCharArray()) {
            depth += c == '(' || c == '[' || c == '{' ? 1 : c == ')' || c == ']' || c == '}' ? -1 : 0;
            if (depth < 0) {
                return false;
            }
        }
        return depth == 0;
    }

    private static int indent(String l) {
        int i = 0;
        while (i < l.length() && (l.charAt(i) == ' ' || l.charAt(i) == '\t')) {
            i++;
        }
        return i;
    }

    // ---- SVG paths -----------------------------------------------------------------------------------------

    private static Seeded pathCoordinate(String code, Random random) {
        List<int[]> numbers = new ArrayList<>();
        Matcher d = PATH_D.matcher(code);
        while (d.find()) {
            Matcher n = NUMBER.matcher(d.group(1));
            while (n.find()) {
                numbers.add(new int[] {d.start(1) + n.start(), d.start(1) + n.end()});
            }
        }
        if (numbers.isEmpty()) {
            return null;
        }
        int[] site = numbers.get(random.nextInt(numbers.size()));
        double v = Double.parseDouble(text(code, site));
        double moved = v + (random.nextBoolean() ? 1 : -1) * (40 + random.nextInt(41));
        String after = text(code, site).contains(".") ? String.format(Locale.ROOT, "%.1f", moved) : Long.toString(Math.round(moved));
        return DefectSeeder.splice(Defect.Kind.SVG_PATH, code, site, after);
    }

    // ---- SMILES --------------------------------------------------------------------------------------------

    /** The SMILES spans: the whole (trimmed) program in the smiles domain, the MolFromSmiles literals in RDKit code. */
    private static List<int[]> smilesSpans(String code, String domain) {
        List<int[]> out = new ArrayList<>();
        if (domain.equals("smiles")) {
            int a = 0;
            int b = code.length();
            while (a < b && Character.isWhitespace(code.charAt(a))) {
                a++;
            }
            while (b > a && Character.isWhitespace(code.charAt(b - 1))) {
                b--;
            }
            if (b > a) {
                out.add(new int[] {a, b});
            }
        } else if (domain.equals("rdkit")) {
            out.addAll(sites(code, SMILES_IN_PYTHON, 1));
        }
        return out;
    }

    private static Seeded smiles(Defect.Kind kind, String code, String domain, Random random) {
        List<int[]> sites = new ArrayList<>();
        List<String> replacement = new ArrayList<>();
        for (int[] span : smilesSpans(code, domain)) {
            String s = text(code, span);
            int depth = 0;
            if (kind == Defect.Kind.SMILES_ATOM) {
                Matcher m = SMILES_ATOM.matcher(s);
                while (m.find()) {
                    if (inBracket(s, m.start())) {
                        continue;
                    }
                    sites.add(new int[] {span[0] + m.start(), span[0] + m.end()});
                    replacement.add(OTHER_ATOM.get(m.group()));
                }
                continue;
            }
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                depth += c == '[' ? 1 : c == ']' ? -1 : 0;
                if (depth > 0) {
                    continue;
                }
                if (c == '=' || c == '#') {
                    sites.add(new int[] {span[0] + i, span[0] + i + 1}); // a multiple bond made single
                    replacement.add("");
                } else if (Character.isDigit(c) && i > 0 && s.charAt(i - 1) != '%') {
                    sites.add(new int[] {span[0] + i, span[0] + i + 1}); // a ring bond cut (unclosed ring)
                    replacement.add("");
                } else if (i > 0 && Character.isUpperCase(c) && Character.isUpperCase(s.charAt(i - 1))
                        && !(s.charAt(i - 1) == 'C' && c == 'l') && !(s.charAt(i - 1) == 'B' && c == 'r')) {
                    sites.add(new int[] {span[0] + i, span[0] + i}); // a single bond made double
                    replacement.add("=");
                }
            }
        }
        if (sites.isEmpty()) {
            return null;
        }
        int k = random.nextInt(sites.size());
        int[] site = sites.get(k);
        if (site[0] == site[1]) {
            int line = 1 + (int) code.substring(0, site[0]).chars().filter(c -> c == '\n').count();
            String around = code.substring(Math.max(0, site[0] - 1), Math.min(code.length(), site[0] + 1));
            String changed = around.isEmpty() ? replacement.get(k) : around.charAt(0) + replacement.get(k) + around.substring(1);
            return new Seeded(code.substring(0, site[0]) + replacement.get(k) + code.substring(site[0]),
                    new Defect(kind, line, around, changed));
        }
        return DefectSeeder.splice(kind, code, site, replacement.get(k));
    }

    private static boolean inBracket(String s, int index) {
        int open = s.lastIndexOf('[', index);
        return open >= 0 && s.lastIndexOf(']', index) < open;
    }

    // ---- shared --------------------------------------------------------------------------------------------

    private static Seeded pick(Defect.Kind kind, String code, List<int[]> sites, Random random,
                               java.util.function.UnaryOperator<String> change) {
        sites.removeIf(s -> inComment(code, s[0]));
        if (sites.isEmpty()) {
            return null;
        }
        int[] site = sites.get(random.nextInt(sites.size()));
        String before = text(code, site);
        String after = change.apply(before);
        if (after == null || after.equals(before)) {
            return null;
        }
        Seeded s = DefectSeeder.splice(kind, code, site, after);
        return new Seeded(s.code(), new Defect(kind, s.defect().line(), before.strip(), after));
    }

    private static List<int[]> sites(String code, Pattern p, int group) {
        return new ArrayList<>(DefectSeeder.sites(code, p, group));
    }

    private static String text(String code, int[] site) {
        return code.substring(site[0], site[1]);
    }

    /** Whether {@code index} is after a '#' on its line (a Python comment; good enough for the sites we look at). */
    private static boolean inComment(String code, int index) {
        int lineStart = code.lastIndexOf('\n', index - 1) + 1;
        int hash = code.indexOf('#', lineStart);
        return hash >= 0 && hash < index && !code.substring(lineStart, hash).contains("\"") && !code.substring(lineStart, hash).contains("'");
    }
}
