package dev.renderloop.render;

/**
 * The renderer contract for {@link SmilesRenderer}. CDK runs in-process, so nothing outside the JVM
 * is needed; the class is an {@code *IT} because the conformance suite renders for real.
 */
class SmilesConformanceIT extends RendererConformance {
    @Override
    protected Renderer newRenderer() {
        return new SmilesRenderer();
    }

    @Override
    protected String validCode() {
        return "CC(=O)OC1=CC=CC=C1C(=O)O";  // aspirin
    }

    @Override
    protected String otherValidCode() {
        return "CN1C=NC2=C1C(=O)N(C(=O)N2C)C";  // caffeine
    }

    @Override
    protected String invalidCode() {
        return "C1CC(=O";
    }

    @Override
    protected ErrorKind invalidKind() {
        return ErrorKind.SYNTAX_ERROR;
    }
}
