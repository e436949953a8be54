package dev.renderloop.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.renderloop.score.Picture;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecodedReferencesTest {
    private final List<Path> decodedFiles = new ArrayList<>();

    private Picture decode(Path file) {
        decodedFiles.add(file);
        return new Picture(1, 1, new int[] {file.hashCode()});
    }

    @Test
    void aTaskIsDecodedOnceWhileCachedAndTheLeastRecentTaskIsEvicted() throws IOException {
        DecodedReferences refs = new DecodedReferences(2, this::decode);
        List<Path> a = List.of(Path.of("a/0.png"), Path.of("a/1.png"));
        List<Path> b = List.of(Path.of("b/0.png"));
        List<Path> c = List.of(Path.of("c/0.png"));
        List<Picture> first = refs.frames("a", a);
        assertEquals(2, first.size());
        assertSame(first, refs.frames("a", a));
        refs.frames("b", b);
        refs.frames("a", a);          // a is now the most recent
        refs.frames("c", c);          // evicts b
        assertEquals(4, decodedFiles.size());
        refs.frames("a", a);
        assertEquals(4, decodedFiles.size(), "a stayed cached");
        refs.frames("b", b);
        assertEquals(5, decodedFiles.size(), "b was evicted and is decoded again");
    }

    @Test
    void aDecodeErrorCachesNothingAndTheNextCallDecodesAgain() throws IOException {
        int[] calls = {0};
        DecodedReferences refs = new DecodedReferences(2, f -> {
            if (calls[0]++ == 0) {
                throw new IOException("truncated " + f);
            }
            return new Picture(1, 1, new int[] {7});
        });
        List<Path> files = List.of(Path.of("a.png"));
        assertThrows(IOException.class, () -> refs.frames("a", files));
        assertEquals(7, refs.frames("a", files).get(0).rgb()[0]);
        assertEquals(2, calls[0]);
    }

    @Test
    void capacityBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new DecodedReferences(0, this::decode));
    }
}
