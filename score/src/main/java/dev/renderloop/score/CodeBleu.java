package dev.renderloop.score;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * CodeBLEU for Python, reproducing the reference package {@code codebleu} 0.7.1 (github k4black/codebleu,
 * {@code calc_codebleu([reference], [candidate], lang="python")}) with its default weights 0.25 each.
 *
 * <h2>What is computed</h2>
 * Both codes are {@code strip()}ped, then:
 * <ol>
 *   <li><b>n-gram match</b>: BLEU-4 over whitespace tokens ({@code str.split()}), smoothing method 1.</li>
 *   <li><b>weighted n-gram match</b>: the same with n-gram recall, unigrams weighted 1 for Python keywords and 0.2
 *       otherwise (keyword list: {@code python-keywords.txt}, generated from Python 3.12's {@code keyword} module by
 *       {@code score/fixtures/python_keywords.py}; it is the same set as the package's list).</li>
 *   <li><b>syntax match</b>: after removing comments and docstrings, the fraction of the reference's tree-sitter
 *       subtrees (root and every node with children, compared as tree-sitter S-expressions) that also occur in the
 *       candidate's tree.</li>
 *   <li><b>data-flow match</b>: the fraction of the reference's normalised data-flow edges found in the candidate's
 *       (each candidate edge matched at most once).</li>
 * </ol>
 * {@code codebleu = 0.25 * (ngram + weighted + syntax + (dataflow == 0 ? 1 : dataflow))}.
 *
 * <h2>The package's edge cases, kept</h2>
 * <ul>
 *   <li>When the reference has no data flow at all, the package logs a warning and reports the data-flow match as 0;
 *       and because it combines with {@code dataflow_match_score or 1}, <em>any</em> data-flow score of 0 (also a
 *       genuine "nothing matched") enters {@code codebleu} as 1. {@link CodeBleuScore#referenceHasDataFlow} tells the
 *       two cases apart; we log the first at WARNING once per JVM, then at DEBUG.</li>
 *   <li>The weighted n-gram brevity penalty uses a reference length of 2 (see {@link Bleu#weightedNgramMatch}).</li>
 *   <li>Comment and docstring removal uses Python's tokenizer; where it raises, the code is used unchanged.</li>
 *   <li>The package's data-flow score can vary between Python processes (string hash order); see
 *       {@link PythonDataFlow}.</li>
 * </ul>
 *
 * <p>Parsing uses tree-sitter-python 0.23.4, the grammar the parity fixtures were generated with. Thread-safe.
 */
public final class CodeBleu {

    private static final System.Logger LOG = System.getLogger(CodeBleu.class.getName());
    private static final AtomicBoolean WARNED_NO_DATAFLOW = new AtomicBoolean();
    private static final Set<String> KEYWORDS = loadKeywords();

    private CodeBleu() {
    }

    /**
     * Scores {@code candidate} against {@code reference}.
     *
     * @param reference the reference program; {@code null} is empty
     * @param candidate the generated program; {@code null} is empty
     * @return the score and its components; {@linkplain CodeBleuScore#available() unavailable} only when a code is
     *         longer than {@link PythonSyntax#MAX_CODE_CHARS} or so deeply nested that the syntax match's subtree
     *         strings would exceed {@code TreeSitterPythonParser.SEXP_BUDGET_CHARS}
     */
    public static CodeBleuScore score(String reference, String candidate) {
        String ref = PythonCommentStripper.pyStrip(reference == null ? "" : reference);
        String hyp = PythonCommentStripper.pyStrip(candidate == null ? "" : candidate);
        if (ref.length() > PythonSyntax.MAX_CODE_CHARS || hyp.length() > PythonSyntax.MAX_CODE_CHARS) {
            return CodeBleuScore.unavailable("code longer than " + PythonSyntax.MAX_CODE_CHARS + " characters");
        }
        List<String> refTokens = PythonCommentStripper.pySplit(ref);
        List<String> hypTokens = PythonCommentStripper.pySplit(hyp);
        double ngram = Bleu.bleu(refTokens, hypTokens);
        double weighted = Bleu.weightedNgramMatch(refTokens, hypTokens, KEYWORDS);

        String refCode = withoutComments(ref);
        String hypCode = withoutComments(hyp);
        TreeSitterPythonParser.Parsed refTree = TreeSitterPythonParser.parse(refCode, true);
        TreeSitterPythonParser.Parsed hypTree = TreeSitterPythonParser.parse(hypCode, true);
        for (TreeSitterPythonParser.Parsed t : List.of(refTree, hypTree)) {
            if (t.sexpProblem() != null) {
                return CodeBleuScore.unavailable(t.sexpProblem());
            }
        }
        double syntax = syntaxMatch(refTree.root(), hypTree.root());

        List<PythonDataFlow.NormalEdge> refFlow = PythonDataFlow.normalise(PythonDataFlow.dataFlow(refCode, refTree));
        List<PythonDataFlow.NormalEdge> hypFlow = new ArrayList<>(
                PythonDataFlow.normalise(PythonDataFlow.dataFlow(hypCode, hypTree)));
        double dataflow;
        boolean referenceHasDataFlow = !refFlow.isEmpty();
        if (!referenceHasDataFlow) {
            dataflow = 0;
            System.Logger.Level level = WARNED_NO_DATAFLOW.compareAndSet(false, true)
                    ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
            LOG.log(level, "CodeBLEU: the reference has no data flow; as in the codebleu package the data-flow match "
                    + "is reported as 0 and enters codebleu as 1");
        } else {
            int matched = 0;
            for (PythonDataFlow.NormalEdge e : refFlow) {
                if (hypFlow.remove(e)) {
                    matched++;
                }
            }
            dataflow = (double) matched / refFlow.size();
        }
        double codebleu = 0.25 * ngram + 0.25 * weighted + 0.25 * syntax + 0.25 * (dataflow == 0 ? 1 : dataflow);
        return new CodeBleuScore(codebleu, ngram, weighted, syntax, dataflow, referenceHasDataFlow, null);
    }

    /** {@code remove_comments_and_docstrings}, or the code unchanged where that raises in Python. */
    private static String withoutComments(String code) {
        String stripped = PythonCommentStripper.strip(code);
        return stripped == null ? code : stripped;
    }

    /** {@code corpus_syntax_match} for one pair: reference subtrees found among the candidate's, over all of them. */
    private static double syntaxMatch(SyntaxNode ref, SyntaxNode hyp) {
        List<String> refSexps = subtreeSexps(ref);
        Set<String> hypSexps = new HashSet<>(subtreeSexps(hyp));
        int matched = 0;
        for (String s : refSexps) {
            if (hypSexps.contains(s)) {
                matched++;
            }
        }
        return (double) matched / refSexps.size();
    }

    /** {@code get_all_sub_trees}: the root and every node with children, as S-expressions. */
    private static List<String> subtreeSexps(SyntaxNode root) {
        List<String> out = new ArrayList<>();
        var stack = new java.util.ArrayDeque<SyntaxNode>();
        stack.push(root);
        while (!stack.isEmpty()) {
            SyntaxNode n = stack.pop();
            out.add(n.sexp != null ? n.sexp : "(" + n.type + ")");
            for (SyntaxNode c : n.children) {
                if (!c.isLeaf()) {
                    stack.push(c);
                }
            }
        }
        return out;
    }

    private static Set<String> loadKeywords() {
        try (InputStream in = CodeBleu.class.getResourceAsStream("python-keywords.txt")) {
            if (in == null) {
                throw new IllegalStateException("python-keywords.txt missing from the score module's resources");
            }
            Set<String> words = new HashSet<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    words.add(line.strip());
                }
            }
            return Set.copyOf(words);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read python-keywords.txt", e);
        }
    }
}
