package org.scatterbrain.core;

import java.util.random.RandomGenerator;
import org.scatterbrain.core.sparse.AngularHash;
import org.scatterbrain.core.sparse.SparseSupport;

/**
 * Reformer-style angular LSH with chunked look-back attention.
 *
 * @param bucketSize queries per chunk b; C = ceil(n / b) chunks, each attending to its own and the previous key chunk
 *     (so a query scores about 2 b keys per round, while the paper counts b: pitfall P16)
 * @param hashRounds rounds h
 * @param buckets number of hash buckets B (even), or 0 for Reformer's default n / b rounded up to even
 */
public record ReformerConfig(int bucketSize, int hashRounds, int buckets) implements SparseConfig {
  /** Validates. */
  public ReformerConfig {
    Checks.requirePositive(bucketSize, "bucketSize");
    Checks.requirePositive(hashRounds, "hashRounds");
    Checks.requireNonNegative(buckets, "buckets");
    if (buckets % 2 != 0) {
      throw new IllegalArgumentException(
          "buckets must be even (buckets come in +/- pairs) or 0 for the default, got " + buckets);
    }
  }

  /** Default bucket count. */
  public static ReformerConfig of(int bucketSize, int hashRounds) {
    return new ReformerConfig(bucketSize, hashRounds, 0);
  }

  /** Chunks of B / h queries, counted as the paper does (b h entries per row: pitfall P16). */
  public static ReformerConfig forBudget(int budget, int hashRounds, int buckets) {
    Checks.requirePositive(hashRounds, "hashRounds");
    Budgets.requireFits(budget >= hashRounds, "reformer", budget, hashRounds + " (chunks of 1 in each of "
        + hashRounds + " hash rounds)");
    return new ReformerConfig(budget / hashRounds, hashRounds, buckets);
  }

  /** Chunks C for n queries. */
  public int chunks(int n) {
    return (n + bucketSize - 1) / bucketSize;
  }

  /** Effective number of buckets for n queries. */
  public int bucketsFor(int n) {
    if (buckets > 0) {
      return buckets;
    }
    int c = Math.max(2, chunks(n));
    return c % 2 == 0 ? c : c + 1;
  }

  @Override
  public String method() {
    return "reformer";
  }

  @Override
  public double entriesPerRow(int n, int m) {
    return (double) bucketSize * hashRounds;
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
    Checks.requireAtMost(bucketSize, n, "bucketSize", "n");
    int c = chunks(n);
    if (c > m) {
      throw new IllegalArgumentException(
          "bucketSize " + bucketSize + " gives " + c + " chunks for n = " + n
              + ", more than the m = " + m + " keys; allowed bucketSize >= ceil(n / m)");
    }
  }

  @Override
  public SparseSupport sampleSupport(AttentionInputs in, RandomGenerator rng, boolean dedup) {
    validateFor(in.queryCount(), in.keyCount());
    return AngularHash.sample(in.headDim(), bucketsFor(in.queryCount()), hashRounds, rng)
        .support(
            in.queriesRowMajor(),
            in.queryCount(),
            in.keysRowMajor(),
            in.keyCount(),
            chunks(in.queryCount()),
            entriesPerRow(in.queryCount(), in.keyCount()));
  }
}
