package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Incremental stop-string detection over a fake byte-level detokeniser. */
class StopStringsTest {
  /** Token i is the byte sequence PIECES[i]; decoding joins the bytes and decodes UTF-8 (U+FFFD where cut). */
  static final byte[][] PIECES = {
      "E".getBytes(StandardCharsets.UTF_8), "ND".getBytes(StandardCharsets.UTF_8),
      "ab".getBytes(StandardCharsets.UTF_8), " ".getBytes(StandardCharsets.UTF_8),
      Arrays.copyOfRange("日".getBytes(StandardCharsets.UTF_8), 0, 2),
      Arrays.copyOfRange("日".getBytes(StandardCharsets.UTF_8), 2, 3),
      "\n\n".getBytes(StandardCharsets.UTF_8), "x".getBytes(StandardCharsets.UTF_8)};

  static final Function<long[], String> DECODE = tokens -> {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (long t : tokens) {
      out.writeBytes(PIECES[(int) t]);
    }
    return out.toString(StandardCharsets.UTF_8);
  };

  /** The index of the first token after which the condition says stop, or -1. */
  static int firstStop(StopCondition c, long[] tokens) {
    for (int t = 1; t <= tokens.length; t++) {
      if (c.stop(0, Arrays.copyOf(tokens, t))) {
        return t - 1;
      }
    }
    return -1;
  }

  @Test
  void stopsAtTheTokenThatCompletesAStringSplitAcrossTokens() {
    StopCondition c = new StopStrings(List.of("END")).condition(DECODE);
    assertEquals(3, firstStop(c, new long[] {2, 3, 0, 1, 2}));  // "ab", " ", "E", "ND": complete after "ND"
    assertEquals(-1, firstStop(c, new long[] {0, 2, 1}));      // "EabND"
  }

  @Test
  void aMultiByteStopStringMatchesOnceItsLastByteIsDecoded() {
    StopCondition c = new StopStrings(List.of("日")).condition(DECODE);
    assertEquals(2, firstStop(c, new long[] {7, 4, 5, 7}));
  }

  @Test
  void theEarliestOccurrenceOfAnyStopStringCuts() {
    StopStrings s = new StopStrings(List.of("\n\n", "ab"));
    assertEquals(1, s.find("xab\n\nab"));
    assertEquals(0, s.find("\n\nab"));
    assertEquals(-1, s.find("a b"));
  }

  @Test
  void seededRandomSequencesStopExactlyWhereTheTextFirstContainsTheString() {
    SplittableRandom random = new SplittableRandom(3);
    for (String stop : List.of("END", "b E", "日x", "\n\nx", "ab ab")) {
      StopCondition c = new StopStrings(List.of(stop)).condition(DECODE);
      for (int i = 0; i < 300; i++) {
        long[] tokens = random.longs(1 + random.nextInt(12), 0, PIECES.length).toArray();
        int expected = -1;
        for (int t = 1; t <= tokens.length && expected < 0; t++) {
          if (DECODE.apply(Arrays.copyOf(tokens, t)).contains(stop)) {
            expected = t - 1;
          }
        }
        assertEquals(expected, firstStop(c, tokens), stop + " in " + Arrays.toString(tokens));
      }
    }
  }

  @Test
  void noStopStringsNeverStopAndEmptyOnesAreRefused() {
    StopStrings none = new StopStrings(List.of());
    assertTrue(none.isEmpty());
    assertFalse(none.condition(DECODE).stop(0, new long[] {0, 1}));
    assertThrows(IllegalArgumentException.class, () -> new StopStrings(List.of("")));
  }
}
