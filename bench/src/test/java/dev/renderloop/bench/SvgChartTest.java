package dev.renderloop.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The SVG is well-formed XML, its bars and whiskers sit where the values say, and labels are escaped. */
class SvgChartTest {

    @Test
    void bars_heightsAndWhiskersFollowValues() throws Exception {
        SvgChart.Stat[][] v = {{new SvgChart.Stat(0.5, 0.25, 0.75), null}, {new SvgChart.Stat(1.0, Double.NaN, Double.NaN),
                new SvgChart.Stat(0.2, 0.1, 0.3)}};
        Document d = parse(SvgChart.bars("VS <per> strategy", List.of("a&b", "<c>"), List.of("paper", "corrected"), v));
        List<Element> bars = withClass(d, "rect", "bar");
        assertEquals(3, bars.size());
        assertEquals(1, withClass(d, "rect", "na").size());
        assertEquals(2, withClass(d, "path", "whisker").size());
        // plot height 170 on a 0..1 axis
        assertEquals(85.0, Double.parseDouble(bars.get(0).getAttribute("height")), 0.05);
        assertEquals(170.0, Double.parseDouble(bars.get(1).getAttribute("height")), 0.05);
        assertEquals(34.0, Double.parseDouble(bars.get(2).getAttribute("height")), 0.05);
        String text = d.getDocumentElement().getTextContent();
        assertTrue(text.contains("a&b") && text.contains("<c>") && text.contains("VS <per> strategy"), text);
    }

    @Test
    void bars_valuesAboveOne_extendTheAxis() throws Exception {
        SvgChart.Stat[][] v = {{new SvgChart.Stat(3.0, 2.0, 4.2)}};
        Document d = parse(SvgChart.bars("rounds", List.of("s"), List.of("m"), v));
        // axis 0..5: mean 3 is 3/5 of 170
        assertEquals(102.0, Double.parseDouble(withClass(d, "rect", "bar").get(0).getAttribute("height")), 0.05);
        assertEquals(5.0, SvgChart.niceCeiling(4.2));
        assertEquals(1.0, SvgChart.niceCeiling(1.0));
        assertEquals(20.0, SvgChart.niceCeiling(11));
    }

    @Test
    void scatter_onePointPerPair_insideThePlot() throws Exception {
        Random rnd = new Random(3);
        List<SvgChart.Point> pts = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            pts.add(new SvgChart.Point(rnd.nextDouble(), rnd.nextDouble() * 1.5, "task<" + i + ">"));
        }
        Document d = parse(SvgChart.scatter("ritl: codebleu vs vs_corrected", "Pearson 0.410", "codebleu", "vs_corrected", pts));
        List<Element> circles = withClass(d, "circle", "pt");
        assertEquals(25, circles.size());
        for (Element c : circles) {
            double cx = Double.parseDouble(c.getAttribute("cx"));
            double cy = Double.parseDouble(c.getAttribute("cy"));
            assertTrue(cx >= 50 && cx <= 320 && cy >= 46 && cy <= 246, cx + "," + cy);
        }
        // the point with the largest x is at the right edge
        int maxI = 0;
        for (int i = 1; i < pts.size(); i++) {
            maxI = pts.get(i).x() > pts.get(maxI).x() ? i : maxI;
        }
        double xmax = Math.max(1, pts.get(maxI).x());
        assertEquals(50 + 270 * pts.get(maxI).x() / xmax, Double.parseDouble(circles.get(maxI).getAttribute("cx")), 0.06);
        assertTrue(d.getDocumentElement().getTextContent().contains("task<3>"));
    }

    private static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<Element> withClass(Document d, String tag, String cls) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = d.getElementsByTagName(tag);
        for (int i = 0; i < nodes.getLength(); i++) {
            Element e = (Element) nodes.item(i);
            if (cls.equals(e.getAttribute("class"))) {
                out.add(e);
            }
        }
        return out;
    }
}
