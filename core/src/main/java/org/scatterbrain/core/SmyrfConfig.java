package org.scatterbrain.core;

import java.util.random.RandomGenerator;
import org.scatterbrain.core.sparse.SmyrfHash;
import org.scatterbrain.core.sparse.SparseSupport;

/**
 * SMYRF: asymmetric (XBOX+) LSH with balanced clusters.
 *
 * @param clusterSize queries per cluster b; the number of clusters is C = ceil(n / b), and each cluster holds
 *     ceil(m / C) or floor(m / C) keys
 * @param hashRounds rounds h
 * @param deduplicate count a pair found in several rounds once; false reproduces the original SMYRF, which counts it
 *     once per round. Inside Scatterbrain the support is always deduplicated.
 */
public record SmyrfConfig(int clusterSize, int hashRounds, boolean deduplicate)
    implements SparseConfig {
  /** Validates. */
  public SmyrfConfig {
    Checks.requirePositive(clusterSize, "clusterSize");
    Checks.requirePositive(hashRounds, "hashRounds");
  }

  /** The original SMYRF (no deduplication across rounds). */
  public static SmyrfConfig of(int clusterSize, int hashRounds) {
    return new SmyrfConfig(clusterSize, hashRounds, false);
  }

  /** Clusters of B / h queries: at most B entries per row with h rounds. */
  public static SmyrfConfig forBudget(int budget, int hashRounds, boolean deduplicate) {
    Checks.requirePositive(hashRounds, "hashRounds");
    Budgets.requireFits(budget >= hashRounds, "smyrf", budget, hashRounds + " (clusters of 1 in each of " + hashRounds
        + " hash rounds)");
    return new SmyrfConfig(budget / hashRounds, hashRounds, deduplicate);
  }

  @Override
  public boolean deduplicated() {
    return deduplicate;
  }

  /** Number of clusters C for n queries. */
  public int clusters(int n) {
    return (n + clusterSize - 1) / clusterSize;
  }

  @Override
  public String method() {
    return "smyrf";
  }

  @Override
  public double entriesPerRow(int n, int m) {
    int c = clusters(n);
    return (double) ((m + c - 1) / c) * hashRounds;
  }

  /**
   * The causal form drops the future pairs of each cluster ({@link org.scatterbrain.core.sparse.CausalSupport}); a
   * query whose clusters hold only later keys sees its own position's key instead. Entries per row stay the paper's
   * count, a bound on what each row stores (how many pairs stay visible depends on the hash).
   */
  @Override
  public String causalUnsupported() {
    return null;
  }

  @Override
  public void validateFor(int n, int m) {
    Checks.requireAtMost(clusterSize, n, "clusterSize", "n");
    int c = clusters(n);
    if (c > m) {
      throw new IllegalArgumentException(
          "clusterSize " + clusterSize + " gives " + c + " clusters for n = " + n
              + ", more than the m = " + m + " keys; allowed clusterSize >= ceil(n / m)");
    }
  }

  @Override
  public SparseSupport sampleSupport(AttentionInputs in, RandomGenerator rng, boolean dedup) {
    validateFor(in.queryCount(), in.keyCount());
    return SmyrfHash.sample(in.headDim(), hashRounds, rng)
        .support(
            in.queriesRowMajor(),
            in.queryCount(),
            in.keysRowMajor(),
            in.keyCount(),
            clusters(in.queryCount()),
            dedup,
            entriesPerRow(in.queryCount(), in.keyCount()));
  }
}
