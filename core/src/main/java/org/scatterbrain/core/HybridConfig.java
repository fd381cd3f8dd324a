package org.scatterbrain.core;

import java.util.Objects;
import org.scatterbrain.core.pool.PositionBlocks;

/**
 * A sparse + remainder estimator beyond the paper's Scatterbrain ({@link HybridAttention}): exact attention on a
 * support made of a local window, G global key columns and optional SMYRF buckets (each pair counted once), and an
 * estimate of everything off the support.
 *
 * @param window local window W (0: none)
 * @param globals global key columns G, the keys with the largest mean-query logit (under the causal mask: the first G
 *     keys; 0: none)
 * @param lshClusterSize SMYRF cluster size b of the optional LSH part (0 when {@code lshRounds} is 0)
 * @param lshRounds SMYRF hash rounds h of the LSH part (0: none)
 * @param remainder how the rest is estimated
 * @param remainderSize groups P ({@link Remainder#POOL}), sampled keys s ({@link Remainder#SAMPLED}), or features F
 *     ({@link Remainder#FAVOR}, {@link Remainder#OPRF}; antithetic, so even)
 * @param samples keys sampled to calibrate the pooled mass ({@link Remainder#POOL} only, else 0)
 * @param iterations Lloyd steps of the key groups ({@link Remainder#POOL} only)
 * @param adaptive whether the split between the exact support and the remainder is chosen per head on a validation
 *     sample of query rows ({@link Remainder#POOL} and {@link Remainder#SAMPLED}); the budget is the same
 */
