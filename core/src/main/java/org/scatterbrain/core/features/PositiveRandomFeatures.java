package org.scatterbrain.core.features;

import java.util.Arrays;
import java.util.Objects;
import org.scatterbrain.core.Checks;
import org.scatterbrain.core.linalg.Exp;
import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.core.linalg.Parallel;
import org.scatterbrain.core.linalg.RowMajor;

/**
 * FAVOR+ positive random features (Choromanski et al. 2021; spec section 2.2): with {@code x' = sqrt(tau) x} and
 * {@code u = W x'},
 *
 * <pre>
 *   phi(x) = exp(u - |x'|^2 / 2) / sqrt(F)                 (F = r features)
 *   phi(x) = exp([u, -u] - |x'|^2 / 2) / sqrt(F)           (antithetic / "cosh": F = 2r features)
 * </pre>
 *
 * so that {@code E[phi(q) . phi(k)] = exp(tau q . k)} for Gaussian rows of W. Features are returned stabilised
 * ({@link FeatureMatrix}): keys with one log scale per feature column, queries per row against those columns, so that
 * no normaliser underflows (pitfall P6). An optional {@code eps / sqrt(F)} is added to every stabilised feature, as
 * the reference does (a data-dependent bias: pitfall P5); the default is 0.
 *
 * <p>Immutable; the same instance is the "draw" shared by Performer and Scatterbrain. Cost: O(n r d) flops and n F
 * exponentials per feature matrix; memory n F.
 */
public final class PositiveRandomFeatures {
  private final ProjectionMatrix projection;
  private final double[] projectionT;
  private final boolean antithetic;
  private final double eps;
  private final double oprfA;
  private final double[] shift;
  private final double slope;

  private PositiveRandomFeatures(ProjectionMatrix projection, boolean antithetic, double eps, double oprfA) {
    this.projection = projection;
    this.projectionT = RowMajor.transpose(projection.rowMajor(), projection.rows(), projection.dim());
    this.antithetic = antithetic;
    this.eps = eps;
    this.oprfA = oprfA;
    this.slope = Math.sqrt(1 - 4 * oprfA);
    int d = projection.dim();
    int r = projection.rows();
    this.shift = new double[r];
    if (oprfA != 0) {
      double lnD = 0.25 * d * Math.log(1 - 4 * oprfA);
      double[] w = projection.rowMajor();
      for (int k = 0; k < r; k++) {
        double s = 0;
        for (int t = 0; t < d; t++) {
          s += w[k * d + t] * w[k * d + t];
        }
        shift[k] = oprfA * s + lnD;
      }
    }
  }

  /** A feature map over an explicit projection; {@code eps >= 0} is added to stabilised features (0 = unbiased). */
  public static PositiveRandomFeatures of(ProjectionMatrix projection, boolean antithetic, double eps) {
    Objects.requireNonNull(projection, "projection");
    Checks.requireNonNegativeFinite(eps, "eps");
    return new PositiveRandomFeatures(projection, antithetic, eps, 0.0);
  }

  /**
   * Optimal positive random features (OPRF, "FAVOR++": Likhosherstov et al. 2022, "Chefs' Random Tables:
   * Non-Trigonometric Random Features", Thm 4.2): {@code phi(x) = D exp(A |w|^2 + B w . x' - |x'|^2 / 2) / sqrt(F)}
   * with {@code B = sqrt(1 - 4A)}, {@code D = (1 - 4A)^(d/4)} and {@code A <= 0} ({@link #optimalA}). For w ~ N(0,
   * I) (every row of a chi-scaled block-orthogonal projection is), {@code E[phi(q) . phi(k)] = exp(tau q . k)} for
   * any such A: the estimate stays unbiased while A shrinks its variance for inputs of the size it was chosen for.
   */
  public static PositiveRandomFeatures oprf(ProjectionMatrix projection, boolean antithetic, double a) {
    Objects.requireNonNull(projection, "projection");
    if (!(a <= 0) || !Double.isFinite(a)) {
      throw new IllegalArgumentException("OPRF parameter A must be finite and <= 0, got " + a);
    }
    return new PositiveRandomFeatures(projection, antithetic, 0.0, a);
  }

  /**
   * The variance-minimising A of OPRF for inputs whose pairs have mean {@code rho = E |q' + k'|^2} ({@code x' =
   * sqrt(tau) x}) in dimension d (Likhosherstov et al. 2022, Thm 4.2): {@code A = (d - 2 rho - sqrt((2 rho + d)^2 +
   * 8 d rho)) / (16 d)}, in (-infinity, 0]; A = 0 (FAVOR+) at rho = 0.
   */
  public static double optimalA(double rho, int d) {
    return (d - 2 * rho - Math.sqrt((2 * rho + d) * (2 * rho + d) + 8.0 * d * rho)) / (16.0 * d);
  }

  /** The OPRF parameter A (0 for FAVOR+). */
  public double oprfA() {
    return oprfA;
  }

  /** The projection W. */
  public ProjectionMatrix projection() {
    return projection;
  }

  /** Whether features are [u, -u] (antithetic, "cosh"). */
  public boolean antithetic() {
    return antithetic;
  }

  /** The eps added to stabilised features. */
  public double eps() {
    return eps;
  }

  /** Feature dimension F: 2r when antithetic, else r. */
  public int featureCount() {
    return antithetic ? 2 * projection.rows() : projection.rows();
  }

