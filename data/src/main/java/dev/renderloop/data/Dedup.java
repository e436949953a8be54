package dev.renderloop.data;

import dev.renderloop.score.GrayImage;
import dev.renderloop.score.Picture;
import dev.renderloop.score.Ssim;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Duplicate detection, first come first kept (callers offer programs in source order).
 *
 * <p>Code: programs are cut into tokens (identifiers, numbers, single symbols; whitespace and comments dropped), so
 * a reformatted copy is an <em>exact</em> duplicate (same token sequence). Near-duplicates: token 5-shingles,
 * MinHash with 128 seeded hash functions; candidates come from LSH banding (32 bands of 4 rows: pairs with Jaccard
 * 0.9 collide with probability above 0.9999) and are confirmed when the fraction of equal MinHash values (the
 * Jaccard estimate) reaches the threshold. Renders: a 64-bit difference hash (9x8 area-averaged grey, one bit per
 * horizontal neighbour pair); candidates share one of the hash's 8 bytes (pigeonhole: a distance of 7 bits or less
 * leaves a byte equal), are within {@link #HASH_BITS} bits, and are confirmed by a grey SSIM at or above the
 * threshold on images of the same size. Only programs of the same domain are compared.
 *
 * <p>Not thread-safe: used by the build's single export pass.
 */
final class Dedup {
    static final int HASHES = 128;
    static final int BANDS = 32;
    static final int SHINGLE = 5;
    static final int HASH_BITS = 6;
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*|\\d+(?:\\.\\d+)?|\\S");
    private static final Pattern PYTHON_COMMENT = Pattern.compile("(?m)^([^#\"'\\n]*)#.*$");
    private static final Pattern MARKUP_COMMENT = Pattern.compile("<!--.*?-->", Pattern.DOTALL);
    private static final Pattern TEX_COMMENT = Pattern.compile("(?m)(?<!\\\\)%.*$");
    private static final long[] SEEDS = seeds();

    /** Why a program was dropped as a duplicate. */
    enum Reason {
        DUPLICATE_CODE_EXACT, DUPLICATE_CODE_NEAR, DUPLICATE_RENDER;

        String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final double jaccard;
    private final double ssim;
    private final Map<String, Set<String>> exact = new HashMap<>();
    private final Map<String, List<long[]>> signatures = new HashMap<>();
    private final Map<String, Map<Long, List<Integer>>> bands = new HashMap<>();
    private final Map<String, List<Long>> hashes = new HashMap<>();
    private final Map<String, List<GrayImage>> images = new HashMap<>();
    private final Map<String, Map<Integer, List<Integer>>> hashBytes = new HashMap<>();

    Dedup(double jaccard, double ssim) {
        this.jaccard = jaccard;
        this.ssim = ssim;
    }

    /**
     * Offers a program; it is remembered when it is no duplicate.
     *
     * @param render its render (the last frame), or null when there is none to compare
     * @return null when kept, else why not
     */
    Reason offer(String domain, String code, Picture render) {
        List<String> tokens = tokens(domain, code);
        String key = sha256(String.join("\u0001", tokens));
        if (exact.computeIfAbsent(domain, d -> new java.util.HashSet<>()).contains(key)) {
            return Reason.DUPLICATE_CODE_EXACT;
        }
        long[] signature = minHash(tokens);
        List<long[]> sigs = signatures.computeIfAbsent(domain, d -> new ArrayList<>());
        Map<Long, List<Integer>> buckets = bands.computeIfAbsent(domain, d -> new HashMap<>());
        Set<Integer> candidates = new LinkedHashSet<>();
        long[] bandKeys = bandKeys(signature);
        for (long b : bandKeys) {
            candidates.addAll(buckets.getOrDefault(b, List.of()));
        }
        for (int c : candidates) {
            if (estimate(signature, sigs.get(c)) >= jaccard) {
                return Reason.DUPLICATE_CODE_NEAR;
            }
        }
        GrayImage gray = null;
        long hash = 0;
        if (render != null) {
            gray = GrayImage.of(render);
            hash = differenceHash(gray);
            Set<Integer> near = new LinkedHashSet<>();
            Map<Integer, List<Integer>> byBytes = hashBytes.computeIfAbsent(domain, d -> new HashMap<>());
            for (int i = 0; i < 8; i++) {
                near.addAll(byBytes.getOrDefault(i << 8 | (int) (hash >>> (8 * i) & 0xFF), List.of()));
            }
            for (int c : near) {
                GrayImage other = images.get(domain).get(c);
                if (Long.bitCount(hash ^ hashes.get(domain).get(c)) <= HASH_BITS && other.width() == gray.width()
                        && other.height() == gray.height() && Ssim.ssim(other, gray) >= ssim) {
                    return Reason.DUPLICATE_RENDER;
                }
            }
        }
        exact.get(domain).add(key);
        int index = sigs.size();
        sigs.add(signature);
        for (long b : bandKeys) {
            buckets.computeIfAbsent(b, k -> new ArrayList<>()).add(index);
        }
        // renders are indexed by the same position; a program without a render gets a hash nobody matches
        hashes.computeIfAbsent(domain, d -> new ArrayList<>()).add(hash);
        images.computeIfAbsent(domain, d -> new ArrayList<>()).add(gray);
        if (gray != null) {
            Map<Integer, List<Integer>> byBytes = hashBytes.computeIfAbsent(domain, d -> new HashMap<>());
            for (int i = 0; i < 8; i++) {
                byBytes.computeIfAbsent(i << 8 | (int) (hash >>> (8 * i) & 0xFF), k -> new ArrayList<>()).add(index);
            }
        }
        return null;
    }

    /** The tokens of a program, comments dropped (only comments that start a line's code-free tail, to stay safe). */
    static List<String> tokens(String domain, String code) {
        String text = switch (domain) {
            case "manim", "matplotlib", "rdkit" -> PYTHON_COMMENT.matcher(code).replaceAll("$1");
            case "svg", "html" -> MARKUP_COMMENT.matcher(code).replaceAll(" ");
            case "tikz" -> TEX_COMMENT.matcher(code).replaceAll("");
            default -> code;
        };
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    static long[] minHash(List<String> tokens) {
        long[] sig = new long[HASHES];
        java.util.Arrays.fill(sig, Long.MAX_VALUE);
        int n = Math.max(1, tokens.size() - SHINGLE + 1);
        for (int i = 0; i < n; i++) {
            long h = 1125899906842597L;
            for (int j = i; j < Math.min(tokens.size(), i + SHINGLE); j++) {
                for (char c : tokens.get(j).toCharArray()) {
                    h = 31 * h + c;
                }
                h = 31 * h + 0x1F;
            }
            for (int k = 0; k < HASHES; k++) {
                long v = mix(h ^ SEEDS[k]);
                if (v < sig[k]) {
                    sig[k] = v;
                }
            }
        }
        return sig;
    }

    /** The fraction of equal MinHash values: an unbiased estimate of the shingle sets' Jaccard similarity. */
    static double estimate(long[] a, long[] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            same += a[i] == b[i] ? 1 : 0;
        }
        return same / (double) a.length;
    }

    private static long[] bandKeys(long[] sig) {
        int rows = HASHES / BANDS;
        long[] keys = new long[BANDS];
        for (int b = 0; b < BANDS; b++) {
            long h = b;
            for (int r = 0; r < rows; r++) {
                h = mix(h * 31 + sig[b * rows + r]);
            }
            keys[b] = h;
        }
        return keys;
    }

    /** dHash: 9x8 area-averaged grey; bit (y, x) set when pixel x is brighter than pixel x + 1. */
    static long differenceHash(GrayImage gray) {
        GrayImage small = gray.resizeArea(9, 8);
        long hash = 0;
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                hash = hash << 1 | (small.value(x, y) > small.value(x + 1, y) ? 1 : 0);
            }
        }
        return hash;
    }

    /** SplitMix64's finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static long[] seeds() {
        SplittableRandom r = new SplittableRandom(0x5EED_DA7AL);
        long[] s = new long[HASHES];
        for (int i = 0; i < HASHES; i++) {
            s[i] = r.nextLong();
        }
        return s;
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
