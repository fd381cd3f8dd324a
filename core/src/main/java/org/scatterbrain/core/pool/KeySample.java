package org.scatterbrain.core.pool;

import java.util.random.RandomGenerator;

/**
 * A stratified sample of keys, shared by every query row: the eligible keys (in index order) are cut into s
 * contiguous strata of nearly equal size and one key is drawn uniformly from each, so key j is drawn with probability
 * {@code pi_j = 1 / |stratum(j)|}. Horvitz-Thompson sums {@code sum_t f(t) / pi_t} over the sample are unbiased for
 * {@code sum_j f(j)} over the eligible keys; strata by position make the sample spread over the sequence.
 *
 * @param keys the sampled keys, ascending
 * @param inclusion their inclusion probabilities pi
 */
public record KeySample(int[] keys, double[] inclusion) {
  /** Draws {@code count} strata's keys from the keys {@code eligible} is true for. Modified: {@code rng}. */
  public static KeySample stratified(boolean[] eligible, int count, RandomGenerator rng) {
    int m = eligible.length;
    int[] pool = new int[m];
    int size = 0;
    for (int j = 0; j < m; j++) {
      if (eligible[j]) {
        pool[size++] = j;
      }
    }
    int s = Math.min(count, size);
    int[] keys = new int[s];
    double[] pi = new double[s];
    for (int t = 0; t < s; t++) {
      int lo = (int) ((long) t * size / s);
      int hi = (int) ((long) (t + 1) * size / s);
      keys[t] = pool[lo + rng.nextInt(hi - lo)];
      pi[t] = 1.0 / (hi - lo);
    }
    return new KeySample(keys, pi);
  }

  /** Number of sampled keys. */
  public int size() {
    return keys.length;
  }
}
