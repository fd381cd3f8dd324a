package org.scatterbrain.core;

import java.util.random.RandomGenerator;
import org.scatterbrain.core.sparse.BandSupport;
import org.scatterbrain.core.sparse.SparseSupport;

/**
 * Sliding-window attention.
 *
 * <p>Causal form: query i sees the W most recent visible keys {@code [i + m - n - W + 1, i + m - n]} (clipped at 0)
 * rather than the centred window with its future half dropped, so the whole budget goes to visible keys; the first
 * rows see fewer, and {@link #entriesPerRow(int, int, boolean)} is the exact mean count ({@link
 * BandSupport#causalEntriesPerRow}).
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
  public double entriesPerRow(int n, int m, boolean causal) {
    return causal ? BandSupport.causalEntriesPerRow(n, m, window) : entriesPerRow(n, m);
  }

  @Override
  public String causalUnsupported() {
    return null;
  }

  @Override
  public void validateFor(int n, int m) {
    Checks.requireAtMost(window, m, "window", "m");
  }

  @Override
  public SparseSupport sampleSupport(AttentionInputs in, RandomGenerator rng, boolean dedup) {
    validateFor(in.queryCount(), in.keyCount());
    return in.causal()
        ? BandSupport.causal(in.queryCount(), in.keyCount(), window)
        : BandSupport.of(in.queryCount(), in.keyCount(), window);
  }
}
