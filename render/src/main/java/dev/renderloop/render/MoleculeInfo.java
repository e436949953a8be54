package dev.renderloop.render;

import java.util.BitSet;
import java.util.Objects;

/**
 * What a SMILES string means, for chemistry scores: whether it parses, its canonical form and its
 * fingerprint. Made by {@link Molecules#parse(String)}.
 *
 * <p>Two SMILES strings denote the same molecule exactly when their canonical SMILES are equal
 * (constitution only: stereochemistry and isotopes are not compared, see {@link Molecules}). The fingerprint is ECFP4 folded to
 * {@value Molecules#FINGERPRINT_BITS} bits; compare two with {@link Molecules#tanimoto(BitSet, BitSet)}.
 *
 * <p>Immutable: the fingerprint is copied in and out.
 *
 * @param valid           whether the SMILES parsed into a molecule
 * @param canonicalSmiles CDK's canonical SMILES when valid, else null
 * @param fingerprint     the ECFP4 bits when valid, else null
 * @param error           why it is not valid (CDK's message), else null
 */
public record MoleculeInfo(boolean valid, String canonicalSmiles, BitSet fingerprint, String error) {

    public MoleculeInfo {
        if (valid) {
            Objects.requireNonNull(canonicalSmiles, "canonicalSmiles of a valid molecule");
            Objects.requireNonNull(fingerprint, "fingerprint of a valid molecule");
            if (error != null) {
                throw new IllegalArgumentException("a valid molecule has no error, got: " + error);
            }
            fingerprint = (BitSet) fingerprint.clone();
        } else {
            if (error == null || error.isBlank()) {
                throw new IllegalArgumentException("an invalid molecule needs an error message");
            }
            if (canonicalSmiles != null || fingerprint != null) {
                throw new IllegalArgumentException("an invalid molecule has no canonical SMILES or fingerprint");
            }
        }
    }

    /** A molecule that parsed. */
    public static MoleculeInfo of(String canonicalSmiles, BitSet fingerprint) {
        return new MoleculeInfo(true, canonicalSmiles, fingerprint, null);
    }

    /** A SMILES string that did not parse, with the reason. */
    public static MoleculeInfo invalid(String error) {
        return new MoleculeInfo(false, null, null, error);
    }

    /** A copy of the fingerprint (null when invalid): the record stays immutable. */
    @Override
    public BitSet fingerprint() {
        return fingerprint == null ? null : (BitSet) fingerprint.clone();
    }
}
