package dev.renderloop.bench;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Text made safe for HTML. Everything that reaches a report from a run (task descriptions, code, model answers,
 * render errors, even metric names) is untrusted: a model answer can hold markup, so it is always escaped.
 */
public final class HtmlText {
    private HtmlText() {
    }

    /** Escapes text for element content and quoted attribute values (both quote kinds are escaped). */
    public static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                // NUL and other C0 controls (except tab, newline, return) are not allowed in HTML text
                default -> {
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                        b.append('\uFFFD');
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    /**
     * A relative path (segments separated by '/') as a URL path: every byte outside the unreserved set is
     * percent-encoded, so ids with spaces, '#', '?' or '%' still link to their files.
     */
    public static String urlPath(String relativePath) {
        StringBuilder b = new StringBuilder();
        String[] segments = relativePath.split("/", -1);
        for (int s = 0; s < segments.length; s++) {
            if (s > 0) {
                b.append('/');
            }
            for (byte x : segments[s].getBytes(StandardCharsets.UTF_8)) {
                int c = x & 0xff;
                if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
                    b.append((char) c);
                } else {
                    b.append('%').append(String.format(Locale.ROOT, "%02X", c));
                }
            }
        }
        return b.toString();
    }

    /** A number for a table cell: three decimals below 100, none above (token counts, milliseconds). */
    static String number(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return String.valueOf(v);
        }
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3f", v);
    }
}
