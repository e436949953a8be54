package dev.renderloop.render;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import org.openscience.cdk.depict.DepictionGenerator;
import org.openscience.cdk.interfaces.IAtomContainer;

/**
 * Depicts a SMILES string in-process with the Chemistry Development Kit: a 2D structure diagram of
 * exactly the requested size on white, heteroatoms in CPK colours, centred. Bonds are drawn at
 * {@link #ZOOM} times CDK's standard length, the same for every molecule (small molecules are not
 * blown up to fill the image); molecules too large for that are shrunk to fit.
 *
 * <p>The code is one SMILES string on one line; surrounding whitespace is ignored. Unparseable SMILES
 * is {@link ErrorKind#SYNTAX_ERROR} with CDK's message (it points at the offending character).
 *
 * <p>Limits: inputs over 1 MiB are {@link ErrorKind#BAD_INPUT} as for every renderer; molecules over
 * {@link #MAX_ATOMS} atoms too, because 2D layout time grows quickly with size and a 400-pixel picture
 * of thousands of atoms shows nothing. The render runs under the request's timeout on a daemon thread
 * ({@link InProcessDrawing}); CDK's layout cannot be interrupted, so an abandoned render finishes its
 * current step, sees the deadline and stops before drawing.
 *
 * <p>Deterministic: CDK's layout has no randomness and the font is fixed (the JDK's logical SansSerif),
 * so the same SMILES gives identical pixels on the same machine. Thread-safe.
 */
final class SmilesRenderer implements Renderer {
    static final String DOMAIN = "smiles";
    /** Bump when this class changes how the same SMILES looks (part of the cache key). */
    static final int REVISION = 1;
    static final int MAX_INPUT_BYTES = 1 << 20;
    /**
     * CDK's standard bond length leaves a drug-sized molecule a small figure in a 400-pixel square;
     * twice that fills it about as RDKit's depictions do. Molecules that would not fit are still shrunk.
     */
    static final double ZOOM = 2.0;
    /** Largest molecule depicted (atoms including explicit hydrogens). */
    static final int MAX_ATOMS = 1000;

    private final InProcessDrawing drawing = new InProcessDrawing(DOMAIN, MAX_INPUT_BYTES);

    SmilesRenderer() {
    }

    @Override
    public String domain() {
        return DOMAIN;
    }

    @Override
    public Availability availability() {
        return Availability.yes("CDK " + Molecules.cdkVersion() + " (in-process)");
    }

    @Override
    public String version() {
        // CDK draws through Java2D, so the JDK is part of what the pixels depend on.
        return "cdk:" + Molecules.cdkVersion() + "|smiles-renderer:" + REVISION + "|java:" + Runtime.version();
    }

    @Override
    public RenderResult render(RenderRequest request, Path outputDir) {
        return drawing.render(request, outputDir, SmilesRenderer::draw);
    }

    /** Parses, lays out and draws one molecule; runs on a render thread. */
    static InProcessDrawing.Drawn draw(String code, RenderSettings settings, long deadlineNanos) throws Exception {
        Molecules.Parsed parsed = Molecules.read(code);
        if (parsed.error() != null) {
            return InProcessDrawing.Drawn.failure(ErrorKind.SYNTAX_ERROR, parsed.error());
        }
        IAtomContainer molecule = parsed.molecule();
        if (molecule.getAtomCount() > MAX_ATOMS) {
            return InProcessDrawing.Drawn.failure(ErrorKind.BAD_INPUT, "the molecule has " + molecule.getAtomCount()
                    + " atoms; at most " + MAX_ATOMS + " are depicted");
        }
        int w = settings.width();
        int h = settings.height();
        BufferedImage depiction = new DepictionGenerator()
                .withSize(w, h)
                .withZoom(ZOOM)
                .withAtomColors()
                .withBackgroundColor(Color.WHITE)
                .depict(molecule)
                .toImg();
        if (System.nanoTime() - deadlineNanos > 0) {
            return InProcessDrawing.Drawn.failure(ErrorKind.TIMEOUT, "the render passed its deadline");
        }
        // CDK's raster is w x h already; drawing it onto our own RGB canvas makes the size and the
        // opaque white background a guarantee rather than a property of the CDK version.
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.drawImage(depiction, (w - depiction.getWidth()) / 2, (h - depiction.getHeight()) / 2, null);
        } finally {
            g.dispose();
        }
        return InProcessDrawing.Drawn.image(image);
    }

    @Override
    public void close() {
        drawing.close();
    }
}
