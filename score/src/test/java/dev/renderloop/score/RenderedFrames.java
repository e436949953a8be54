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

/** Frames rendered with Java2D: anti-aliased shapes moving on a light background, and a caption (as cli's perf score). */
final class RenderedFrames {
    private RenderedFrames() {
    }

    static List<Picture> video(Random rnd, int n, int width, int height) {
        int shapes = 6;
        double[][] s = new double[shapes][];
        Color[] colors = new Color[shapes];
        for (int k = 0; k < shapes; k++) {
            s[k] = new double[] {rnd.nextInt(width), rnd.nextInt(height), rnd.nextGaussian() * 12, rnd.nextGaussian() * 8,
                    30 + rnd.nextInt(90), rnd.nextInt(3)};
            colors[k] = new Color(rnd.nextInt(200), rnd.nextInt(200), rnd.nextInt(200));
        }
        List<Picture> out = new ArrayList<>(n);
        for (int t = 0; t < n; t++) {
            BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(new Color(240, 240, 236));
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
}
