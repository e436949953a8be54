package dev.renderloop.score;

import java.util.ArrayList;
import java.util.List;

/**
 * An image embedding model (CLIP ViT-L/14 for VS, DINOv2 for the tiled reward), as the metrics see it.
 *
 * <p>Implementations do their own preprocessing (resize, crop, normalisation) so that the vector
 * equals what the reference Python stack computes for the same picture. Vectors are returned as the
 * model produces them; metrics L2-normalise where the published definition does.
 * Implementations must be safe for concurrent use.
 */
public interface ImageEmbedder extends AutoCloseable {

    /** Short stable name with the model identity, recorded in provenance (e.g. {@code clip-vit-l14:sha256:ab12...}). */
    String name();

    /** The embedding of one picture. */
    float[] embed(Picture picture);

    /** The embeddings of several pictures, in order; implementations may batch. */
    default List<float[]> embedAll(List<Picture> pictures) {
        List<float[]> out = new ArrayList<>(pictures.size());
        for (Picture p : pictures) {
            out.add(embed(p));
        }
        return out;
    }

    @Override
    default void close() {
    }
}
