package org.scatterbrain.core;

import java.util.random.RandomGenerator;
import org.scatterbrain.core.sparse.BandSupport;
import org.scatterbrain.core.sparse.SparseSupport;

/**
 * Sliding-window attention.
 *
 * @param window width W: query i sees keys i - floor(W/2) .. i + ceil(W/2) - 1 that exist
 */
public record LocalConfig(int window) implements SparseConfig {
  /** Validates. */
  public LocalConfig {
    Checks.requirePositive(window, "window");
  }

  /** A window of W = B keys. */
  public static LocalConfig forBudget(int budget) {
    Budgets.requireFits(budget >= 1, "local", budget, "1");
    return new LocalConfig(budget);
  }

  @Override
  public String method() {
    return "local";
  }

  @Override
  public double entriesPerRow(int n, int m) {
    return window;
  }

  @Override
  public void validateFor(int n, int m) {
    Checks.requireAtMost(window, m, "window", "m");
  }

  @Override
  public SparseSupport sampleSupport(AttentionInputs in, RandomGenerator rng, boolean dedup) {
    validateFor(in.queryCount(), in.keyCount());
    return BandSupport.of(in.queryCount(), in.keyCount(), window);
  }
}
