package org.scatterbrain.core.sparse;

import java.util.random.RandomGenerator;
import org.ojalgo.matrix.store.MatrixStore;
import org.scatterbrain.core.Checks;
import org.scatterbrain.core.linalg.RowMajor;

/**
 * SMYRF's asymmetric LSH (Daras et al. 2020; spec section 3(a)): the XBOX+ transform {@code q -> [q, 0, sqrt(M^2 -
 * |q|^2)]}, {@code k -> [k, sqrt(M^2 - |k|^2), 0]} with {@code M^2 = max |q|^2 + max |k|^2} makes every vector have
 * norm M, so Euclidean nearness is maximum inner product; each round projects on one Gaussian direction in R^{d+2}
 * and sorts. The hash is not quantised (the reference's offset cancels under sorting).
 *
 * <p>Either sampled ({@link #sample}) or explicit ({@link #of}: a (d + 2) x rounds matrix whose column t is round t's
 * direction, the reference cases' {@code hash.npy}). Immutable.
 */
public final class SmyrfHash {
  private final int dim;
  private final int rounds;
  private final double[] directions; // row-major (d + 2) x rounds

  private SmyrfHash(int dim, int rounds, double[] directions) {
    this.dim = dim;
    this.rounds = rounds;
    this.directions = directions;
  }

  /** Samples {@code rounds} iid N(0, I_{d+2}) directions. */
  public static SmyrfHash sample(int dim, int rounds, RandomGenerator rng) {
    Checks.requirePositive(dim, "head dim");
    Checks.requirePositive(rounds, "hashRounds");
    double[] a = new double[(dim + 2) * rounds];
    for (int x = 0; x < a.length; x++) {
      a[x] = rng.nextGaussian();
    }
    return new SmyrfHash(dim, rounds, a);
  }

  /** Explicit directions: a (d + 2) x rounds matrix, column t for round t. Not modified: {@code directions}. */
  public static SmyrfHash of(MatrixStore<Double> directions) {
    int rows = Math.toIntExact(directions.countRows());
    int cols = Math.toIntExact(directions.countColumns());
    if (rows < 3) {
      throw new IllegalArgumentException(
          "hash directions must have d + 2 rows (d >= 1), got " + rows + "x" + cols);
    }
    Checks.requirePositive(cols, "hash rounds (columns of the hash directions)");
    return new SmyrfHash(rows - 2, cols, RowMajor.copyOf(directions));
  }

  /** Number of hash rounds. */
  public int rounds() {
    return rounds;
  }

  /** Head dimension d (directions live in R^{d+2}). */
  public int dim() {
    return dim;
  }

  /** The directions as a (d + 2) x rounds matrix. */
  public MatrixStore<Double> toMatrix() {
    return RowMajor.toStore(directions, dim + 2, rounds);
  }

  /**
   * Balanced clusters of the XBOX+-hashed queries and keys: {@code groups} clusters per round.
   *
   * @param q row-major n x d queries. Not modified.
   * @param k row-major m x d keys. Not modified.
   * @param dedup count a pair found in several rounds once (Scatterbrain) or once per round (plain SMYRF)
   */
  public ClusteredSupport support(
      double[] q, int n, double[] k, int m, int groups, boolean dedup, double paperEntriesPerRow) {
    double[] qn = squaredNorms(q, n);
    double[] kn = squaredNorms(k, m);
    double maxQ = 0;
    for (double x : qn) {
      maxQ = Math.max(maxQ, x);
    }
    double maxK = 0;
    for (double x : kn) {
      maxK = Math.max(maxK, x);
    }
    double m2 = maxQ + maxK;
    double[][] qh = new double[rounds][n];
    double[][] kh = new double[rounds][m];
    for (int t = 0; t < rounds; t++) {
      double extraK = directions[dim * rounds + t]; // coordinate d: sqrt(M^2 - |k|^2) for keys, 0 for queries
      double extraQ = directions[(dim + 1) * rounds + t]; // coordinate d + 1: sqrt(M^2 - |q|^2) for queries
      for (int i = 0; i < n; i++) {
        qh[t][i] = project(q, i, t) + extraQ * Math.sqrt(Math.max(0.0, m2 - qn[i]));
      }
      for (int j = 0; j < m; j++) {
        kh[t][j] = project(k, j, t) + extraK * Math.sqrt(Math.max(0.0, m2 - kn[j]));
      }
    }
    return ClusteredSupport.fromHashes(qh, kh, groups, false, dedup, paperEntriesPerRow);
  }

  private double project(double[] x, int row, int t) {
    double s = 0;
    int o = row * dim;
    for (int c = 0; c < dim; c++) {
      s += x[o + c] * directions[c * rounds + t];
    }
    return s;
  }

  private double[] squaredNorms(double[] x, int rows) {
    double[] out = new double[rows];
    for (int i = 0; i < rows; i++) {
      double s = 0;
      for (int c = 0; c < dim; c++) {
        double v = x[i * dim + c];
        s += v * v;
      }
      out[i] = s;
    }
    return out;
  }

  /** Bytes held by the directions. */
  public long bytes() {
    return 8L * directions.length;
  }
}
