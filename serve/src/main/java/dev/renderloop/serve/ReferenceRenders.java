package dev.renderloop.serve;

import dev.renderloop.render.RenderResult;
import dev.renderloop.score.Picture;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import javax.imageio.ImageIO;

/**
 * The decoded reference pictures of this replica, by content: a reference program's render (through the engine and
 * its disk cache) or a reference image, computed once and kept for the most recent {@code capacity} references.
 * Keys are SHA-256 of the content, never the caller's ids, so two tasks that share an id but not a reference never
 * share a picture. Concurrent requests for the same reference wait for one computation. A reference that fails for
 * a reason that may pass (timeout, crash) is not kept. Thread-safe.
 */
final class ReferenceRenders {
    /** Reference pictures, or why there are none. */
    record Reference(List<Picture> frames, String failure) {
        boolean ok() {
            return failure == null;
        }
    }

    private final BiFunction<String, String, RenderResult> render;
    private final int capacity;
    private final Map<String, CompletableFuture<Reference>> entries;
    private final ServiceMetrics.Counter lookups;

    /** {@code render} renders (domain, code) with the service's settings. */
    ReferenceRenders(BiFunction<String, String, RenderResult> render, int capacity, ServiceMetrics metrics) {
        this.render = render;
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true);
        this.lookups = metrics.counter("renderloop_reference_cache_total",
                "Reference lookups in this replica's decoded-reference cache, by result (hit or miss).", "result");
    }

    /** The pictures of reference program {@code code}. */
    Reference ofCode(String domain, String code) {
        return lookup("code:" + sha256((domain + "\0" + code).getBytes(StandardCharsets.UTF_8)), () -> {
            RenderResult r = render.apply(domain, code);
            if (!r.ok()) {
                String why = "the reference does not render (" + r.errorKind().wireName() + "): " + r.errorTail(3);
                return new Keep(new Reference(null, why), r.errorKind().deterministic());
            }
            List<Picture> frames = new ArrayList<>();
            for (var f : domain.equals("manim") ? r.frames() : List.of(r.lastFrame())) {
                frames.add(Picture.read(f));
            }
            return new Keep(new Reference(List.copyOf(frames), null), true);
        });
    }

    /** The picture of a reference PNG (already checked against the pixel bound). */
    Reference ofImage(byte[] png) {
        return lookup("image:" + sha256(png), () -> {
            var image = ImageIO.read(new ByteArrayInputStream(png));
            if (image == null) {
                return new Keep(new Reference(null, "the reference image cannot be decoded as PNG"), true);
            }
            return new Keep(new Reference(List.of(Picture.of(image)), null), true);
        });
    }

    /** Entries held now. */
    synchronized int size() {
        return entries.size();
    }

    private record Keep(Reference reference, boolean cacheable) {}

    private interface Computation {
        Keep compute() throws IOException;
    }

    private Reference lookup(String key, Computation computation) {
        CompletableFuture<Reference> mine = new CompletableFuture<>();
        CompletableFuture<Reference> existing;
        synchronized (this) {
            existing = entries.putIfAbsent(key, mine);
            if (existing == null && entries.size() > capacity) {
                entries.remove(entries.keySet().iterator().next());  // access order: the least recently used
            }
        }
        if (existing != null) {
            lookups.inc("hit");
            return existing.join();
        }
        lookups.inc("miss");
        Keep keep;
        try {
            keep = computation.compute();
        } catch (IOException | RuntimeException e) {
            keep = new Keep(new Reference(null, "the reference cannot be read: " + e.getMessage()), false);
        }
        if (!keep.cacheable()) {
            synchronized (this) {
                entries.remove(key, mine);
            }
        }
        mine.complete(keep.reference());
        return keep.reference();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