public record HybridConfig(
    int window,
    int globals,
    int lshClusterSize,
    int lshRounds,
    Remainder remainder,
    int remainderSize,
    int samples,
    int iterations,
    boolean adaptive)
    implements MethodConfig {
  /** How the attention off the support is estimated. */
  public enum Remainder {
    /**
     * Pooled key groups (k-means in the queries' metric) with a head-level ratio calibration of the pooled mass
     * from a stratified key sample. Deterministic given the sample; biased (per row), low variance.
     */
    POOL,
    /** Horvitz-Thompson over a stratified sample of keys: unbiased for the unnormalised row sums. */
    SAMPLED,
    /** FAVOR+ antithetic positive random features corrected on the support (Scatterbrain's): unbiased. */
    FAVOR,
    /** Optimal positive random features (FAVOR++) corrected on the support: unbiased, lower variance. */
    OPRF,
    /**
     * Geometric position blocks ({@link org.scatterbrain.core.pool.PositionBlocks}): the keys off the support are pooled
     * in at most P contiguous blocks per row, fine next to the window and coarse far from it, each block weighted by its
     * size times {@code exp(tau q . kbar)} of its mean key (from prefix sums of the keys). The global columns are the
     * first G keys. Deterministic, causal, biased per row (Jensen: pooled weights underestimate), exact when P covers
     * every off-support key.
     */
    BLOCKS
  }

  /** Lloyd steps of the key groups by default: 3 (beyond it the error barely moves; each costs m P d). */
  public static final int DEFAULT_ITERATIONS = 3;

  /** Validates. */
  public HybridConfig {
    Checks.requireNonNegative(window, "window");
    Checks.requireNonNegative(globals, "globals");
    Checks.requireNonNegative(lshRounds, "lshRounds");
    Checks.requireNonNegative(lshClusterSize, "lshClusterSize");
    Objects.requireNonNull(remainder, "remainder");
    Checks.requireNonNegative(samples, "samples");
    Checks.requireNonNegative(iterations, "iterations");
    if ((lshRounds == 0) != (lshClusterSize == 0)) {
      throw new IllegalArgumentException("lshClusterSize and lshRounds must be both 0 (no LSH) or both > 0, got "
          + lshClusterSize + " and " + lshRounds);
    }
    switch (remainder) {
      case POOL -> Checks.requirePositive(remainderSize, "remainderSize (groups)");
      case SAMPLED -> Checks.requirePositive(remainderSize, "remainderSize (sampled keys)");
      case BLOCKS -> Checks.requirePositive(remainderSize, "remainderSize (blocks)");
      default -> Checks.requirePositiveEven(remainderSize, "remainderSize (features)",
          "antithetic features come in +/- pairs");
    }
    if (remainder != Remainder.POOL && samples != 0) {
      throw new IllegalArgumentException("samples calibrate the pooled remainder only; got " + samples + " with "
          + remainder);
    }
    if (remainder == Remainder.BLOCKS && lshRounds > 0) {
      throw new IllegalArgumentException("position blocks pool the keys between the window and the first keys; LSH "
          + "buckets would cut them: lshRounds must be 0, got " + lshRounds);
    }
    if (adaptive && (remainder == Remainder.FAVOR || remainder == Remainder.OPRF || remainder == Remainder.BLOCKS)) {
      throw new IllegalArgumentException("the adaptive split is implemented for the pool and sampled remainders, "
          + "not " + remainder);
    }
    if (window + globals + lshRounds == 0) {
      throw new IllegalArgumentException("the support needs a window, global columns or LSH rounds; got none");
    }
  }

  /**
   * The split of a budget of B entries per row: a quarter to the window and a quarter to the global columns (with
   * LSH rounds, an eighth each and a quarter to the buckets), the rest to the remainder: P groups plus s = B / 8
   * calibration samples (pool), s sampled keys, or F = rest / 2 antithetic features (2F entries).
   */
  public static HybridConfig forBudget(int budget, Remainder remainder, int lshRounds, boolean adaptive) {
    if (remainder == Remainder.BLOCKS) {
      if (lshRounds > 0 || adaptive) {
        throw new IllegalArgumentException("position blocks take neither LSH rounds nor the adaptive split, got "
            + lshRounds + " rounds" + (adaptive ? " and the adaptive split" : ""));
      }
      // the blocks summarise the far past, so the exact half goes to the recent window, an eighth to the first keys
      Budgets.requireFits(budget >= 8, "hybrid", budget, "8 entries (a window of 4, the first key and 3 blocks)");
      int window = budget / 2;
      int globals = budget / 8;
      return new HybridConfig(window, globals, 0, 0, remainder, budget - window - globals, 0, 0, false);
    }
    return forSplit(budget, lshRounds > 0 ? 0.25 : 0.5, remainder, lshRounds, adaptive);
  }

  /**
   * The budget B with a share {@code sparse} of it (window and global columns, equally) exact, plus a quarter for LSH
   * buckets when {@code lshRounds > 0}; the rest to the remainder.
   */
  public static HybridConfig forSplit(int budget, double sparse, Remainder remainder, int lshRounds,
      boolean adaptive) {
    Checks.requirePositive(budget, "budget");
    int exact = (int) Math.floor(budget * sparse);
    int window = exact / 2;
    int globals = exact - window;
    int lsh = lshRounds > 0 ? budget / 4 : 0;
    int cluster = lshRounds > 0 ? lsh / lshRounds : 0;
    int rest = budget - window - globals - cluster * lshRounds;
    int samples = 0;
    int size;
    switch (remainder) {
      case POOL -> {
        samples = budget / 8;
        size = rest - samples;
      }
      case SAMPLED, BLOCKS -> size = rest;
      default -> size = Budgets.evenFloor(rest / 2);
    }
    Budgets.requireFits(window + globals > 0 && size > 0 && (lshRounds == 0 || cluster > 0), "hybrid", budget,
        "8 entries (a window, a global column and the remainder)");
    return new HybridConfig(window, globals, cluster, lshRounds, remainder, size, samples,
        remainder == Remainder.POOL ? DEFAULT_ITERATIONS : 0, adaptive);
  }

  @Override
  public AttentionEstimator create(boolean parallel) {
    return new HybridAttention(this, parallel);
  }

  @Override
  public String method() {
    return "hybrid";
  }

  /** Entries of the remainder per row: groups and samples, sampled keys, or 2F for F features. */
  public double remainderEntries() {
    return switch (remainder) {
      case POOL -> remainderSize + samples;
      case SAMPLED, BLOCKS -> remainderSize;
      default -> 2.0 * remainderSize;
    };
  }

  @Override
  public double entriesPerRow(int n, int m) {
    if (remainder == Remainder.BLOCKS) {
      return entriesPerRow(n, m, false);
    }
    double lsh = lshRounds == 0 ? 0 : new SmyrfConfig(lshClusterSize, lshRounds, true).entriesPerRow(n, m);
    return window + globals + lsh + remainderEntries();
  }

  @Override
  public void validateFor(int n, int m) {
    Checks.requireAtMost(window, m, "window", "m");
    Checks.requireAtMost(globals, m, "globals", "m");
    if (lshRounds > 0) {
      new SmyrfConfig(lshClusterSize, lshRounds, true).validateFor(n, m);
    }
    if (remainder == Remainder.POOL || remainder == Remainder.SAMPLED || remainder == Remainder.BLOCKS) {
      Checks.requireAtMost(remainderSize, m, "remainderSize", "m");
    }
  }

  /**
   * Mean entries per row; under the causal mask the support is the causal window (the W most recent visible keys)
   * and the first G keys (the attention sinks of decoders) a row can see, each pair once: row i (with {@code off = m
   * - n}) holds {@code min(W, i + off + 1) + min(G, max(0, i + off - W + 1))} pairs, averaged exactly here; the
   * remainder counts in full (its sampled keys or features are stored once for every row).
   */
  @Override
  public double entriesPerRow(int n, int m, boolean causal) {
    if (remainder == Remainder.BLOCKS) {
      // exact means: the support each row holds and the blocks it pools (fewer where few keys are off the support)
      PositionBlocks b = new PositionBlocks(n, m, window, globals, remainderSize, causal);
      return b.meanSupport() + b.meanBlocks();
    }
    if (!causal) {
      return entriesPerRow(n, m);
    }
    long off = (long) m - n;
    double pairs = 0;
    for (int i = 0; i < n; i++) {
      long visible = Math.max(0, i + off + 1); // m < n is rejected for causal inputs; no negative counts meanwhile
      pairs += Math.min(window, visible) + Math.min(globals, Math.max(0, visible - window));
    }
    return pairs / n + remainderEntries();
  }

  /**
   * The causal form (sampled and FAVOR+ remainders, no LSH, no adaptive split): the support is the causal window
   * plus the first G keys as global columns, a fixed rule (decoders' attention sinks are their first tokens; the
   * bidirectional rule ranks keys by the mean query's logit, which would let later keys decide which earlier columns
   * a row sees). The sampled remainder's strata are positions, so its sample does not depend on the data, and row i
   * counts only sampled keys it can see: its Horvitz-Thompson sums stay unbiased for the masked row sums. FAVOR+
   * uses the causal prefix sums of Scatterbrain. The other parts summarise every key and have no causal form here.
   */
  @Override
  public String causalUnsupported() {
    if (adaptive) {
      return "the adaptive split chooses from validation rows over the whole sequence (and may choose Nystrom); use "
          + "the fixed split";
    }
    if (lshRounds > 0) {
      return "LSH buckets in its support have no causal form here; use scatterbrain with sparse = smyrf";
    }
    return switch (remainder) {
      case POOL -> "its pooled remainder groups all keys (k-means) and calibrates the pooled mass over all rows, so "
          + "every row would depend on later keys; use remainder = blocks, sampled or favor";
      case OPRF -> "its optimal features are fitted to the mean |q' + k'|^2 over all keys; use remainder = blocks, "
          + "favor or sampled";
      default -> null;
    };
  }
}
