package dev.renderloop.render;

import java.util.BitSet;
import java.util.Objects;
import org.openscience.cdk.CDK;
import org.openscience.cdk.exception.CDKException;
import org.openscience.cdk.exception.InvalidSmilesException;
import org.openscience.cdk.fingerprint.CircularFingerprinter;
import org.openscience.cdk.interfaces.IAtomContainer;
import org.openscience.cdk.silent.SilentChemObjectBuilder;
import org.openscience.cdk.smiles.SmiFlavor;
import org.openscience.cdk.smiles.SmilesGenerator;
import org.openscience.cdk.smiles.SmilesParser;

/**
 * Chemistry for scores over SMILES answers, with the Chemistry Development Kit (CDK): parse a SMILES
 * string into its canonical form and fingerprint, and compare fingerprints.
 *
 * <p><b>Canonical SMILES</b>: CDK's {@link SmiFlavor#Canonical} (unique atom order, aromaticity
 * normalised), so {@code OCC}, {@code C(O)C} and {@code CCO} are the same molecule. Stereochemistry
 * and isotopes are not part of it: CDK canonicalises those ({@link SmiFlavor#Absolute}) only through
 * InChI numbering, which needs the {@code cdk-inchi} module and its native InChI library; this
 * in-process, pure-Java build leaves them out, so enantiomers and isotopologues compare as equal.
 *
 * <p><b>Fingerprint</b>: ECFP4 ({@link CircularFingerprinter#CLASS_ECFP4}: circular atom
 * environments of diameter 4) folded to {@value #FINGERPRINT_BITS} bits. Chosen over MACCS because
 * ECFP4 is the usual standard for molecular similarity (and the one most published SMILES-generation
 * rewards report), it describes every atom environment rather than 166 predefined keys, so it
 * separates close analogues better, and CDK computes it without SMARTS matching. Stereochemistry is not
 * encoded in it: use the canonical SMILES for exact identity.
 *
 * <p>Thread-safe: every call builds its own CDK objects (CDK's parsers and fingerprinters keep
 * per-call state).
 */
public final class Molecules {
    /** Length of the folded ECFP4 fingerprint. */
    public static final int FINGERPRINT_BITS = 2048;

    private Molecules() {
    }

    /** The CDK version in render/pom.xml; MoleculesTest checks it against the jars on the class path. */
    static final String CDK_BUILT_AGAINST = "2.12";

    /** The CDK version on the class path (the version built against when a repackaged jar hides it). */
    public static String cdkVersion() {
        String v = CDK.getVersion();
        return v == null || v.isBlank() ? CDK_BUILT_AGAINST : v;
    }

    /**
     * Parses one SMILES string (surrounding whitespace ignored; it must be a single line).
     *
     * @return the canonical SMILES and ECFP4 fingerprint, or {@link MoleculeInfo#invalid} with CDK's
     *     message; never null
     * @throws NullPointerException if {@code smiles} is null
     */
    public static MoleculeInfo parse(String smiles) {
        Parsed parsed = read(smiles);
        if (parsed.error() != null) {
            return MoleculeInfo.invalid(parsed.error());
        }
        try {
            String canonical = new SmilesGenerator(SmiFlavor.Canonical).create(parsed.molecule());
            BitSet bits = new CircularFingerprinter(CircularFingerprinter.CLASS_ECFP4, FINGERPRINT_BITS)
                    .getBitFingerprint(parsed.molecule()).asBitSet();
            return MoleculeInfo.of(canonical, bits);
        } catch (CDKException | RuntimeException e) {
            return MoleculeInfo.invalid("CDK could not canonicalise or fingerprint the molecule: " + e.getMessage());
        }
    }

    /**
     * Tanimoto (Jaccard) similarity of two fingerprints: {@code |a AND b| / |a OR b|}, in [0, 1].
     *
     * <p>Two empty fingerprints are identical sets, so their similarity is defined as 1.0 (the limit of
     * identical sets, and what keeps {@code tanimoto(x, x) == 1} for every {@code x}). An empty and a
     * non-empty fingerprint have similarity 0. Callers that must not reward "both empty" should check
     * {@link MoleculeInfo#valid()} and the molecule itself first.
     *
     * @throws NullPointerException if either is null
     */
    public static double tanimoto(BitSet a, BitSet b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        BitSet union = (BitSet) a.clone();
        union.or(b);
        int unionCount = union.cardinality();
        if (unionCount == 0) {
            return 1.0;
        }
        BitSet intersection = (BitSet) a.clone();
        intersection.and(b);
        return (double) intersection.cardinality() / unionCount;
    }

    /**
     * A parsed molecule, or why the SMILES did not parse.
     *
     * @param molecule the molecule (implicit hydrogens set, Kekulé form), null on error
     * @param error    CDK's message, or null
     */
    record Parsed(IAtomContainer molecule, String error) {
        Parsed {
            if ((molecule == null) == (error == null)) {
                throw new IllegalArgumentException("exactly one of molecule and error must be set");
            }
        }
    }

    /** Parses one trimmed, single-line SMILES string; shared by {@link #parse} and {@link SmilesRenderer}. */
    static Parsed read(String smiles) {
        Objects.requireNonNull(smiles, "smiles");
        String s = smiles.strip();
        if (s.isEmpty()) {
            return new Parsed(null, "the SMILES string is empty");
        }
        long lines = s.lines().count();
        if (lines > 1) {
            return new Parsed(null, "a SMILES string is a single line; this one has " + lines
                    + " lines (give one molecule; use '.' to separate disconnected parts)");
        }
        try {
            IAtomContainer molecule = new SmilesParser(SilentChemObjectBuilder.getInstance()).parseSmiles(s);
            if (molecule.getAtomCount() == 0) {
                return new Parsed(null, "the SMILES string has no atoms");
            }
            return new Parsed(molecule, null);
        } catch (InvalidSmilesException e) {
            return new Parsed(null, e.getMessage() == null ? "invalid SMILES" : e.getMessage());
        }
    }
}
