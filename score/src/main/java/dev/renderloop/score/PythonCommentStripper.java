package dev.renderloop.score;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CodeBLEU's {@code remove_comments_and_docstrings(source, "python")}: re-emits the source token by token from
 * Python's {@code tokenize} module, dropping comments and strings that stand alone as statements (docstrings), then
 * drops blank lines.
 *
 * <p>The token stream is a port of CPython 3.11's pure-Python tokenizer ({@code Lib/tokenize.py}, {@code _tokenize}),
 * because that is what the reference package ran with when our parity fixtures were made; 3.12 replaced it with the C
 * tokenizer, which splits f-strings into several tokens. Only what the stripper reads is kept: type, text and
 * start/end positions. Where the Python tokenizer raises ({@code TokenError} for EOF inside a bracket or a triple-quoted
 * string, {@code IndentationError} for a dedent to an unknown level), {@link #strip} returns null and the caller, like
 * the package, keeps the source as it was.
 *
 * <p>Columns here are UTF-16 indices, Python's are code points; the output only depends on differences between
 * token ends and starts on one line, which span whitespace, so the two agree.
 */
final class PythonCommentStripper {

    private PythonCommentStripper() {
    }

    private enum Kind { NAME, NUMBER, STRING, OP, COMMENT, NL, NEWLINE, INDENT, DEDENT, ENDMARKER, ERRORTOKEN }

    private record Token(Kind kind, String text, int startLine, int startCol, int endLine, int endCol) {
    }

    /** Thrown by the tokenizer port where Python's raises. */
    private static final class TokenizeError extends Exception {
        TokenizeError(String message) {
            super(message, null, false, false);
        }
    }

    // ---- the regular expressions of tokenize.py (3.11) ----

    private static final List<String> PREFIXES = allStringPrefixes();
    private static final String STRING_PREFIX = group(PREFIXES.toArray(String[]::new));
    private static final String WHITESPACE = "[ \\f\\t]*";
    private static final String COMMENT = "#[^\\r\\n]*";
    private static final String NAME = "\\w+";
    private static final String HEX = "0[xX](?:_?[0-9a-fA-F])+";
    private static final String BIN = "0[bB](?:_?[01])+";
    private static final String OCT = "0[oO](?:_?[0-7])+";
    private static final String DEC = "(?:0(?:_?0)*|[1-9](?:_?[0-9])*)";
    private static final String INT = group(HEX, BIN, OCT, DEC);
    private static final String EXPONENT = "[eE][-+]?[0-9](?:_?[0-9])*";
    private static final String POINTFLOAT = group("[0-9](?:_?[0-9])*\\.(?:[0-9](?:_?[0-9])*)?",
            "\\.[0-9](?:_?[0-9])*") + maybe(EXPONENT);
    private static final String EXPFLOAT = "[0-9](?:_?[0-9])*" + EXPONENT;
    private static final String FLOAT = group(POINTFLOAT, EXPFLOAT);
    private static final String IMAG = group("[0-9](?:_?[0-9])*[jJ]", FLOAT + "[jJ]");
    private static final String NUMBER = group(IMAG, FLOAT, INT);
    private static final String SINGLE = "[^'\\\\]*(?:\\\\.[^'\\\\]*)*'";
    private static final String DOUBLE = "[^\"\\\\]*(?:\\\\.[^\"\\\\]*)*\"";
    private static final String SINGLE3 = "[^'\\\\]*(?:(?:\\\\.|'(?!''))[^'\\\\]*)*'''";
    private static final String DOUBLE3 = "[^\"\\\\]*(?:(?:\\\\.|\"(?!\"\"))[^\"\\\\]*)*\"\"\"";
    private static final String TRIPLE = group(STRING_PREFIX + "'''", STRING_PREFIX + "\"\"\"");
    /** token.EXACT_TOKEN_TYPES sorted in reverse, as tokenize.py builds {@code Special}. */
    private static final String[] OPERATORS = {"~", "}", "|=", "|", "{", "^=", "^", "]", "[", "@=", "@", ">>=", ">>",
        ">=", ">", "==", "=", "<=", "<<=", "<<", "<", ";", ":=", ":", "/=", "//=", "//", "/", "...", ".", "->", "-=",
        "-", ",", "+=", "+", "*=", "**=", "**", "*", ")", "(", "&=", "&", "%=", "%", "!="};
    private static final String SPECIAL = group(java.util.Arrays.stream(OPERATORS).map(Pattern::quote)
            .toArray(String[]::new));
    private static final String FUNNY = group("\\r?\\n", SPECIAL);
    private static final String CONT_STR = group(
            STRING_PREFIX + "'[^\\n'\\\\]*(?:\\\\.[^\\n'\\\\]*)*" + group("'", "\\\\\\r?\\n"),
            STRING_PREFIX + "\"[^\\n\"\\\\]*(?:\\\\.[^\\n\"\\\\]*)*" + group("\"", "\\\\\\r?\\n"));
    // Python's \Z is "end of input only", which is Java's \z.
    private static final String PSEUDO_EXTRAS = group("\\\\\\r?\\n|\\z", COMMENT, TRIPLE);
    private static final String PSEUDO_TOKEN = WHITESPACE + group(PSEUDO_EXTRAS, NUMBER, FUNNY, CONT_STR, NAME);

    // UNIX_LINES: '.' excludes only '\n', as in Python; UNICODE_CHARACTER_SET: '\w' is Unicode, as in Python 3.
    private static final int FLAGS = Pattern.UNIX_LINES | Pattern.UNICODE_CHARACTER_CLASS;
    private static final Pattern PSEUDO = Pattern.compile(PSEUDO_TOKEN, FLAGS);
    private static final Pattern END_SINGLE = Pattern.compile(SINGLE, FLAGS);
    private static final Pattern END_DOUBLE = Pattern.compile(DOUBLE, FLAGS);
    private static final Pattern END_SINGLE3 = Pattern.compile(SINGLE3, FLAGS);
    private static final Pattern END_DOUBLE3 = Pattern.compile(DOUBLE3, FLAGS);
    private static final Set<String> SINGLE_QUOTED = new HashSet<>();
    private static final Set<String> TRIPLE_QUOTED = new HashSet<>();

    static {
        for (String p : PREFIXES) {
            SINGLE_QUOTED.add(p + "'");
            SINGLE_QUOTED.add(p + "\"");
            TRIPLE_QUOTED.add(p + "'''");
            TRIPLE_QUOTED.add(p + "\"\"\"");
        }
    }

    private static String group(String... choices) {
        return "(" + String.join("|", choices) + ")";
    }

    private static String maybe(String... choices) {
        return group(choices) + "?";
    }

    /** '' plus every case and order variant of b, r, u, f, br, fr (tokenize._all_string_prefixes). */
    private static List<String> allStringPrefixes() {
        Set<String> result = new java.util.LinkedHashSet<>();
        result.add("");
        for (String prefix : new String[] {"b", "r", "u", "f", "br", "fr"}) {
            for (String perm : permutations(prefix)) {
                addCaseVariants(perm, 0, new StringBuilder(), result);
            }
        }
        // Longest first, so that regex alternation never stops at a shorter prefix. Python's set order is arbitrary
        // here, but its regex backtracks into the other alternatives, so the match is the same.
        List<String> list = new ArrayList<>(result);
        list.sort((a, b) -> b.length() - a.length());
        return list;
    }

    private static List<String> permutations(String s) {
        if (s.length() <= 1) {
            return List.of(s);
        }
        return List.of(s, new StringBuilder(s).reverse().toString());
    }

    private static void addCaseVariants(String s, int i, StringBuilder acc, Set<String> out) {
        if (i == s.length()) {
            out.add(acc.toString());
            return;
        }
        for (char c : new char[] {s.charAt(i), Character.toUpperCase(s.charAt(i))}) {
            acc.append(c);
            addCaseVariants(s, i + 1, acc, out);
            acc.setLength(acc.length() - 1);
        }
    }

    private static Pattern endPattern(String quoteToken) {
        // endpats maps prefix+quote to the tail pattern of that quote kind.
        if (quoteToken.endsWith("'''")) {
            return END_SINGLE3;
        }
        if (quoteToken.endsWith("\"\"\"")) {
            return END_DOUBLE3;
        }
        return quoteToken.endsWith("'") ? END_SINGLE : END_DOUBLE;
    }

    // ---- the tokenizer (tokenize._tokenize, encoding=None) ----

    /** Lines as {@code io.StringIO(source).readline} returns them: split after each '\n', which they keep. */
    private static List<String> lines(String source) {
        List<String> out = new ArrayList<>();
        int start = 0;
        while (start < source.length()) {
            int nl = source.indexOf('\n', start);
            int end = nl < 0 ? source.length() : nl + 1;
            out.add(source.substring(start, end));
            start = end;
        }
        return out;
    }

    private static List<Token> tokenize(String source) throws TokenizeError {
        List<String> lines = lines(source);
        List<Token> tokens = new ArrayList<>();
        int lnum = 0;
        int parenlev = 0;
        boolean continued = false;
        StringBuilder contstr = null;
        boolean needcont = false;
        int strstartLine = 0;
        int strstartCol = 0;
        Pattern endprog = null;
        List<Integer> indents = new ArrayList<>(List.of(0));
        String lastLine = "";
        String line = "";
        int next = 0;
        while (true) {
            lastLine = line;
            line = next < lines.size() ? lines.get(next++) : "";
            lnum++;
            int pos = 0;
            int max = line.length();

            if (contstr != null) {
                if (line.isEmpty()) {
                    throw new TokenizeError("EOF in multi-line string");
                }
                Matcher endmatch = endprog.matcher(line);
                if (endmatch.lookingAt()) {
                    pos = endmatch.end();
                    tokens.add(new Token(Kind.STRING, contstr + line.substring(0, pos), strstartLine, strstartCol,
                            lnum, pos));
                    contstr = null;
                    needcont = false;
                } else if (needcont && !line.endsWith("\\\n") && !line.endsWith("\\\r\n")) {
                    tokens.add(new Token(Kind.ERRORTOKEN, contstr + line, strstartLine, strstartCol, lnum,
                            line.length()));
                    contstr = null;
                    continue;
                } else {
                    contstr.append(line);
                    continue;
                }
            } else if (parenlev == 0 && !continued) {
                if (line.isEmpty()) {
                    break;
                }
                int column = 0;
                while (pos < max) {
                    char ch = line.charAt(pos);
                    if (ch == ' ') {
                        column++;
                    } else if (ch == '\t') {
                        column = (column / 8 + 1) * 8;
                    } else if (ch == '\f') {
                        column = 0;
                    } else {
                        break;
                    }
                    pos++;
                }
                if (pos == max) {
                    break;
                }
                char ch = line.charAt(pos);
                if (ch == '#' || ch == '\r' || ch == '\n') {
                    if (ch == '#') {
                        String comment = rstripNewlines(line.substring(pos));
                        tokens.add(new Token(Kind.COMMENT, comment, lnum, pos, lnum, pos + comment.length()));
                        pos += comment.length();
                    }
                    tokens.add(new Token(Kind.NL, line.substring(pos), lnum, pos, lnum, line.length()));
                    continue;
                }
                if (column > indents.get(indents.size() - 1)) {
                    indents.add(column);
                    tokens.add(new Token(Kind.INDENT, line.substring(0, pos), lnum, 0, lnum, pos));
                }
                while (column < indents.get(indents.size() - 1)) {
                    if (!indents.contains(column)) {
                        throw new TokenizeError("unindent does not match any outer indentation level");
                    }
                    indents.remove(indents.size() - 1);
                    tokens.add(new Token(Kind.DEDENT, "", lnum, pos, lnum, pos));
                }
            } else {
                if (line.isEmpty()) {
                    throw new TokenizeError("EOF in multi-line statement");
                }
                continued = false;
            }

            Matcher pseudo = PSEUDO.matcher(line);
            while (pos < max) {
                pseudo.region(pos, max);
                if (pseudo.lookingAt()) {
                    int start = pseudo.start(1);
                    int end = pseudo.end(1);
                    pos = end;
                    if (start == end) {
                        continue;
                    }
                    String token = line.substring(start, end);
                    char initial = line.charAt(start);
                    if ((initial >= '0' && initial <= '9')
                            || (initial == '.' && !token.equals(".") && !token.equals("..."))) {
                        tokens.add(new Token(Kind.NUMBER, token, lnum, start, lnum, end));
                    } else if (initial == '\r' || initial == '\n') {
                        tokens.add(new Token(parenlev > 0 ? Kind.NL : Kind.NEWLINE, token, lnum, start, lnum, end));
                    } else if (initial == '#') {
                        tokens.add(new Token(Kind.COMMENT, token, lnum, start, lnum, end));
                    } else if (TRIPLE_QUOTED.contains(token)) {
                        endprog = endPattern(token);
                        Matcher endmatch = endprog.matcher(line);
                        endmatch.region(pos, max);
                        if (endmatch.lookingAt()) {
                            pos = endmatch.end();
                            tokens.add(new Token(Kind.STRING, line.substring(start, pos), lnum, start, lnum, pos));
                        } else {
                            strstartLine = lnum;
                            strstartCol = start;
                            contstr = new StringBuilder(line.substring(start));
                            break;
                        }
                    } else if (SINGLE_QUOTED.contains(String.valueOf(initial))
                            || SINGLE_QUOTED.contains(prefix(token, 2))
                            || SINGLE_QUOTED.contains(prefix(token, 3))) {
                        if (token.charAt(token.length() - 1) == '\n') {
                            strstartLine = lnum;
                            strstartCol = start;
                            endprog = endPattern(quoteOf(token));
                            contstr = new StringBuilder(line.substring(start));
                            needcont = true;
                            break;
                        }
                        tokens.add(new Token(Kind.STRING, token, lnum, start, lnum, end));
                    } else if (isIdentifierStart(line.codePointAt(start))) {
                        tokens.add(new Token(Kind.NAME, token, lnum, start, lnum, end));
                    } else if (initial == '\\') {
                        continued = true;
                    } else {
                        if (initial == '(' || initial == '[' || initial == '{') {
                            parenlev++;
                        } else if (initial == ')' || initial == ']' || initial == '}') {
                            parenlev--;
                        }
                        tokens.add(new Token(Kind.OP, token, lnum, start, lnum, end));
                    }
                } else {
                    tokens.add(new Token(Kind.ERRORTOKEN, line.substring(pos, pos + 1), lnum, pos, lnum, pos + 1));
                    pos++;
                }
            }
        }
        if (!lastLine.isEmpty() && !lastLine.endsWith("\r") && !lastLine.endsWith("\n")
                && !pyStrip(lastLine).startsWith("#")) {
            tokens.add(new Token(Kind.NEWLINE, "", lnum - 1, lastLine.length(), lnum - 1, lastLine.length() + 1));
        }
        for (int i = 1; i < indents.size(); i++) {
            tokens.add(new Token(Kind.DEDENT, "", lnum, 0, lnum, 0));
        }
        tokens.add(new Token(Kind.ENDMARKER, "", lnum, 0, lnum, 0));
        return tokens;
    }

    private static String prefix(String s, int n) {
        return s.length() >= n ? s.substring(0, n) : s;
    }

    /** The quote character of a string token's opening (after its prefix letters), as endpats looks it up. */
    private static String quoteOf(String token) {
        for (int i = 0; i < Math.min(3, token.length()); i++) {
            char c = token.charAt(i);
            if (c == '\'' || c == '"') {
                return String.valueOf(c);
            }
        }
        return "'";
    }

    private static boolean isIdentifierStart(int cp) {
        return cp == '_' || Character.isUnicodeIdentifierStart(cp);
    }

    private static String rstripNewlines(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\r' || s.charAt(end - 1) == '\n')) {
            end--;
        }
        return s.substring(0, end);
    }

    // ---- remove_comments_and_docstrings ----

    /**
     * The source without comments and docstrings, blank lines dropped, lines joined with '\n'; null where Python's
     * tokenizer would raise (the package then keeps the source unchanged).
     */
    static String strip(String source) {
        List<Token> tokens;
        try {
            tokens = tokenize(source);
        } catch (TokenizeError e) {
            return null;
        }
        StringBuilder out = new StringBuilder(source.length());
        Kind prev = Kind.INDENT;
        int lastLine = -1;
        int lastCol = 0;
        for (Token t : tokens) {
            if (t.startLine > lastLine) {
                lastCol = 0;
            }
            if (t.startCol > lastCol) {
                out.repeat(' ', t.startCol - lastCol);
            }
            if (t.kind == Kind.COMMENT) {
                // dropped
            } else if (t.kind == Kind.STRING) {
                if (prev != Kind.INDENT && prev != Kind.NEWLINE && t.startCol > 0) {
                    out.append(t.text);
                }
            } else {
                out.append(t.text);
            }
            prev = t.kind;
            lastCol = t.endCol;
            lastLine = t.endLine;
        }
        List<String> kept = new ArrayList<>();
        for (String x : out.toString().split("\n", -1)) {
            if (!pyStrip(x).isEmpty()) {
                kept.add(x);
            }
        }
        return String.join("\n", kept);
    }

    // ---- Python's str.strip() / str.split() whitespace ----

    /** Whether {@code c} is whitespace for Python's {@code str.isspace} (so for {@code strip()} and {@code split()}). */
    static boolean isPythonSpace(char c) {
        return switch (c) {
            case ' ', '\t', '\n', '\u000b', '\u000c', '\r', '\u001c', '\u001d', '\u001e', '\u001f', '\u0085',
                 '\u00a0', '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000' -> true;
            default -> c >= '\u2000' && c <= '\u200a';
        };
    }

    /** Python's {@code str.strip()}. */
    static String pyStrip(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && isPythonSpace(s.charAt(a))) {
            a++;
        }
        while (b > a && isPythonSpace(s.charAt(b - 1))) {
            b--;
        }
        return s.substring(a, b);
    }

    /** Python's {@code str.split()} without arguments: runs of whitespace separate, no empty tokens. */
    static List<String> pySplit(String s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && isPythonSpace(s.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && !isPythonSpace(s.charAt(i))) {
                i++;
            }
            if (i > start) {
                out.add(s.substring(start, i));
            }
        }
        return out;
    }
}
