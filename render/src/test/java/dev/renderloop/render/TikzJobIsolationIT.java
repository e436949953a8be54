package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link JobIsolationSuite} for tikz: the hostile code is LaTeX (no shell escape, so what TeX itself
 * can do: global assignments in the warm pdflatex, {@code \openout}/{@code \write} to any name,
 * {@code \input}, {@code \openin} and {@code \pdffiledump} of any path, huge outputs). Each family runs
 * twice: as a document the precompiled format covers (typeset by a copy of the warm pdflatex server
 * and rasterised by a copy of the pdftoppm server, in the worker parent) and with a preamble of its
 * own (a job child). The benign documents take both paths too.
 */
class TikzJobIsolationIT extends JobIsolationSuite {
    static final RenderSettings LIMITS = RenderSettings.defaultsFor("tikz")
            .withTimeout(Duration.ofSeconds(15)).withMaxFileBytes(32L << 20).withMaxOutputBytes(64L << 20);
    /** What the hostile documents plant, and the benign ones look for (where TeX may read: its
     *  directory and its search path). */
    static final List<String> PLANTED = List.of("planted.tex", "planted.txt", "planted0.txt", "planted-1.tex", "tikz-planted.sty");
    static final String PICTURE = "\\begin{tikzpicture}\\draw[thick] (0,0) rectangle (3,2);\n"
            + "\\node at (1.5,1) {" + String.join("", PLANTED.stream()
                    .map(n -> "\\IfFileExists{" + n + "}{found " + n.replace("_", "") + " }{}").toList())
            + "clean};\\end{tikzpicture}\n";
    /** A macro that writes a line to the file named by its argument. */
    static final String PLANT = "\\newwrite\\plantfile\n"
            + "\\def\\plant#1{\\immediate\\openout\\plantfile=#1\\relax"
            + "\\immediate\\write\\plantfile{\\noexpand\\def\\noexpand\\planted{1}}\\immediate\\closeout\\plantfile}\n";

    TikzJobIsolationIT() {
        super("tikz", LIMITS);
    }

    @Override
    List<String> benign() {
        return List.of(PICTURE, ownPreamble(PICTURE));
    }

    /** The same body in a document whose preamble the format does not cover: it goes to a job child. */
    static String ownPreamble(String body) {
        return "\\documentclass[tikz]{standalone}\n\\begin{document}\n" + body + "\\end{document}\n";
    }

    @Override
    List<Attack> attacks() {
        String drawing = "\\begin{tikzpicture}\\draw (0,0) -- (1,1);\\end{tikzpicture}\n";
        List<Attack> families = List.of(
                new Attack("changes the warm pdflatex's state and writes to /proc/<pid>/mem", PLANT
                        + "\\plant{/proc/self/mem}\\plant{/proc/1/mem}\\plant{/proc/2/mem}\n"
                        + "\\global\\pdfcompresslevel=9 \\global\\pdfobjcompresslevel=2 \\global\\pdfpagewidth=50cm\n"
                        + "\\gdef\\tikz{BROKEN}\\global\\let\\draw\\relax\\global\\let\\node\\relax\n"
                        + "\\global\\catcode`\\{=12 \n"),
                new Attack("plants files in every writable place", PLANT
                        + PLANTED.stream().map(n -> "\\plant{" + n + "}").reduce("", String::concat)
                        + "\\plant{../planted.tex}\\plant{../../planted.tex}\\plant{/tmp/planted.tex}"
                        + "\\plant{/var/tmp/planted.tex}\\plant{/dev/shm/planted.tex}\\plant{.planted.tex}"
                        + "\\plant{../../texmf/tex/latex/planted.tex}\\plant{../../.texmf-var/tex/planted.tex}\n" + drawing),
                new Attack("pre-creates the next job directories (as files: TeX cannot make directories)", PLANT
                        + "\\count255=0 \\loop\\plant{../job-\\the\\count255}\\plant{../../jobs/job-\\the\\count255}"
                        + "\\advance\\count255 by 1 \\ifnum\\count255<40 \\repeat\n" + drawing),
                new Attack("fills the disk with many files", "\\newwrite\\f \\newcount\\n \\newcount\\m\n"
                        + "\\def\\z{" + "z".repeat(64) + "}\n"
                        + "\\edef\\z{\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z}"
                        + "\\edef\\z{\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z\\z}\n"
                        + "\\n=0 \\loop \\immediate\\openout\\f=planted\\the\\n.txt\n"
                        + " {\\m=0 \\loop\\immediate\\write\\f{\\z}\\advance\\m 1 \\ifnum\\m<1000 \\repeat}\n"
                        + " \\immediate\\closeout\\f \\advance\\n 1 \\ifnum\\n<8 \\repeat\n" + drawing,
                        // 8 files of 16 MiB, each under the file-size limit, 128 MiB in all: only the job's space stops them.
                        (hostile, limits) -> assertEquals(ErrorKind.OUTPUT_TOO_LARGE, hostile.errorKind(), hostile.error())),
                new Attack("writes over its job files (TeX cannot make FIFOs)", PLANT
                        + "\\plant{page.ppm}\\plant{doc.pdf}\\plant{doc.log}\\plant{body.tex}\\plant{scene.py}"
                        + "\\plant{log.txt}\\plant{.result.json}\\plant{out}\n" + drawing),
                new Attack("exhausts TeX's memory and draws a huge page",
                        "\\begin{tikzpicture}\\fill (0,0) rectangle (500cm,500cm);\\end{tikzpicture}\n"
                        + "\\def\\grow#1{\\grow{#1#1}}\\grow{x}\n"));
        List<Attack> both = new ArrayList<>();
        for (Attack a : families) {
            both.add(new Attack(a.family() + " (fork servers)", a.code(), a.outcome()));
            both.add(new Attack(a.family() + " (own preamble: job child)", ownPreamble(a.code()), a.outcome()));
        }
        return both;
    }

    @Override
    String readsFile(Path file) {
        // \pdffiledump and \openin would not stop the document on their own: what they read is made an error.
        return "\\edef\\dumped{\\pdffiledump offset 0 length 11 {" + file + "}}\n"
                + "\\ifx\\dumped\\empty\\else\\errmessage{read: \\dumped}\\fi\n"
                + "\\openin5=" + file + " \\ifeof5 \\else\\read5 to \\line\\errmessage{read: \\line}\\fi\n"
                + "\\input{" + file + "}\n"
                + "\\begin{tikzpicture}\\draw (0,0) -- (1,1);\\end{tikzpicture}\n";
    }
}
