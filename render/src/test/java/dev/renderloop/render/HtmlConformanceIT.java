package dev.renderloop.render;

import java.time.Duration;

/** The renderer contract, for the warm-Chromium html renderer. */
class HtmlConformanceIT extends RendererConformance {

    @Override
    protected Renderer newRenderer() {
        return new ChromiumRenderer();
    }

    @Override
    protected String validCode() {
        return """
                <!doctype html>
                <html><body style="margin:0;font-family:sans-serif">
                <div style="margin:40px;padding:24px;width:300px;background:#e63946;color:white;border-radius:12px">
                  <h1>Hello</h1><p>A card on a white page.</p>
                </div>
                </body></html>
                """;
    }

    @Override
    protected String otherValidCode() {
        return """
                <!doctype html>
                <table style="margin:40px;border-collapse:collapse">
                  <tr><th style="border:1px solid #333;padding:8px">Plan</th><th style="border:1px solid #333;padding:8px">Price</th></tr>
                  <tr><td style="border:1px solid #333;padding:8px">Basic</td><td style="border:1px solid #333;padding:8px;background:#457b9d">$5</td></tr>
                </table>
                """;
    }

    /** A page whose script never returns: browsers render any markup, so the failure an HTML page can have is a hang. */
    @Override
    protected String invalidCode() {
        return "<!doctype html><p>never shown</p><script>while (true) {}</script>";
    }

    @Override
    protected ErrorKind invalidKind() {
        return ErrorKind.TIMEOUT;
    }

    /** Short pages fill exactly the viewport; a shorter timeout keeps the hanging page quick. */
    @Override
    protected RenderSettings settings() {
        return RenderSettings.HTML_DEFAULTS.withTimeout(Duration.ofSeconds(3));
    }
}