  /**
   * Query features stabilised against {@code keys}' column scales (see {@link FeatureMatrix}): each row's largest
   * entry is 1 and its log scale makes {@code phi(q_i) . phi(k_j) = exp(logScale[i]) qbar_i . kbar_j}. Not modified:
   * {@code x}, {@code keys}.
   */
  public FeatureMatrix queries(double[] x, int rows, double tau, FeatureMatrix keys, boolean parallel) {
    if (keys.columnLogScale() == null || keys.features() != featureCount()) {
      throw new IllegalArgumentException("queries must be stabilised against key features of this map");
    }
    double[] columns = keys.columnLogScale();
    double logF = Math.log(featureCount());
    double epsTerm = eps / Math.sqrt(featureCount());
    int f = featureCount();
    double[] values = exponents(x, rows, tau, parallel);
    double[] logScale = new double[rows];
    int chunks = Parallel.chunks(rows, parallel);
    Parallel.forEachChunk(
        chunks,
        parallel,
        c -> {
          for (int i = Parallel.chunkStart(c, chunks, rows); i < Parallel.chunkEnd(c, chunks, rows); i++) {
            int o = i * f;
            double mx = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < f; k++) {
              double w = values[o + k] + columns[k];
              values[o + k] = w;
              mx = Math.max(mx, w);
            }
            Exp.expShifted(values, o, mx, values, o, f);
            if (epsTerm > 0) {
              for (int k = 0; k < f; k++) {
                values[o + k] += epsTerm;
              }
            }
            logScale[i] = mx - logF;
          }
        });
    return new FeatureMatrix(rows, f, values, logScale, null);
  }

  /**
   * Key features with one scale per feature column (see {@link FeatureMatrix}): every column's largest entry is 1.
   * Not modified: {@code x}.
   */
  public FeatureMatrix keys(double[] x, int rows, double tau, boolean parallel) {
    int f = featureCount();
    double epsTerm = eps / Math.sqrt(f);
    double[] values = exponents(x, rows, tau, parallel);
    double[] columns = new double[f];
    java.util.Arrays.fill(columns, Double.NEGATIVE_INFINITY);
    for (int i = 0; i < rows; i++) {
      int o = i * f;
      for (int k = 0; k < f; k++) {
        columns[k] = Math.max(columns[k], values[o + k]);
      }
    }
    int chunks = Parallel.chunks(rows, parallel);
    Parallel.forEachChunk(
        chunks,
        parallel,
        c -> {
          for (int i = Parallel.chunkStart(c, chunks, rows); i < Parallel.chunkEnd(c, chunks, rows); i++) {
            int o = i * f;
            for (int k = 0; k < f; k++) {
              values[o + k] -= columns[k];
            }
            Exp.expShifted(values, o, 0.0, values, o, f);
            if (epsTerm > 0) {
              for (int k = 0; k < f; k++) {
                values[o + k] += epsTerm;
              }
            }
          }
        });
    return new FeatureMatrix(rows, f, values, new double[rows], columns);
  }

  /**
   * Unstabilised log-features {@code e_i} (rows x F, row-major) with {@code phi(x_i)_f = exp(e_if) / sqrt(F)}: the
   * causal form ({@link LowRankPart#computeCausal}) stabilises them against prefix maxima itself. Not modified: {@code
   * x}.
   */
  public double[] logFeatures(double[] x, int rows, double tau, boolean parallel) {
    return exponents(x, rows, tau, parallel);
  }

  /**
   * Log-features without the constant: {@code e_if - |x_i'|^2 / 2} with {@code e_i = [u_i, -u_i]} (or u_i) and
   * {@code u_i = W x_i'}, as a row-major rows x F array.
   */
  private double[] exponents(double[] x, int rows, double tau, boolean parallel) {
    int d = projection.dim();
    int r = projection.rows();
    int f = featureCount();
    if (x.length != (long) rows * d) {
      throw new IllegalArgumentException(
          "input has " + x.length + " entries, expected " + rows + "x" + d + " for this projection");
    }
    double[] values = new double[rows * f];
    double sqrtTau = Math.sqrt(tau);
    int blocks = (rows + BLOCK - 1) / BLOCK;
    int chunks = Parallel.chunks(blocks, parallel);
    Parallel.forEachChunk(
        chunks,
        parallel,
        c -> {
          double[] u = new double[BLOCK * r];
          int i0 = Parallel.chunkStart(c, chunks, blocks) * BLOCK;
          int i1 = Math.min(rows, Parallel.chunkEnd(c, chunks, blocks) * BLOCK);
          for (int b0 = i0; b0 < i1; b0 += BLOCK) {
            Parallel.checkInterrupted();
            int nr = Math.min(BLOCK, i1 - b0);
            Arrays.fill(u, 0.0);
            Gemm.multiplyAdd(x, b0 * d, d, projectionT, 0, r, u, 0, r, nr, d, r);
            for (int ii = 0; ii < nr; ii++) {
              int i = b0 + ii;
              double sq = 0;
              for (int t = 0; t < d; t++) {
                double xi = x[i * d + t];
                sq += xi * xi;
              }
              double half = 0.5 * tau * sq;
              int o = i * f;
              for (int k = 0; k < r; k++) {
                double v = slope * sqrtTau * u[ii * r + k];
                values[o + k] = v - half + shift[k];
                if (antithetic) {
                  values[o + r + k] = -v - half + shift[k];
                }
              }
            }
          }
        });
    return values;
  }

  private static final int BLOCK = 64;
}
