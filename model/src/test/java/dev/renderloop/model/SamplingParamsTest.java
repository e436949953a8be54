package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class SamplingParamsTest {
  static void rejects(String field, Executable make) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, make);
    assertTrue(e.getMessage().startsWith(field), e.getMessage());
  }

  @Test
  void rejectsOutOfRangeValuesNamingTheField() {
    SamplingParams ok = SamplingParams.of(8, Set.of(2L), 1);
    rejects("temperature", () -> ok.withTemperature(-0.1));
    rejects("temperature", () -> ok.withTemperature(Double.NaN));
    rejects("topK", () -> ok.withFilters(-1, 1, 0));
    rejects("topP", () -> ok.withFilters(0, 0, 0));
    rejects("topP", () -> ok.withFilters(0, 1.01, 0));
    rejects("minP", () -> ok.withFilters(0, 1, -0.5));
    rejects("minP", () -> ok.withFilters(0, 1, 1.5));
    rejects("repetitionPenalty", () -> ok.withRepetitionPenalty(0));
    rejects("maxNewTokens", () -> SamplingParams.of(0, Set.of(), 1));
    rejects("eosTokenIds", () -> SamplingParams.of(1, null, 1));
  }
}
