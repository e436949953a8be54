package dev.renderloop.data;

/**
 * How a dataset is built. Everything that changes its content is here, so a resumed build can check that it goes
 * on with the same options ({@link #fingerprint()}).
 *
 * @param seed              seeds the defects (with each program's id and the defect's index: independent of thread order)
 * @param defectsPerProgram defects tried per kept program for the optimisation task (0: none)
 * @param visibleBelow      a defect that renders is kept when the corrected visual score (VS's corrected SSIM part,
 *                          {@code exp(-5 * DTW(1 - SSIM) / n)}; for stills {@code exp(-5 (1 - SSIM))}) of its render
 *                          against the target is below this
 * @param codeJaccard       programs whose token 5-shingle sets have an estimated Jaccard similarity (MinHash, 128
 *                          hashes) at or above this are near-duplicates; the first in source order is kept
 * @param renderSsim        renders with a 64-bit difference hash within 6 bits and a grey SSIM at or above this are
 *                          near-identical; the first in source order is kept
 * @param concurrency       renders at once
 * @param samplesPerDomain  optimisation pairs shown per domain on the samples page
 */
public record BuildOptions(long seed, int defectsPerProgram, double visibleBelow, double codeJaccard, double renderSsim,
                           int concurrency, int samplesPerDomain) {
    public BuildOptions {
        require(defectsPerProgram >= 0 && defectsPerProgram <= 50, "defects per program must be in 0..50, got " + defectsPerProgram);
        require(visibleBelow > 0 && visibleBelow <= 1, "the visible-difference threshold must be in (0, 1], got " + visibleBelow);
        require(codeJaccard > 0 && codeJaccard <= 1, "the code near-duplicate threshold must be in (0, 1], got " + codeJaccard);
        require(renderSsim > 0 && renderSsim <= 1, "the render near-duplicate threshold must be in (0, 1], got " + renderSsim);
        require(concurrency >= 1, "concurrency must be >= 1, got " + concurrency);
        require(samplesPerDomain >= 0, "samples per domain must be >= 0, got " + samplesPerDomain);
    }

    /** Seed 0, 3 defects per program, visible below 0.95, code Jaccard 0.9, render SSIM 0.995, 2 renders at once, 6 samples. */
    public static BuildOptions defaults() {
        return new BuildOptions(0, 3, 0.95, 0.9, 0.995, 2, 6);
    }

    public BuildOptions withSeed(long s) {
        return new BuildOptions(s, defectsPerProgram, visibleBelow, codeJaccard, renderSsim, concurrency, samplesPerDomain);
    }

    public BuildOptions withDefectsPerProgram(int n) {
        return new BuildOptions(seed, n, visibleBelow, codeJaccard, renderSsim, concurrency, samplesPerDomain);
    }

    public BuildOptions withVisibleBelow(double v) {
        return new BuildOptions(seed, defectsPerProgram, v, codeJaccard, renderSsim, concurrency, samplesPerDomain);
    }

    public BuildOptions withCodeJaccard(double v) {
        return new BuildOptions(seed, defectsPerProgram, visibleBelow, v, renderSsim, concurrency, samplesPerDomain);
    }

    public BuildOptions withRenderSsim(double v) {
        return new BuildOptions(seed, defectsPerProgram, visibleBelow, codeJaccard, v, concurrency, samplesPerDomain);
    }

    public BuildOptions withConcurrency(int n) {
        return new BuildOptions(seed, defectsPerProgram, visibleBelow, codeJaccard, renderSsim, n, samplesPerDomain);
    }

    public BuildOptions withSamplesPerDomain(int n) {
        return new BuildOptions(seed, defectsPerProgram, visibleBelow, codeJaccard, renderSsim, concurrency, n);
    }

    /** The options that decide the content (not concurrency or the samples page), as one string. */
    String fingerprint() {
        return "seed=" + seed + " defects=" + defectsPerProgram + " visible_below=" + visibleBelow + " code_jaccard=" + codeJaccard
                + " render_ssim=" + renderSsim;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
