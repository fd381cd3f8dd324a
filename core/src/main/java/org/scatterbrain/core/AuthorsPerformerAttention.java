package org.scatterbrain.core;

import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.scatterbrain.core.features.CausalPrefixSums;
import org.scatterbrain.core.features.ProjectionMatrix;
import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.core.linalg.Parallel;
import org.scatterbrain.core.linalg.RowMajor;
import org.scatterbrain.core.metrics.AllocationMeter;
import org.scatterbrain.core.metrics.MemoryFootprint;
import org.scatterbrain.core.sparse.SparseSupport;

/**
 * The authors' Performer ({@link AuthorsPerformerConfig}), computed as their formula states (features in double).
 * Draws: two longs (Draws), the projection from the feature stream, as {@link PerformerAttention}. Cost O((n + m) F
 * (d + dv)); memory O((n + m) F).
 *
 * <p>Causal inputs: the authors' causal mode, prefix sums over keys ({@link CausalPrefixSums}), {@code out_i = sum_{j
 * <= i'} phi(q_i) . phi(k_j) v_j / (sum_{j <= i'} phi(q_i) . phi(k_j) + normalizerEps)} with {@code i' = i + m - n},
 * except for the key stabiliser: their c, the largest u over all keys, would make every row depend on later keys
 * (through eps, which does not cancel), so row i's keys use the largest u over the keys it sees. Without eps the two
 * agree exactly; with eps this is the causal reading of their formula.
 */
public final class AuthorsPerformerAttention implements AttentionEstimator {
  private final AuthorsPerformerConfig config;
  private final boolean parallel;

  AuthorsPerformerAttention(AuthorsPerformerConfig config, boolean parallel) {
    this.config = Objects.requireNonNull(config, "config");
    this.parallel = parallel;
  }

  @Override
  public AuthorsPerformerConfig config() {
    return config;
  }

  @Override
  public Estimate estimate(AttentionInputs in, RandomGenerator rng) {
    Checks.requireCausalForm(config, in);
    ProjectionMatrix w = Draws.split(rng).sampleFeatures(config.projection(), in.headDim()).projection();
    return estimate(in, w);
  }

