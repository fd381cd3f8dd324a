package org.scatterbrain.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Every config's {@code forBudget} is the inverse of its {@code entriesPerRow}: for every budget B it either builds a
 * config with {@code entriesPerRow(n, n) <= B} at every n it can run at, or rejects B as too small, naming it.
 */
class BudgetRuleTest {
  private static Map<String, IntFunction<MethodConfig>> rules() {
    Map<String, IntFunction<MethodConfig>> r = new LinkedHashMap<>();
    r.put("performer antithetic", b -> PerformerConfig.forBudget(b, true));
    r.put("performer plain", b -> PerformerConfig.forBudget(b, false));
    r.put("local", LocalConfig::forBudget);
    r.put("smyrf h=1", b -> SmyrfConfig.forBudget(b, 1, false));
    r.put("smyrf h=2", b -> SmyrfConfig.forBudget(b, 2, false));
    r.put("smyrf h=3 dedup", b -> SmyrfConfig.forBudget(b, 3, true));
    r.put("reformer h=2", b -> ReformerConfig.forBudget(b, 2, 0));
    r.put("reformer h=4", b -> ReformerConfig.forBudget(b, 4, 6));
    r.put("nystrom", NystromConfig::forBudget);
    r.put("scatterbrain local", b -> ScatterbrainConfig.forBudget(b, LocalConfig::forBudget));
    r.put("scatterbrain smyrf", b -> ScatterbrainConfig.forBudget(b, s -> SmyrfConfig.forBudget(s, 2, true)));
    r.put("scatterbrain reformer", b -> ScatterbrainConfig.forBudget(b, s -> ReformerConfig.forBudget(s, 2, 0)));
    r.put("performer authors", AuthorsPerformerConfig::forBudget);
    for (HybridConfig.Remainder rem : HybridConfig.Remainder.values()) {
      boolean adaptive = rem == HybridConfig.Remainder.POOL || rem == HybridConfig.Remainder.SAMPLED;
      r.put("hybrid " + rem, b -> HybridConfig.forBudget(b, rem, 0, false));
      if (rem != HybridConfig.Remainder.BLOCKS) { // blocks take no LSH rounds (a config error, not a budget one)
        r.put("hybrid " + rem + " lsh", b -> HybridConfig.forBudget(b, rem, 2, adaptive));
      }
    }
    r.put("oracle top", b -> OracleConfig.forBudget(b, false));
    r.put("oracle top-uniform", b -> OracleConfig.forBudget(b, true));
    return r;
  }

  @Test
  void everyBudgetRuleStaysWithinItsBudget() {
    int[] lengths = {1, 7, 64, 100, 257, 1000, 4096};
    int built = 0;
    for (Map.Entry<String, IntFunction<MethodConfig>> rule : rules().entrySet()) {
      for (int b = 1; b <= 600; b++) {
        MethodConfig c;
        try {
          c = rule.getValue().apply(b);
        } catch (IllegalArgumentException e) {
          assertTrue(e.getMessage().contains("budget " + b), rule.getKey() + ": " + e.getMessage());
          assertTrue(b < 8, rule.getKey() + " rejected budget " + b + ": " + e.getMessage());
          continue;
        }
        built++;
        for (int n : lengths) {
          try {
            c.validateFor(n, n);
          } catch (IllegalArgumentException tooLarge) {
            continue; // e.g. a window wider than n: the sweep rejects it before running
          }
          double e = c.entriesPerRow(n, n);
          assertTrue(e <= b, rule.getKey() + " at B = " + b + ", n = " + n + ": " + c + " has " + e + " entries");
        }
      }
    }
    assertTrue(built > 23 * 590, "rules built " + built + " configs");
  }

  @Test
  void rulesKeepTheDocumentedSizes() {
    assertEquals(32, PerformerConfig.forBudget(64, true).features());
    assertEquals(14, PerformerConfig.forBudget(30, true).features());
    assertEquals(15, PerformerConfig.forBudget(30, false).features());
    assertEquals(32, SmyrfConfig.forBudget(64, 2, false).clusterSize());
    assertEquals(21, SmyrfConfig.forBudget(64, 3, true).clusterSize());
    assertEquals(16, ReformerConfig.forBudget(64, 4, 6).bucketSize());
    assertEquals(64, LocalConfig.forBudget(64).window());
    assertEquals(15, NystromConfig.forBudget(30).landmarks());
    ScatterbrainConfig sb = ScatterbrainConfig.forBudget(30, LocalConfig::forBudget);
    assertEquals(6, sb.lowRank().features());
    assertEquals(new LocalConfig(15), sb.sparse());
    assertEquals(2, ScatterbrainConfig.forBudget(9, LocalConfig::forBudget).lowRank().features());
  }

  @Test
  void rejectsABudgetTooSmallForScatterbrain() {
    var e = assertThrows(IllegalArgumentException.class, () -> ScatterbrainConfig.forBudget(6, LocalConfig::forBudget));
    assertTrue(e.getMessage().contains("budget 6") && e.getMessage().contains("scatterbrain"), e.getMessage());
  }

  @Test
  void rejectsFewerEntriesThanHashRounds() {
    var e = assertThrows(IllegalArgumentException.class, () -> SmyrfConfig.forBudget(3, 4, false));
    assertTrue(e.getMessage().contains("budget 3") && e.getMessage().contains("smyrf"), e.getMessage());
  }
}
