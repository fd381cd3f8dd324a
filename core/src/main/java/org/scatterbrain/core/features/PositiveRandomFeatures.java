package org.scatterbrain.core.features;

import java.util.Arrays;
import java.util.Objects;
import org.scatterbrain.core.Checks;
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
 * so that {@code E[phi(q) . phi(k)] = exp(tau q . k)} for Gaussian rows of W. Features are returned stabilised with
 * a log scale ({@link FeatureMatrix}): queries per row, keys with one shared scale. An optional {@code eps / sqrt(F)} is added
 * to every stabilised feature, as the reference does (a data-dependent bias: pitfall P5); the default is 0.
 *
 * <p>Immutable; the same instance is the "draw" shared by Performer and Scatterbrain. Cost: O(n r d) flops and n F
 * exponentials per feature matrix; memory n F.
 */
public final class PositiveRandomFeatures {
  private final ProjectionMatrix projection;
  private final double[] projectionT;
  private final boolean antithetic;
  private final double eps;

  private PositiveRandomFeatures(ProjectionMatrix projection, boolean antithetic, double eps) {
    this.projection = projection;
    this.projectionT = RowMajor.transpose(projection.rowMajor(), projection.rows(), projection.dim());
    this.antithetic = antithetic;
    this.eps = eps;
  }

  /** A feature map over an explicit projection; {@code eps >= 0} is added to stabilised features (0 = unbiased). */
  public static PositiveRandomFeatures of(ProjectionMatrix projection, boolean antithetic, double eps) {
    Objects.requireNonNull(projection, "projection");
    Checks.requireNonNegativeFinite(eps, "eps");
    return new PositiveRandomFeatures(projection, antithetic, eps);
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

  /** Query features: one log scale per row, each stabilised row has maximum 1. Not modified: {@code x}. */
  public FeatureMatrix queries(double[] x, int rows, double tau, boolean parallel) {
    return map(x, rows, tau, parallel, false);
  }

  /** Key features: one log scale shared by all rows (the maximum over rows and features). Not modified: {@code x}. */
  public FeatureMatrix keys(double[] x, int rows, double tau, boolean parallel) {
    return map(x, rows, tau, parallel, true);
  }

  private FeatureMatrix map(double[] x, int rows, double tau, boolean parallel, boolean shared) {
    int d = projection.dim();
    int r = projection.rows();
    int f = featureCount();
    if (x.length != (long) rows * d) {
      throw new IllegalArgumentException(
          "input has " + x.length + " entries, expected " + rows + "x" + d + " for this projection");
    }
    double[] values = new double[rows * f];
    double[] logScale = new double[rows];
    double sqrtTau = Math.sqrt(tau);
    double halfLogF = 0.5 * Math.log(f);
    int blocks = (rows + BLOCK - 1) / BLOCK;
    int chunks = Parallel.chunks(blocks, parallel);
    // per row: exponents e = [u, -u] (or u) with u = W x'; stabilised values exp(e - max e); the row's own log scale
    // max e - |x'|^2/2 - ln(F)/2
    Parallel.forEachChunk(
        chunks,
        parallel,
        c -> {
          double[] u = new double[BLOCK * r];
          int i0 = Parallel.chunkStart(c, chunks, blocks) * BLOCK;
          int i1 = Math.min(rows, Parallel.chunkEnd(c, chunks, blocks) * BLOCK);
          for (int b0 = i0; b0 < i1; b0 += BLOCK) {
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
              int o = i * f;
              int uo = ii * r;
              double mx = Double.NEGATIVE_INFINITY;
              for (int k = 0; k < r; k++) {
                double v = sqrtTau * u[uo + k];
                u[uo + k] = v;
                mx = Math.max(mx, antithetic ? Math.abs(v) : v);
              }
              for (int k = 0; k < r; k++) {
                values[o + k] = Math.exp(u[uo + k] - mx);
              }
              if (antithetic) {
                for (int k = 0; k < r; k++) {
                  values[o + r + k] = Math.exp(-u[uo + k] - mx);
                }
              }
              logScale[i] = mx - 0.5 * tau * sq - halfLogF;
            }
          }
        });
    double epsTerm = eps / Math.sqrt(f);
    if (shared) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < rows; i++) {
        max = Math.max(max, logScale[i]);
      }
      final double common = max;
      Parallel.forEachChunk(
          chunks,
          parallel,
          c -> {
            int i0 = Parallel.chunkStart(c, chunks, blocks) * BLOCK;
            int i1 = Math.min(rows, Parallel.chunkEnd(c, chunks, blocks) * BLOCK);
            for (int i = i0; i < i1; i++) {
              double shift = Math.exp(logScale[i] - common);
              int o = i * f;
              for (int k = 0; k < f; k++) {
                values[o + k] = values[o + k] * shift + epsTerm;
              }
              logScale[i] = common;
            }
          });
    } else if (epsTerm > 0) {
      for (int k = 0; k < values.length; k++) {
        values[k] += epsTerm;
      }
    }
    return new FeatureMatrix(rows, f, values, logScale);
  }

  private static final int BLOCK = 64;
}