  /** The estimate with an explicit projection (F x d), to check the formula against another implementation. */
  public Estimate estimate(AttentionInputs in, ProjectionMatrix projection) {
    Checks.requireCausalForm(config, in);
    AllocationMeter meter = AllocationMeter.start(parallel);
    int n = in.queryCount();
    int m = in.keyCount();
    int d = in.headDim();
    int dv = in.valueDim();
    int f = projection.rows();
    double sqrtTau = Math.sqrt(in.scale());
    double[] wt = RowMajor.transpose(RowMajor.copyOf(projection.toMatrix()), f, d);
    double[] uq = exponents(in.queriesRowMajor(), n, d, f, wt, sqrtTau);
    double[] uk = exponents(in.keysRowMajor(), m, d, f, wt, sqrtTau);
    double inv = 1.0 / Math.sqrt(f);
    double eps = config.featureEps();
    // queries: c = the row's largest u; keys: c = the largest u over all keys (the exponents hold u - |x'|^2 / 2;
    // the maxima are of u alone, as in the reference)
    double[] uMaxQ = maxOfU(in.queriesRowMajor(), n, d, f, wt, sqrtTau);
    if (in.causal()) {
      return causal(in, uq, uk, uMaxQ, maxOfU(in.keysRowMajor(), m, d, f, wt, sqrtTau), f, meter);
    }
    double keyMax = Arrays.stream(maxOfU(in.keysRowMajor(), m, d, f, wt, sqrtTau)).max().orElse(0);
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < f; k++) {
        uq[i * f + k] = (Math.exp(uq[i * f + k] - uMaxQ[i]) + eps) * inv;
      }
    }
    for (int j = 0; j < m; j++) {
      for (int k = 0; k < f; k++) {
        uk[j * f + k] = (Math.exp(uk[j * f + k] - keyMax) + eps) * inv;
      }
    }
    int width = dv + 1;
    double[] v1 = new double[m * width];
    for (int j = 0; j < m; j++) {
      System.arraycopy(in.valuesRowMajor(), j * dv, v1, j * width, dv);
      v1[j * width + dv] = 1.0;
    }
    double[] kvT = new double[f * width];
    Gemm.multiplyAdd(RowMajor.transpose(uk, m, f), 0, m, v1, 0, width, kvT, 0, width, f, m, width);
    double[] numDen = new double[n * width];
    Gemm.multiplyAdd(uq, 0, f, kvT, 0, width, numDen, 0, width, n, f, width);
    double[] out = new double[n * dv];
    double[] den = new double[n];
    double[] logZ = new double[n];
    for (int i = 0; i < n; i++) {
      den[i] = numDen[i * width + dv] + config.normalizerEps();
      for (int c = 0; c < dv; c++) {
        out[i * dv + c] = numDen[i * width + c] / den[i];
      }
      logZ[i] = Math.log(den[i]) + uMaxQ[i] + keyMax;
    }
    long allocated = meter.stop();
    long stored = 8L * ((long) (n + m) * f + (long) n * width + (long) f * width + (long) f * d);
    MemoryFootprint mem = new MemoryFootprint(config.entriesPerRow(n, m), config.entriesPerRow(n, m) * n, stored,
        allocated);
    return new Estimate("performer-authors", n, dv, out, mem, 0, new Rows(uq, uk, den, logZ, n, m, f));
  }

  /**
   * The causal form: query features as in the bidirectional form, key j's in units of {@code exp(kappa_j)} with kappa
   * the running maximum of the keys' largest u, and the eps part of every key feature summed separately.
   */
  private Estimate causal(
      AttentionInputs in, double[] uq, double[] uk, double[] uMaxQ, double[] uMaxK, int f, AllocationMeter meter) {
    int n = in.queryCount();
    int m = in.keyCount();
    int dv = in.valueDim();
    double inv = 1.0 / Math.sqrt(f);
    double eps = config.featureEps();
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < f; k++) {
        uq[i * f + k] = (Math.exp(uq[i * f + k] - uMaxQ[i]) + eps) * inv;
      }
    }
    double[] kappa = new double[m];
    double run = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < m; j++) {
      run = Math.max(run, uMaxK[j]);
      kappa[j] = run;
      for (int k = 0; k < f; k++) {
        uk[j * f + k] = Math.exp(uk[j * f + k] - run);
      }
    }
    int width = dv + 1;
    double[] v1 = new double[m * width];
    for (int j = 0; j < m; j++) {
      System.arraycopy(in.valuesRowMajor(), j * dv, v1, j * width, dv);
      v1[j * width + dv] = 1.0;
    }
    double[] numDen = CausalPrefixSums.compute(uq, n, f, uk, kappa, m, v1, width, eps);
    double[] out = new double[n * dv];
    double[] den = new double[n];
    double[] logZ = new double[n];
    int offset = m - n;
    for (int i = 0; i < n; i++) {
      den[i] = numDen[i * width + dv] * inv + config.normalizerEps();
      for (int c = 0; c < dv; c++) {
        out[i * dv + c] = numDen[i * width + c] * inv / den[i];
      }
      logZ[i] = Math.log(den[i]) + uMaxQ[i] + kappa[i + offset];
    }
    long allocated = meter.stop();
    long stored = 8L * ((long) (n + m) * f + (long) n * width + m + (long) f * in.headDim())
        + CausalPrefixSums.scratchBytes(f, width);
    double perRow = config.entriesPerRow(n, m, true);
    MemoryFootprint mem = new MemoryFootprint(perRow, perRow * n, stored, allocated);
    return new Estimate("performer-authors", n, dv, out, mem, 0,
        Rows.causal(uq, uk, kappa, eps * inv, inv, den, logZ, n, m, f));
  }

  /** {@code u - |x'|^2 / 2} with {@code u = W x'}, {@code x' = sqrt(tau) x}: rows x F. */
  private double[] exponents(double[] x, int rows, int d, int f, double[] wt, double sqrtTau) {
    double[] u = new double[rows * f];
    Gemm.multiplyAdd(x, 0, d, wt, 0, f, u, 0, f, rows, d, f);
    for (int i = 0; i < rows; i++) {
      Parallel.checkInterrupted();
      double sq = 0;
      for (int t = 0; t < d; t++) {
        sq += x[i * d + t] * x[i * d + t];
      }
      double half = 0.5 * sqrtTau * sqrtTau * sq;
      for (int k = 0; k < f; k++) {
        u[i * f + k] = sqrtTau * u[i * f + k] - half;
      }
    }
    return u;
  }

  /** Per row, the largest {@code u = W x'}. */
  private static double[] maxOfU(double[] x, int rows, int d, int f, double[] wt, double sqrtTau) {
    double[] u = new double[rows * f];
    Gemm.multiplyAdd(x, 0, d, wt, 0, f, u, 0, f, rows, d, f);
    double[] out = new double[rows];
    for (int i = 0; i < rows; i++) {
      double mx = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < f; k++) {
        mx = Math.max(mx, sqrtTau * u[i * f + k]);
      }
      out[i] = mx;
    }
    return out;
  }

  /**
   * Rows {@code phi(q_i) . phi(k_j) / den_i} (not quite summing to 1: the normaliser's eps). Causal ({@code kappa}
   * non-null): key j's features are {@code (khat_j exp(kappa_j - kappa_{L_i}) + eps) / sqrt(F)} for the keys row i sees
   * (up to {@code L_i = i + m - n}), and 0 for later keys; {@code keys} then holds khat, else the final phi(k).
   */
  private static final class Rows implements ApproximateAttention {
    private final double[] phiQ;
    private final double[] keysT;
    private final double[] kappa;
    private final double epsTerm;
    private final double inv;
    private final double[] den;
    private final double[] logZ;
    private final int n;
    private final int m;
    private final int f;

    private Rows(double[] phiQ, double[] keys, double[] kappa, double epsTerm, double inv, double[] den,
        double[] logZ, int n, int m, int f) {
      this.phiQ = phiQ;
      this.keysT = RowMajor.transpose(keys, m, f);
      this.kappa = kappa;
      this.epsTerm = epsTerm;
      this.inv = inv;
      this.den = den;
      this.logZ = logZ;
      this.n = n;
      this.m = m;
      this.f = f;
    }

    /** Bidirectional rows from the final features phi(q) and phi(k). */
    Rows(double[] phiQ, double[] phiK, double[] den, double[] logZ, int n, int m, int f) {
      this(phiQ, phiK, null, 0, 1, den, logZ, n, m, f);
    }

    /** Causal rows from phi(q), the stabilised key features khat and their prefix maxima kappa. */
    static Rows causal(double[] phiQ, double[] khat, double[] kappa, double epsTerm, double inv, double[] den,
        double[] logZ, int n, int m, int f) {
      return new Rows(phiQ, khat, kappa, epsTerm, inv, den, logZ, n, m, f);
    }

    @Override
    public int queryCount() {
      return n;
    }

    @Override
    public int keyCount() {
      return m;
    }

    @Override
    public void rows(int from, int to, double[] dst) {
      Arrays.fill(dst, 0, (to - from) * m, 0.0);
      Gemm.multiplyAdd(phiQ, from * f, f, keysT, 0, m, dst, 0, m, to - from, f, m);
      for (int i = from; i < to; i++) {
        int o = (i - from) * m;
        if (kappa == null) {
          double r = 1.0 / den[i];
          for (int j = 0; j < m; j++) {
            dst[o + j] *= r;
          }
          continue;
        }
        int last = i + m - n;
        double qSum = 0;
        for (int k = 0; k < f; k++) {
          qSum += phiQ[i * f + k];
        }
        for (int j = 0; j <= last; j++) {
          dst[o + j] = (dst[o + j] * Math.exp(kappa[j] - kappa[last]) * inv + epsTerm * qSum) / den[i];
        }
        Arrays.fill(dst, o + last + 1, o + m, 0.0);
      }
    }

    @Override
    public double logNormalizer(int i) {
      return logZ[i];
    }

    @Override
    public SparseSupport support() {
      return null;
    }
  }
}
