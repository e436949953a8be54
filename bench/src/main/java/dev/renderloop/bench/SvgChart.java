package dev.renderloop.bench;

import java.util.List;
import java.util.Locale;

/**
 * Inline SVG charts for the report: grouped bars with 95 % confidence whiskers, and scatter plots. Plain SVG
 * markup with no script and no external reference, so a report opens from disk; every label is escaped.
 */
final class SvgChart {
    /** Series colours (colour-blind-safe Okabe-Ito). */
    private static final String[] COLOURS = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"};

    /** A mean and its 95 % interval; lo and hi are NaN when the interval is unknown. */
    record Stat(double mean, double lo, double hi) {
    }

    /** One point of a scatter plot, labelled with its task id (shown as a tooltip). */
    record Point(double x, double y, String label) {
    }

    private SvgChart() {
    }

    /**
     * Grouped bars: one group per entry of {@code groups}, one bar per series in each, a whisker from lo to hi.
     * A null value draws a dashed "n/a" placeholder. The y axis runs from 0 to at least 1.
     *
     * @param values values[group][series], null where the value is not available
     */
    static String bars(String title, List<String> groups, List<String> series, Stat[][] values) {
        int left = 48;
        // wide enough for the title too: a title is never cut off at the chart's edge
        int width = Math.max(Math.max(320, 70 + groups.size() * (series.size() * 28 + 30)), left + titleWidth(title) + 10);
        int height = 260;
        int top = 30;
        int plotH = 170;
        double max = 1.0;
        for (Stat[] row : values) {
            for (Stat s : row) {
                if (s != null) {
                    max = Math.max(max, Double.isNaN(s.hi()) ? s.mean() : Math.max(s.hi(), s.mean()));
                }
            }
        }
        max = niceCeiling(max);
        StringBuilder b = open(width, height, title);
        b.append(text(left, 18, "start", "title", title));
        axisY(b, left, top, plotH, width - 10, 0, max);
        int x = left + 15;
        for (int g = 0; g < groups.size(); g++) {
            int groupStart = x;
            for (int s = 0; s < series.size(); s++) {
                Stat v = values[g][s];
                String colour = COLOURS[s % COLOURS.length];
                if (v == null || Double.isNaN(v.mean())) {
                    b.append(String.format(Locale.ROOT,
                            "<rect class=\"na\" x=\"%d\" y=\"%d\" width=\"22\" height=\"%d\" fill=\"none\" stroke=\"#999\" stroke-dasharray=\"3,2\"><title>%s</title></rect>",
                            x, top + plotH - 20, 20, HtmlText.escape(groups.get(g) + " " + series.get(s) + ": n/a")));
                    b.append(text(x + 11, top + plotH - 6, "middle", "small", "n/a"));
                } else {
                    double y = top + plotH * (1 - clamp(v.mean() / max));
                    String tip = groups.get(g) + " " + series.get(s) + ": " + HtmlText.number(v.mean())
                            + (Double.isNaN(v.lo()) ? "" : " [" + HtmlText.number(v.lo()) + ", " + HtmlText.number(v.hi()) + "]");
                    b.append(String.format(Locale.ROOT,
                            "<rect class=\"bar\" x=\"%d\" y=\"%.1f\" width=\"22\" height=\"%.1f\" fill=\"%s\"><title>%s</title></rect>",
                            x, y, top + plotH - y, colour, HtmlText.escape(tip)));
                    if (!Double.isNaN(v.lo()) && !Double.isNaN(v.hi())) {
                        double ylo = top + plotH * (1 - clamp(v.lo() / max));
                        double yhi = top + plotH * (1 - clamp(v.hi() / max));
                        b.append(String.format(Locale.ROOT,
                                "<path class=\"whisker\" d=\"M%d %.1fV%.1fM%d %.1fH%dM%d %.1fH%d\" stroke=\"#222\" stroke-width=\"1.2\" fill=\"none\"/>",
                                x + 11, ylo, yhi, x + 5, ylo, x + 17, x + 5, yhi, x + 17));
                    }
                }
                x += 28;
            }
            b.append(text((groupStart + x - 6) / 2, top + plotH + 16, "middle", "label", groups.get(g)));
            x += 30;
        }
        int ly = height - 28;
        int lx = left;
        for (int s = 0; s < series.size(); s++) {
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>", lx, ly, COLOURS[s % COLOURS.length]));
            b.append(text(lx + 14, ly + 9, "start", "small", series.get(s)));
            lx += 24 + 7 * series.get(s).length();
        }
        b.append(text(left, height - 6, "start", "small", "whiskers: 95 % confidence interval"));
        return b.append("</svg>").toString();
    }

