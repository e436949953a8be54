package dev.renderloop.score;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Pictures drawn with Java2D, seeded, for measuring and testing the metrics without a renderer: a video of
 * anti-aliased shapes moving on a light background (as a Manim scene at 5 fps looks to the metric) and a chart-like
 * still. Used by {@code renderloop perf score} and the score tests, so that both measure the same workload.
 */
public final class SyntheticFrames {
    private SyntheticFrames() {
    }

    /** Moving, anti-aliased shapes on a light background, as a Manim scene at 5 fps looks to the metric. */
    public static List<Picture> video(Random rnd, int n, int width, int height) {
        int shapes = 6;
        double[][] s = new double[shapes][];
        Color[] colors = new Color[shapes];
        for (int k = 0; k < shapes; k++) {
            // x, y, vx, vy, size, kind
            s[k] = new double[] {rnd.nextInt(width), rnd.nextInt(height), rnd.nextGaussian() * 12, rnd.nextGaussian() * 8,
                    30 + rnd.nextInt(90), rnd.nextInt(3)};
            colors[k] = new Color(rnd.nextInt(200), rnd.nextInt(200), rnd.nextInt(200));
        }
        Color background = new Color(235 + rnd.nextInt(20), 235 + rnd.nextInt(20), 235 + rnd.nextInt(20));
        List<Picture> out = new ArrayList<>(n);
        for (int t = 0; t < n; t++) {
            BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(background);
            g.fillRect(0, 0, width, height);
            for (int k = 0; k < shapes; k++) {
                int x = Math.floorMod((long) (s[k][0] + s[k][2] * t), width);
                int y = Math.floorMod((long) (s[k][1] + s[k][3] * t), height);
                int size = (int) s[k][4];
                g.setColor(colors[k]);
                switch ((int) s[k][5]) {
                    case 0 -> g.fillOval(x, y, size, size);
                    case 1 -> g.fillRect(x, y, size, size / 2);
                    default -> {
                        g.setStroke(new BasicStroke(4));
                        g.drawLine(x, y, x + size, y + size / 3);
                    }
                }
            }
            g.setColor(Color.DARK_GRAY);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 28));
            g.drawString("t = " + t, 30, 50);
            g.dispose();
            out.add(Picture.of(img));
        }
        return out;
    }

    /** A 1024x768 chart-like picture; {@code shift} moves its content, as an imperfect render would. */
    public static Picture still(Random rnd, int shift) {
        BufferedImage img = new BufferedImage(1024, 768, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 1024, 768);
        g.setColor(Color.BLACK);
        g.drawLine(80, 700, 980, 700);
        g.drawLine(80, 60, 80, 700);
        for (int i = 0; i < 12; i++) {
            int h = 50 + rnd.nextInt(560);
            g.setColor(new Color(40 + rnd.nextInt(180), 40 + rnd.nextInt(180), 40 + rnd.nextInt(180)));
            g.fillRect(100 + i * 72 + shift, 700 - h + shift / 2, 50, h - shift / 2);
        }
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 36));
        g.drawString("Quarterly figures", 300 + shift, 45);
        g.dispose();
        return Picture.of(img);
    }
}
