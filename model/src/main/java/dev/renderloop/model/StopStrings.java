package dev.renderloop.model;

import java.util.List;
import java.util.function.Function;

/**
 * OpenAI's {@code stop}: a completion ends as soon as its decoded text contains one of these strings, and the text
 * returned is cut before the earliest occurrence. Matching is on decoded text, not on token ids, so a stop string
 * split over several tokens (or inside one token together with other text) is found as soon as its last character
 * has been decoded.
 */
final class StopStrings {
  private final List<String> stops;

  StopStrings(List<String> stops) {
    for (String s : stops) {
      if (s == null || s.isEmpty()) {
        throw new IllegalArgumentException("stop strings must not be empty");
      }
    }
    this.stops = List.copyOf(stops);
  }

  boolean isEmpty() {
    return stops.isEmpty();
  }

  /** Where the earliest stop string starts in {@code text}, or -1. */
  int find(String text) {
    int best = -1;
    for (String s : stops) {
      int at = text.indexOf(s);
      if (at >= 0 && (best < 0 || at < best)) {
        best = at;
      }
    }
    return best;
  }

  /**
   * A stop condition that decodes each sample's tokens with {@code decode} and stops once a stop string appears.
   * Each step decodes the whole completion: a byte-level tokenizer may only complete a character (and so a match)
   * several tokens later, and decoding is cheap next to a forward pass.
   */
  StopCondition condition(Function<long[], String> decode) {
    if (stops.isEmpty()) {
      return StopCondition.NEVER;
    }
    return (sample, tokens) -> find(decode.apply(tokens)) >= 0;
  }
}
