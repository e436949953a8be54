package dev.renderloop.policy;

/**
 * A synthetic defect seeded into reference code by the oracle policy, to exercise metrics and the repair loop.
 *
 * @param kind   what was broken
 * @param line   1-based line of the change
 * @param before the text replaced
 * @param after  the text put in its place (empty for a removed line)
 */
public record Defect(Kind kind, int line, String before, String after) {

    /** The defect kinds, each a mistake language models make. */
    public enum Kind {
        /** A misspelt API name (a hallucinated class or function). Fails to render. */
        API_TYPO,
        /** A keyword argument the API does not take. Fails to render. */
        WRONG_KEYWORD,
        /** An import line removed. Fails to render. */
        REMOVED_IMPORT,
        /** One colour constant replaced by another. Renders, looks wrong. */
        WRONG_COLOUR,
        /** A called name replaced by a plausible name that the installed API does not have (a hallucination). */
        API_RENAME,
        /** A called name replaced by another, similarly spelt name that the installed API does have. */
        API_SWAP,
        /** One argument of a call (Python) or one attribute of an element (markup) removed. */
        MISSING_ARGUMENT,
        /** One numeric argument changed to a clearly different value. */
        WRONG_ARGUMENT,
        /** Two different colours of the program exchanged. */
        SWAPPED_COLOURS,
        /** Positions exchanged: a direction constant reversed, or two elements' coordinates swapped. */
        SWAPPED_POSITIONS,
        /** One drawing statement (a line, an element, a TikZ path) removed. */
        REMOVED_STATEMENT,
        /** A count one off: an integer literal (a range bound, a loop list's end, a count argument) +- 1. */
        OFF_BY_ONE,
        /** An SVG/HTML numeric attribute (size, position, radius, stroke width) perturbed. */
        SVG_ATTRIBUTE,
        /** One coordinate of an SVG path's {@code d} data moved. */
        SVG_PATH,
        /** One atom of a SMILES string replaced by another element. */
        SMILES_ATOM,
        /** One bond of a SMILES string changed: a double bond made single, a single one double, or a ring bond cut. */
        SMILES_BOND
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(java.util.Locale.ROOT) + " at line " + line + ": '" + before + "' -> '" + after + "'";
    }
}
