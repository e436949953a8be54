package dev.renderloop.score;

import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * The visual similarity of a candidate video to a reference video, as named metrics.
 *
 * <p>Metrics, in this order:
 * <ul>
 *   <li>{@code vs_paper_ssim}: the published SSIM part (DTW between the row-maximum and column-maximum
 *       profiles of the frame SSIM matrix, {@code exp(-5 d)});</li>
 *   <li>{@code vs_paper_clip}: the published CLIP part ({@code exp(-c)}); unavailable without an image embedder;</li>
 *   <li>{@code vs_paper}: {@code sqrt(vs_paper_ssim * vs_paper_clip)}, the published VS; unavailable with the CLIP part;</li>
 *   <li>{@code vs_corrected_ssim}: DTW over the cost {@code 1 - M[i][j]} itself, {@code exp(-5 d)};</li>
 *   <li>{@code vs_corrected_clip}: equal to {@code vs_paper_clip} (that part already aligns pairwise costs);</li>
 *   <li>{@code vs_corrected}: {@code sqrt(vs_corrected_ssim * vs_corrected_clip)};</li>
 *   <li>{@code mean_frame_ssim}: the mean SSIM of the frame pairs on the corrected alignment (diagnostic).</li>
 * </ul>
 *
 * @param metrics          the metrics above, never empty
 * @param referenceFrames  number of reference frames compared (0 for a failed render)
 * @param candidateFrames  number of candidate frames compared (0 for a failed render)
 */
public record VideoScore(List<Metric> metrics, int referenceFrames, int candidateFrames) {

    public VideoScore {
        metrics = List.copyOf(metrics);
        if (metrics.isEmpty()) {
            throw new IllegalArgumentException("a video score needs at least one metric");
        }
    }

    /**
     * The metric with this name.
     *
     * @throws NoSuchElementException when there is none
     */
    public Metric metric(String name) {
        Objects.requireNonNull(name, "name");
        for (Metric m : metrics) {
            if (m.name().equals(name)) {
                return m;
            }
        }
        throw new NoSuchElementException("no metric '" + name + "' in " + metrics);
    }
}
