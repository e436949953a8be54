package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.render.ExtractedCode.Source;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CodeExtractorTest {

    @Test
    void lastTaggedBlock_winsAndIsFormatOk() {
        String answer = "First try:\n```python\nprint(1)\n```\nBetter:\n```python\nprint(2)\n```\nDone.";
        ExtractedCode c = CodeExtractor.extract("manim", answer);
        assertEquals("print(2)\n", c.code());
        assertTrue(c.formatOk());
        assertEquals(Source.FENCED_TAGGED, c.source());
        assertEquals(2, c.blocks());
    }

    @Test
    void threeBlocks_ofWhichOneHasTheDomainsTag_takesThatOne() {
        String answer = "```bash\npip install x\n```\n```svg\n<svg/>\n```\n```\nnotes\n```\n";
        ExtractedCode c = CodeExtractor.extract("svg", answer);
        assertEquals("<svg/>\n", c.code());
        assertTrue(c.formatOk());
        assertEquals(3, c.blocks());
    }

    @Test
    void tikzAcceptsLatexAndTikzTags() {
        assertTrue(CodeExtractor.extract("tikz", "```latex\n\\draw (0,0)--(1,1);\n```").formatOk());
        assertTrue(CodeExtractor.extract("tikz", "```tikz\n\\draw (0,0)--(1,1);\n```").formatOk());
    }

    @Test
    void untaggedBlock_isUsedButNotFormatOk() {
        ExtractedCode c = CodeExtractor.extract("html", "Here:\n```\n<p>hi</p>\n```");
        assertEquals("<p>hi</p>\n", c.code());
        assertFalse(c.formatOk());
        assertEquals(Source.FENCED_UNTAGGED, c.source());
    }

    @Test
    void otherLanguageBlock_isTheLastResortAmongFences() {
        ExtractedCode c = CodeExtractor.extract("matplotlib", "```js\nconsole.log(1)\n```");
        assertEquals(Source.FENCED_OTHER, c.source());
        assertFalse(c.formatOk());
    }

    @Test
    void codeTags_asInTheManimAgentPrompt() {
        ExtractedCode c = CodeExtractor.extract("manim", "<code>\nfrom manim import *\n</code>");
        assertEquals("from manim import *\n", c.code());
        assertEquals(Source.CODE_TAG, c.source());
    }

    @Test
    void answerCutOffMidBlock_givesTheUnclosedBodyWithoutFormatOk() {
        ExtractedCode c = CodeExtractor.extract("manim", "Sure!\n```python\nfrom manim import *\nclass A(Scene):\n    def constr");
        assertEquals(Source.UNCLOSED_FENCE, c.source());
        assertFalse(c.formatOk());
        assertTrue(c.code().startsWith("from manim import *"), c.code());
    }

    @Test
    void bareSvgAndHtmlAndSmiles_areFoundInProse() {
        assertEquals("<svg width=\"1\"><rect/></svg>\n",
                CodeExtractor.extract("svg", "The answer is <svg width=\"1\"><rect/></svg> as requested.").code());
        assertEquals(Source.BARE, CodeExtractor.extract("html", "<!DOCTYPE html><html><body>x</body></html>").source());
        assertEquals("CC(=O)Oc1ccccc1C(=O)O", CodeExtractor.extract("smiles", "Aspirin:\nCC(=O)Oc1ccccc1C(=O)O\n").code());
    }

    @Test
    void noCode_isEmptyWithSourceNone() {
        assertEquals(Source.NONE, CodeExtractor.extract("svg", "I cannot draw that.").source());
        assertEquals("", CodeExtractor.extract("manim", "").code());
        assertEquals(Source.NONE, CodeExtractor.extract("manim", null).source());
    }

    @Test
    void oneMegabyteAnswer_isHandled() {
        String big = "```python\n" + "x = 1\n".repeat(200_000) + "```\n";
        ExtractedCode c = CodeExtractor.extract("matplotlib", big);
        assertTrue(c.formatOk());
        assertEquals(200_000, c.code().lines().count());
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void randomText_neverThrows(long seed) {
        Random random = new Random(seed);
        StringBuilder sb = new StringBuilder();
        String[] pieces = {"```", "python", "\n", "~~~", "<code>", "</code>", "<svg>", "x", " ", "`"};
        for (int i = 0; i < 500; i++) {
            sb.append(pieces[random.nextInt(pieces.length)]);
        }
        for (String domain : CodeExtractor.TAGS.keySet()) {
            CodeExtractor.extract(domain, sb.toString());
        }
    }
}
