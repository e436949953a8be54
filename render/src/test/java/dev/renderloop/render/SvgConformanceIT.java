package dev.renderloop.render;

/**
 * The renderer contract for {@link SvgRenderer}. JSVG runs in-process, so nothing outside the JVM is
 * needed; the class is an {@code *IT} because the conformance suite renders for real.
 */
class SvgConformanceIT extends RendererConformance {
    @Override
    protected Renderer newRenderer() {
        return new SvgRenderer();
    }

    @Override
    protected String validCode() {
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 100\">"
                + "<circle cx=\"50\" cy=\"50\" r=\"40\" fill=\"orange\" stroke=\"black\" stroke-width=\"3\"/></svg>";
    }

    @Override
    protected String otherValidCode() {
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 100\">"
                + "<polygon points=\"50,5 95,95 5,95\" fill=\"navy\"/></svg>";
    }

    @Override
    protected String invalidCode() {
        return "<svg xmlns=\"http://www.w3.org/2000/svg\"><circle cx=\"50\" cy=\"50\" r=\"40\"></svg>";
    }

    @Override
    protected ErrorKind invalidKind() {
        return ErrorKind.SYNTAX_ERROR;
    }
}
