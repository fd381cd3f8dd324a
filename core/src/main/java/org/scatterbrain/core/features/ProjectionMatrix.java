package org.scatterbrain.core.features;

import java.util.random.RandomGenerator;
import org.ojalgo.matrix.store.MatrixStore;
import org.scatterbrain.core.Checks;
import org.scatterbrain.core.linalg.RowMajor;

/**
 * The random projection W (r x d) of a positive random feature map: r rows made of stacked blocks of d orthonormal
 * directions (the Q factor of a Gaussian matrix, sign-corrected so it is Haar distributed), each row then scaled as
 * {@link ProjectionScaling} says. Spec section 2.1; Choromanski et al. 2021, "Rethinking attention with Performers".
 *
 * <p>Either sampled from a caller's generator ({@link #sample}) or given explicitly ({@link #of}), so that results
 * can be checked against another implementation that used the same draw. Immutable. Cost of sampling: O(r d^2).
 */
public final class ProjectionMatrix {
  private final int rows;
  private final int dim;
  private final double[] w;

  private ProjectionMatrix(int rows, int dim, double[] w) {
    this.rows = rows;
    this.dim = dim;
    this.w = w;
  }

  /** An explicit projection (rows x d). Not modified: {@code projection}. */
  public static ProjectionMatrix of(MatrixStore<Double> projection) {
    int r = Math.toIntExact(projection.countRows());
    int d = Math.toIntExact(projection.countColumns());
    return ofRowMajor(RowMajor.copyOf(projection), r, d);
  }

  /** An explicit row-major projection (rows x d); the array is copied. */
  public static ProjectionMatrix ofRowMajor(double[] projection, int rows, int dim) {
    Checks.requirePositive(rows, "projection rows");
    Checks.requirePositive(dim, "projection columns (head dim)");
    if (projection.length != (long) rows * dim) {
      throw new IllegalArgumentException(
          "projection has " + projection.length + " entries, expected " + rows + "x" + dim);
    }
    for (int i = 0; i < projection.length; i++) {
      if (!Double.isFinite(projection[i])) {
        throw new IllegalArgumentException(
            "projection ("
                + rows
                + "x"
                + dim
                + ") must be finite, but entry ("
                + i / dim
                + ", "
                + i % dim
                + ") is "
                + projection[i]);
      }
    }
    return new ProjectionMatrix(rows, dim, projection.clone());
  }

  /**
   * Samples {@code rows} block-orthogonal Gaussian directions in dimension {@code dim} from {@code rng}: ceil(rows /
   * dim) independent blocks, each the sign-corrected Q factor of a dim x dim standard Gaussian matrix, truncated to
   * {@code rows} rows, then scaled.
   */
  public static ProjectionMatrix sample(
      int rows, int dim, ProjectionScaling scaling, RandomGenerator rng) {
    Checks.requirePositive(rows, "projection rows");
    Checks.requirePositive(dim, "head dim");
    double[] w = new double[rows * dim];
    double[] g = new double[dim * dim];
    for (int r0 = 0; r0 < rows; r0 += dim) {
      for (int x = 0; x < g.length; x++) {
        g[x] = rng.nextGaussian();
      }
      // Gram-Schmidt on the columns of G (column c is g[i*dim + c]) gives G = QR with R_cc > 0, which is the QR
      // factorisation after the sign correction Q[:, c] *= sign(R_cc) of spec 2.1; the columns of Q are the rows
      // of this block. Two passes of orthogonalisation keep it orthonormal to round-off.
      orthonormalizeColumns(g, dim);
      int take = Math.min(dim, rows - r0);
      for (int c = 0; c < take; c++) {
        for (int i = 0; i < dim; i++) {
          w[(r0 + c) * dim + i] = g[i * dim + c];
        }
      }
    }
    for (int r = 0; r < rows; r++) {
      double norm;
      if (scaling == ProjectionScaling.CHI) {
        double s = 0;
        for (int i = 0; i < dim; i++) {
          double z = rng.nextGaussian();
          s += z * z;
        }
        norm = Math.sqrt(s);
      } else {
        norm = Math.sqrt(dim);
      }
      for (int i = 0; i < dim; i++) {
        w[r * dim + i] *= norm;
      }
    }
    return new ProjectionMatrix(rows, dim, w);
  }

  private static void orthonormalizeColumns(double[] g, int n) {
    for (int c = 0; c < n; c++) {
      for (int pass = 0; pass < 2; pass++) {
        for (int p = 0; p < c; p++) {
          double dot = 0;
          for (int i = 0; i < n; i++) {
            dot += g[i * n + p] * g[i * n + c];
          }
          for (int i = 0; i < n; i++) {
            g[i * n + c] -= dot * g[i * n + p];
          }
        }
      }
      double norm = 0;
      for (int i = 0; i < n; i++) {
        norm += g[i * n + c] * g[i * n + c];
      }
      norm = Math.sqrt(norm);
      if (!(norm > 1e-300)) {
        throw new ArithmeticException("Gaussian block is numerically singular (column " + c + ")");
      }
      for (int i = 0; i < n; i++) {
        g[i * n + c] /= norm;
      }
    }
  }

  /** The largest Euclidean norm of a row of W. */
  public double maxRowNorm() {
    return org.scatterbrain.core.AttentionInputs.maxNorm(w, rows, dim);
  }

  /** Number of projection rows r. */
  public int rows() {
    return rows;
  }

  /** Input dimension d. */
  public int dim() {
    return dim;
  }

  /** A copy of W as an ojAlgo matrix (rows x d). */
  public MatrixStore<Double> toMatrix() {
    return RowMajor.toStore(w, rows, dim);
  }

  /** Row-major W. Internal storage: not to be modified. */
  double[] rowMajor() {
    return w;
  }
}
