package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

/** Canonical SMILES, ECFP4 fingerprints and Tanimoto similarity. */
class MoleculesTest {

    @Test
    void parse_sameMoleculeWrittenTwoWays_hasOneCanonicalSmilesAndTanimotoOne() {
        MoleculeInfo a = Molecules.parse("OCC");
        MoleculeInfo b = Molecules.parse("C(O)C");
        assertTrue(a.valid() && b.valid());
        assertEquals(a.canonicalSmiles(), b.canonicalSmiles());
        assertEquals(a.canonicalSmiles(), Molecules.parse("CCO").canonicalSmiles());
        assertEquals(a.fingerprint(), b.fingerprint());
        assertEquals(1.0, Molecules.tanimoto(a.fingerprint(), b.fingerprint()));
    }

    @Test
    void parse_aromaticAndKekuleForms_areTheSameMolecule() {
        String benzene = Molecules.parse("c1ccccc1").canonicalSmiles();
        assertEquals(benzene, Molecules.parse("C1=CC=CC=C1").canonicalSmiles());
        assertEquals(benzene, Molecules.parse("C=1C=CC=CC1").canonicalSmiles());
        String toluene = Molecules.parse("Cc1ccccc1").canonicalSmiles();
        assertEquals(toluene, Molecules.parse("c1ccc(C)cc1").canonicalSmiles());
        assertEquals(1.0, Molecules.tanimoto(Molecules.parse("Cc1ccccc1").fingerprint(), Molecules.parse("C1=CC=C(C)C=C1").fingerprint()));
    }

    @Test
    void parse_caffeineFromTwoSources_isOneMolecule() {
        // PubChem's and a hand-written ordering of caffeine.
        MoleculeInfo pubchem = Molecules.parse("CN1C=NC2=C1C(=O)N(C(=O)N2C)C");
        MoleculeInfo other = Molecules.parse("O=C1N(C)C(=O)c2n(C)cnc2N1C");
        assertEquals(pubchem.canonicalSmiles(), other.canonicalSmiles());
        assertEquals(1.0, Molecules.tanimoto(pubchem.fingerprint(), other.fingerprint()));
    }

    @Test
    void tanimoto_differentMolecules_isBelowOne_andCloserAnaloguesScoreHigher() {
        BitSet ethanol = Molecules.parse("CCO").fingerprint();
        BitSet propanol = Molecules.parse("CCCO").fingerprint();
        BitSet benzene = Molecules.parse("c1ccccc1").fingerprint();
        double close = Molecules.tanimoto(ethanol, propanol);
        double far = Molecules.tanimoto(ethanol, benzene);
        assertTrue(close < 1.0 && close > 0.0, "ethanol/propanol " + close);
        assertTrue(far < close, "ethanol/benzene " + far);
        BitSet aspirin = Molecules.parse("CC(=O)OC1=CC=CC=C1C(=O)O").fingerprint();
        BitSet salicylicAcid = Molecules.parse("OC(=O)c1ccccc1O").fingerprint();
        BitSet caffeine = Molecules.parse("CN1C=NC2=C1C(=O)N(C(=O)N2C)C").fingerprint();
        assertTrue(Molecules.tanimoto(aspirin, salicylicAcid) > Molecules.tanimoto(aspirin, caffeine));
        assertTrue(Molecules.tanimoto(aspirin, salicylicAcid) < 1.0);
        assertNotEquals(Molecules.parse("CCO").canonicalSmiles(), Molecules.parse("CCCO").canonicalSmiles());
    }

    @Test
    void tanimoto_isSymmetricAndDefinedForEmptySets() {
        BitSet a = new BitSet();
        a.set(1);
        a.set(5);
        BitSet b = new BitSet();
        b.set(5);
        b.set(9);
        assertEquals(1.0 / 3.0, Molecules.tanimoto(a, b), 1e-12);
        assertEquals(Molecules.tanimoto(a, b), Molecules.tanimoto(b, a));
        assertEquals(1.0, Molecules.tanimoto(new BitSet(), new BitSet()), "0/0: two empty sets are identical");
        assertEquals(0.0, Molecules.tanimoto(new BitSet(), a));
        assertThrows(NullPointerException.class, () -> Molecules.tanimoto(null, a));
    }

    @Test
    void tanimoto_doesNotModifyItsArguments() {
        BitSet a = Molecules.parse("CCO").fingerprint();
        BitSet b = Molecules.parse("CCN").fingerprint();
        BitSet aCopy = (BitSet) a.clone();
        BitSet bCopy = (BitSet) b.clone();
        Molecules.tanimoto(a, b);
        assertEquals(aCopy, a);
        assertEquals(bCopy, b);
    }

    @Test
    void parse_invalidSmiles_isInvalidWithCdksMessage() {
        MoleculeInfo bad = Molecules.parse("C1CC");
        assertFalse(bad.valid());
        assertNull(bad.canonicalSmiles());
        assertNull(bad.fingerprint());
        assertTrue(bad.error().contains("Unclosed ring"), bad.error());
        assertFalse(Molecules.parse("c1cccc1").valid(), "not kekulisable");
        assertFalse(Molecules.parse("").valid());
        assertFalse(Molecules.parse("   ").valid());
        assertFalse(Molecules.parse("CC\nCO").valid(), "one line only");
        assertThrows(NullPointerException.class, () -> Molecules.parse(null));
    }

    @Test
    void parse_surroundingWhitespace_isIgnored() {
        assertEquals(Molecules.parse("CCO").canonicalSmiles(), Molecules.parse("  CCO \n").canonicalSmiles());
    }

    @Test
    void fingerprint_isEcfp4FoldedTo2048Bits() {
        BitSet fp = Molecules.parse("CC(=O)OC1=CC=CC=C1C(=O)O").fingerprint();
        assertTrue(fp.length() <= Molecules.FINGERPRINT_BITS);
        assertTrue(fp.cardinality() > 10, "aspirin has many distinct environments: " + fp.cardinality());
    }

    @Test
    void moleculeInfo_isImmutableAndValidated() {
        MoleculeInfo info = Molecules.parse("CCO");
        info.fingerprint().clear();
        assertFalse(info.fingerprint().isEmpty(), "the accessor hands out a copy");
        BitSet bits = new BitSet();
        bits.set(3);
        MoleculeInfo made = MoleculeInfo.of("C", bits);
        bits.clear();
        assertTrue(made.fingerprint().get(3), "the constructor takes a copy");
        assertThrows(IllegalArgumentException.class, () -> new MoleculeInfo(false, null, null, " "));
        assertThrows(IllegalArgumentException.class, () -> new MoleculeInfo(false, "C", null, "bad"));
        assertThrows(NullPointerException.class, () -> new MoleculeInfo(true, null, new BitSet(), null));
        assertThrows(IllegalArgumentException.class, () -> new MoleculeInfo(true, "C", new BitSet(), "error"));
    }
}
