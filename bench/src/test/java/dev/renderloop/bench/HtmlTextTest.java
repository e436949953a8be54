package dev.renderloop.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HtmlTextTest {
    @Test
    void escape_markupAndQuotes_becomeEntities() {
        assertEquals("&lt;script&gt;alert(&quot;x&quot;, &#39;y&#39;)&lt;/script&gt; &amp;amp;",
                HtmlText.escape("<script>alert(\"x\", 'y')</script> &amp;"));
        assertEquals("", HtmlText.escape(null));
        assertEquals("a\tb\nc\uFFFDd", HtmlText.escape("a\tb\nc\u0000d"));
    }

    @Test
    void escape_randomText_leavesNoMarkupCharacter() {
        Random rnd = new Random(7);
        for (int k = 0; k < 200; k++) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < 40; i++) {
                s.append((char) rnd.nextInt(128));
            }
            String e = HtmlText.escape(s.toString());
            assertFalse(e.contains("<") || e.contains(">") || e.contains("\"") || e.contains("'"), e);
            assertFalse(e.replaceAll("&(amp|lt|gt|quot|#39);", "").contains("&"), e);
        }
    }

    @Test
    void urlPath_encodesEachSegment() {
        assertEquals("artifacts/star%233/ritl/frame%20000.png", HtmlText.urlPath("artifacts/star#3/ritl/frame 000.png"));
        assertEquals("a%3F/%25/%C3%A9", HtmlText.urlPath("a?/%/\u00e9"));
    }

    @Test
    void number_decimalsBySize() {
        assertEquals("0.920", HtmlText.number(0.92));
        assertEquals("1234", HtmlText.number(1234.4));
    }
}
