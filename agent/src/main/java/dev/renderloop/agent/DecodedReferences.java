package dev.renderloop.agent;

import dev.renderloop.score.Picture;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decoded frames of the last few reference renders, by task id. A run scores every attempt of a task against
 * the same reference, and decoding a Manim reference (about 50 PNG frames of 854x480) costs a fair share of a VS
 * computation, so the pictures are kept; only a few tasks are kept because one task's frames are about 80 MB.
 * Thread-safe; a task's frames are decoded at most once while it stays cached.
 */
final class DecodedReferences {
    /** Reads one frame file; a seam for tests that count decodes. */
    interface Decoder {
        Picture read(Path file) throws IOException;
    }

    private final int capacity;
    private final Decoder decoder;
    private final Map<String, List<Picture>> cached;

    DecodedReferences(int capacity, Decoder decoder) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
        this.decoder = decoder;
        this.cached = new LinkedHashMap<>(16, 0.75f, true);
    }

    /** The decoded {@code files} of task {@code taskId}; the same list for the same task while it stays cached. */
    synchronized List<Picture> frames(String taskId, List<Path> files) throws IOException {
        List<Picture> hit = cached.get(taskId);
        if (hit != null) {
            return hit;
        }
        List<Picture> out = new ArrayList<>(files.size());
        for (Path f : files) {
            out.add(decoder.read(f));
        }
        List<Picture> frozen = List.copyOf(out);
        cached.put(taskId, frozen);
        if (cached.size() > capacity) {
            cached.remove(cached.keySet().iterator().next());  // access order: the first key is the least recent
        }
        return frozen;
    }
}
