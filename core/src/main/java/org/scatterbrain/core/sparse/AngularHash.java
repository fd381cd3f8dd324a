package org.scatterbrain.core.sparse;

import java.util.random.RandomGenerator;
import org.scatterbrain.core.Checks;
import org.scatterbrain.core.linalg.Gemm;

/**
 * Angular LSH by random rotations (Andoni et al. 2015, as used by Reformer; spec section 3(b)): in round t, with a
 * Gaussian d x (B/2) matrix R_t, a vector's bucket is {@code argmax [x R_t, -x R_t]} over B buckets. Queries and keys
 * are hashed with the same rotation (the asymmetric generalisation of Reformer's shared-QK scheme, pitfall P13),
 * sorted by (bucket, index) and cut into balanced chunks; each query chunk attends to its own key chunk and the
 * previous one (cyclically).
 *
 * <p>Either sampled ({@link #sample}) or explicit ({@link #of}: one row-major d x (B/2) rotation per round).
 */
public final class AngularHash {
  private final int dim;
  private final int buckets;
  private final double[][] rotations; // per round, row-major d x buckets/2

  private AngularHash(int dim, int buckets, double[][] rotations) {
    this.dim = dim;
    this.buckets = buckets;
    this.rotations = rotations;
  }

  /** Samples {@code rounds} Gaussian rotations for {@code buckets} (even) buckets. */
  public static AngularHash sample(int dim, int buckets, int rounds, RandomGenerator rng) {
    Checks.requirePositive(dim, "head dim");
    Checks.requirePositiveEven(buckets, "buckets", "buckets come in +/- pairs");
    Checks.requirePositive(rounds, "hashRounds");
    double[][] r = new double[rounds][dim * (buckets / 2)];
    for (double[] round : r) {
      for (int x = 0; x < round.length; x++) {
        round[x] = rng.nextGaussian();
      }
    }
    return new AngularHash(dim, buckets, r);
  }

  /** Explicit rotations: {@code rotations[t]} is round t's row-major d x (buckets/2) matrix; arrays are copied. */
  public static AngularHash of(int dim, int buckets, double[][] rotations) {
    Checks.requirePositive(dim, "head dim");
    Checks.requirePositiveEven(buckets, "buckets", "buckets come in +/- pairs");
    if (rotations.length == 0) {
      throw new IllegalArgumentException("rotations must have at least one round, got 0");
    }
    double[][] copy = new double[rotations.length][];
    for (int t = 0; t < rotations.length; t++) {
      if (rotations[t].length != dim * (buckets / 2)) {
        throw new IllegalArgumentException(
            "rotation "
                + t
                + " has "
                + rotations[t].length
                + " entries, expected d x buckets/2 = "
                + dim
                + "x"
                + buckets / 2);
      }
      copy[t] = rotations[t].clone();
    }
    return new AngularHash(dim, buckets, copy);
  }

  /** Number of rounds. */
  public int rounds() {
    return rotations.length;
  }

  /** Number of buckets B. */
  public int buckets() {
    return buckets;
  }

  /**
   * Buckets of every row of {@code x} (row-major, d columns) in round {@code t}: {@code x R_t} is computed with
   * {@link Gemm} a block of rows at a time, then the arg-max over [x R, -x R] (ties to the lower bucket).
   */
  double[] buckets(double[] x, int rows, int t) {
    int half = buckets / 2;
    double[] out = new double[rows];
    final int block = 64;
    double[] proj = new double[block * half];
    for (int i0 = 0; i0 < rows; i0 += block) {
      int nr = Math.min(block, rows - i0);
      java.util.Arrays.fill(proj, 0.0);
      Gemm.multiplyAdd(x, i0 * dim, dim, rotations[t], 0, half, proj, 0, half, nr, dim, half);
      for (int r = 0; r < nr; r++) {
        int best = 0;
        double bestValue = Double.NEGATIVE_INFINITY;
        for (int b = 0; b < half; b++) {
          double s = proj[r * half + b];
          if (s > bestValue) {
            bestValue = s;
            best = b;
          }
          if (-s > bestValue) {
            bestValue = -s;
            best = b + half;
          }
        }
        out[i0 + r] = best;
      }
    }
    return out;
  }

  /**
   * Chunked support: per round, queries and keys sorted by bucket (ties by index), cut into {@code chunks} balanced
   * chunks, each query chunk meeting its key chunk and the previous one; pairs found in several rounds count once.
   */
  public ClusteredSupport support(
      double[] q, int n, double[] k, int m, int chunks, double paperEntriesPerRow) {
    int h = rotations.length;
    double[][] qh = new double[h][n];
    double[][] kh = new double[h][m];
    for (int t = 0; t < h; t++) {
      qh[t] = buckets(q, n, t);
      kh[t] = buckets(k, m, t);
    }
    return ClusteredSupport.fromHashes(qh, kh, chunks, true, true, paperEntriesPerRow);
  }

  /** Bytes held by the rotations. */
  public long bytes() {
    return 8L * rotations.length * (long) dim * (buckets / 2);
  }
}