    /**
     * A scatter plot of points (x, y) with a caption line under the title (e.g. the correlation coefficients).
     * Axes span the data with a margin, and always include [0, 1] since the metrics shown are mostly fractions.
     */
    static String scatter(String title, String caption, String xLabel, String yLabel, List<Point> points) {
        int left = 50;
        int width = Math.max(340, left + Math.max(titleWidth(title), (int) Math.ceil(caption.length() * 6.2)) + 10);
        int height = 300;
        int top = 46;
        int plotW = 270;
        int plotH = 200;
        double xmin = 0;
        double xmax = 1;
        double ymin = 0;
        double ymax = 1;
        for (Point p : points) {
            xmin = Math.min(xmin, p.x());
            xmax = Math.max(xmax, p.x());
            ymin = Math.min(ymin, p.y());
            ymax = Math.max(ymax, p.y());
        }
        StringBuilder b = open(width, height, title);
        b.append(text(left, 16, "start", "title", title));
        b.append(text(left, 32, "start", "small", caption));
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>", left, top, plotW, plotH));
        for (int i = 0; i <= 4; i++) {
            double fx = xmin + (xmax - xmin) * i / 4;
            double fy = ymin + (ymax - ymin) * i / 4;
            int px = left + plotW * i / 4;
            int py = top + plotH - plotH * i / 4;
            b.append(text(px, top + plotH + 14, "middle", "small", tick(fx)));
            b.append(text(left - 4, py + 4, "end", "small", tick(fy)));
        }
        b.append(text(left + plotW / 2, height - 8, "middle", "label", xLabel));
        b.append(String.format(Locale.ROOT, "<text class=\"label\" transform=\"translate(12 %d) rotate(-90)\" text-anchor=\"middle\">%s</text>",
                top + plotH / 2, HtmlText.escape(yLabel)));
        for (Point p : points) {
            double px = left + plotW * (p.x() - xmin) / (xmax - xmin);
            double py = top + plotH - plotH * (p.y() - ymin) / (ymax - ymin);
            b.append(String.format(Locale.ROOT,
                    "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#0072B2\" fill-opacity=\"0.75\"><title>%s</title></circle>",
                    px, py, HtmlText.escape(p.label() + ": (" + HtmlText.number(p.x()) + ", " + HtmlText.number(p.y()) + ")")));
        }
        if (points.isEmpty()) {
            b.append(text(left + plotW / 2, top + plotH / 2, "middle", "label", "no pairs with both values"));
        }
        return b.append("</svg>").toString();
    }

    /** Width in pixels that a title takes at the charts' 12 px bold sans-serif (a generous 7.5 px per character). */
    static int titleWidth(String title) {
        return (int) Math.ceil(title.length() * 7.5);
    }

    private static StringBuilder open(int width, int height, String title) {
        return new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">",
                width, height, width, height, HtmlText.escape(title)));
    }

    private static void axisY(StringBuilder b, int left, int top, int plotH, int right, double min, double max) {
        for (int i = 0; i <= 4; i++) {
            double v = min + (max - min) * i / 4;
            int y = top + plotH - plotH * i / 4;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>", left, y, right, y));
            b.append(text(left - 4, y + 4, "end", "small", tick(v)));
        }
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>", left, top, left, top + plotH));
    }

    private static String text(int x, int y, String anchor, String cls, String content) {
        return String.format(Locale.ROOT, "<text class=\"%s\" x=\"%d\" y=\"%d\" text-anchor=\"%s\">%s</text>", cls, x, y, anchor, HtmlText.escape(content));
    }

    private static String tick(double v) {
        return Math.abs(v - Math.rint(v)) < 1e-9 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static double clamp(double f) {
        return Math.max(0, Math.min(1, f));
    }

    /** 1, 2, 5 x 10^k at or above v (v > 0). */
    static double niceCeiling(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v - 1e-12) {
                return m * p;
            }
        }
        return 10 * p;
    }
}
