package dev.renderloop.render;

/** The renderer contract, for LaTeX/TikZ (Debian texlive + poppler) on the warm worker. */
class TikzConformanceIT extends RendererConformance {
    @Override
    protected Renderer newRenderer() {
        return new MatplotlibConformanceIT.DelegatingRenderer(TestEngines.plain(2), "tikz");
    }

    @Override
    protected boolean exactSize() {
        return false;  // the page's own size at 300 dpi, bounded by the settings
    }

    @Override
    protected String validCode() {
        return "\\begin{tikzpicture}\\draw[thick,blue] (0,0) circle (1);\\end{tikzpicture}";
    }

    @Override
    protected String otherValidCode() {
        return "\\draw[fill=red] (0,0) rectangle (2,1);";
    }

    @Override
    protected String invalidCode() {
        return "\\begin{tikzpicture}\\drawx (0,0) -- (1,1);\\end{tikzpicture}";
    }

    @Override
    protected ErrorKind invalidKind() {
        return ErrorKind.RUNTIME_ERROR;
    }
}
