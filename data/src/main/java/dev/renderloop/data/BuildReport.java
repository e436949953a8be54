package dev.renderloop.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a build produced, also written as {@code OUT/report.json} and summarised in the dataset card.
 *
 * @param out                  the dataset folder
 * @param sources              the sources with their licences
 * @param domains              per domain: programs, renders, dedup, pairs per task
 * @param referenceRejections  per domain, why reference programs were dropped (render error kinds, duplicate kinds)
 * @param defectKinds          per domain and defect kind: tried, kept (error / visible), rejected
 * @param defectRejections     per domain, why defects were rejected
 * @param apiNames             per Python domain, how many installed-API names the name defects drew from, or why none
 * @param pairs                training rows written (all three tasks)
 * @param rendersNow           renders made by this invocation (a resumed build renders only what was missing)
 * @param wallMillis           this invocation's wall time
 * @param command              the command that made the dataset
 */
public record BuildReport(Path out, List<Source> sources, Map<String, DomainCounts> domains,
                          Map<String, Map<String, Integer>> referenceRejections,
                          Map<String, Map<String, KindCounts>> defectKinds, Map<String, Map<String, Integer>> defectRejections,
                          Map<String, String> apiNames, int pairs, int rendersNow, long wallMillis, String command) {

    /** A source and its licence. */
    public record Source(String name, String licence, int programs) {
    }

    /**
     * One domain's counts.
     *
     * @param programs     reference programs read
     * @param rendered     of those, rendered
     * @param kept         rendered and no duplicate
     * @param textToCode   text-to-code rows (kept programs with a description)
     * @param imageToCode  image-to-code rows (kept programs of still-image domains)
     * @param optimisation visual-code-optimisation rows (kept defects)
     */
    public record DomainCounts(int programs, int rendered, int kept, int textToCode, int imageToCode, int optimisation) {
    }

    /** One defect kind's counts in a domain. */
    public record KindCounts(int tried, int keptError, int keptVisible, int rejected) {
        KindCounts plus(String verdict) {
            return new KindCounts(tried + 1, keptError + (verdict.equals(KEPT_ERROR) ? 1 : 0),
                    keptVisible + (verdict.equals(KEPT_VISIBLE) ? 1 : 0), rejected + (verdict.startsWith("kept") ? 0 : 1));
        }
    }

    static final String KEPT_ERROR = "kept_error";
    static final String KEPT_VISIBLE = "kept_visible";

    /** Training rows written per second by this invocation ({@code pairs / wall time}; a resumed build reads as faster). */
    public double pairsPerSecond() {
        return wallMillis == 0 ? 0 : pairs * 1000.0 / wallMillis;
    }
}
