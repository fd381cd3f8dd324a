package org.scatterbrain.core;

import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.ojalgo.matrix.decomposition.SingularValue;
import org.ojalgo.matrix.store.MatrixStore;
import org.scatterbrain.core.linalg.ExactKernel;
import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.core.linalg.Parallel;
import org.scatterbrain.core.linalg.RowMajor;
import org.scatterbrain.core.metrics.AllocationMeter;
import org.scatterbrain.core.metrics.MemoryFootprint;
import org.scatterbrain.core.sparse.SparseSupport;

/**
 * Nystrom attention (Xiong et al. 2021, "Nystromformer"): with landmarks Qt, Kt (L x d, the means of L contiguous,
 * nearly equal segments of the queries and of the keys),
 *
 * <pre>
 *   A_hat = softmax(tau Q Kt^T) pinv(softmax(tau Qt Kt^T)) softmax(tau Qt K^T)      (n x L)(L x L)(L x m)
 * </pre>
 *
 * and {@code out = A_hat V}, evaluated right to left so nothing larger than n x L or L x m exists; the last factor
 * times V is exact attention of the landmark queries. The pseudo-inverse is the paper's iterative one ({@link
 * NystromConfig#pinvIterations}, 6 iterations by default), or an SVD one. Deterministic: no random draws. Rows of
 * A_hat sum to about 1 (exactly when the middle kernel is inverted exactly), and entries can be negative. Cost O((n +
 * m) L (d + dv) + L^3).
 */
public final class NystromAttention implements AttentionEstimator {
  private final NystromConfig config;
  private final boolean parallel;

  NystromAttention(NystromConfig config, boolean parallel) {
    this.config = Objects.requireNonNull(config, "config");
    this.parallel = parallel;
  }

  @Override
  public NystromConfig config() {
    return config;
  }

  @Override
  public Estimate estimate(AttentionInputs in, RandomGenerator rng) {
    Checks.requireCausalForm(config, in);
    config.validateFor(in.queryCount(), in.keyCount());
    AllocationMeter meter = AllocationMeter.start(parallel);
    int n = in.queryCount();
    int m = in.keyCount();
    int d = in.headDim();
    int dv = in.valueDim();
    int l = config.landmarks();
    double tau = in.scale();
    double[] ql = segmentMeans(in.queriesRowMajor(), n, d, l);
    double[] kl = segmentMeans(in.keysRowMajor(), m, d, l);
    double[] klT = RowMajor.transpose(kl, l, d);
    double[] f1 = softmaxRows(in.queriesRowMajor(), n, klT, l, d, tau); // n x L
    double[] a2 = softmaxRows(ql, l, klT, l, d, tau); // L x L
    double[] pinv =
        config.pinvIterations() > 0 ? iterativePseudoInverse(a2, l, config.pinvIterations()) : pseudoInverse(a2, l);
    double[] kT = RowMajor.transpose(in.keysRowMajor(), m, d);
    ExactKernel.Result f3v = ExactKernel.attend(ql, l, kT, in.valuesRowMajor(), m, d, dv, tau, false);
    double[] w = new double[l * dv]; // pinv (F3 V)
    Gemm.multiplyAdd(pinv, 0, l, f3v.output(), 0, dv, w, 0, dv, l, l, dv);
    double[] out = new double[n * dv];
    Gemm.multiplyAdd(f1, 0, l, w, 0, dv, out, 0, dv, n, l, dv);
    long allocated = meter.stop();
    long stored = 8L * ((long) n * l + (long) l * l + (long) l * dv + 2L * l * d);
    MemoryFootprint mem =
        new MemoryFootprint(config.entriesPerRow(n, m), config.entriesPerRow(n, m) * n, stored, allocated);
    return new Estimate(
        "nystrom", n, dv, out, mem, 0, new Rows(in, f1, pinv, ql, f3v.logNormalizer(), l));
  }

  private static double[] segmentMeans(double[] x, int rows, int d, int segments) {
    double[] out = new double[segments * d];
    for (int s = 0; s < segments; s++) {
      int r0 = (int) ((long) s * rows / segments);
      int r1 = (int) ((long) (s + 1) * rows / segments);
      for (int r = r0; r < r1; r++) {
        for (int c = 0; c < d; c++) {
          out[s * d + c] += x[r * d + c];
        }
      }
      double inv = 1.0 / (r1 - r0);
      for (int c = 0; c < d; c++) {
        out[s * d + c] *= inv;
      }
    }
    return out;
  }

  /** Row softmax of tau X Y^T, with Y given transposed (d x cols). */
  private static double[] softmaxRows(double[] x, int rows, double[] yT, int cols, int d, double tau) {
    double[] xs = new double[rows * d];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = tau * x[i];
    }
    double[] s = new double[rows * cols];
    Gemm.multiplyAdd(xs, 0, d, yT, 0, cols, s, 0, cols, rows, d, cols);
    for (int i = 0; i < rows; i++) {
      int o = i * cols;
      double mx = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < cols; j++) {
        mx = Math.max(mx, s[o + j]);
      }
      double sum = 0;
      for (int j = 0; j < cols; j++) {
        double e = Math.exp(s[o + j] - mx);
        s[o + j] = e;
        sum += e;
      }
      double inv = 1.0 / sum;
      for (int j = 0; j < cols; j++) {
        s[o + j] *= inv;
      }
    }
    return s;
  }

  /** SVD pseudo-inverse; singular values below 1e-10 of the largest count as zero (numerical rank). */
  private static double[] pseudoInverse(double[] a, int l) {
    requireFinite(a, l);
    MatrixStore<Double> store = RowMajor.toStore(a, l, l);
    SingularValue<Double> svd = SingularValue.R064.make(store);
    if (!svd.decompose(store)) {
      throw new ArithmeticException("SVD of the " + l + "x" + l + " landmark kernel failed");
    }
    double[] s = svd.getSingularValues().toRawCopy1D();
    double largest = 0;
    for (double x : s) {
      largest = Math.max(largest, x);
    }
    double cut = 1e-10 * largest;
    MatrixStore<Double> uStore = svd.getU();
    MatrixStore<Double> vStore = svd.getV();
    int ru = (int) uStore.countColumns();
    int rv = (int) vStore.countColumns();
    double[] u = RowMajor.copyOf(uStore);
    double[] v = RowMajor.copyOf(vStore);
    double[] out = new double[l * l];
    for (int x = 0; x < Math.min(s.length, Math.min(ru, rv)); x++) {
      if (!(s[x] > cut)) {
        continue;
      }
      double inv = 1.0 / s[x];
      for (int i = 0; i < l; i++) {
        double vi = v[i * rv + x] * inv;
        for (int j = 0; j < l; j++) {
          out[i * l + j] += vi * u[j * ru + x];
        }
      }
    }
    return out;
  }

  /**
   * The Nystromformer's iterative pseudo-inverse (Xiong et al. 2021, eq. 12): {@code Z_0 = A^T / (||A||_1
   * ||A||_inf)}, then {@code Z <- Z (13 I - A Z (15 I - A Z (7 I - A Z))) / 4}. It converges to the pseudo-inverse
   * of a full-rank kernel; after the paper's 6 iterations the tiny singular values of an ill-conditioned kernel are
   * not yet inverted, which is what keeps the estimate bounded. Cost 4 L^3 multiply-adds per iteration.
   */
  static double[] iterativePseudoInverse(double[] a, int l, int iterations) {
    requireFinite(a, l);
    double norm1 = 0;
    double normInf = 0;
    for (int i = 0; i < l; i++) {
      double row = 0;
      double col = 0;
      for (int j = 0; j < l; j++) {
        row += Math.abs(a[i * l + j]);
        col += Math.abs(a[j * l + i]);
      }
      normInf = Math.max(normInf, row);
      norm1 = Math.max(norm1, col);
    }
    double[] z = RowMajor.transpose(a, l, l);
    double scale = 1.0 / (norm1 * normInf);
    for (int x = 0; x < z.length; x++) {
      z[x] *= scale;
    }
    double[] az = new double[l * l];
    double[] t = new double[l * l];
    double[] u = new double[l * l];
    for (int it = 0; it < iterations; it++) {
      Parallel.checkInterrupted();
      java.util.Arrays.fill(az, 0.0);
      Gemm.multiplyAdd(a, 0, l, z, 0, l, az, 0, l, l, l, l);
      // t = 7 I - AZ; u = 15 I - AZ t; t = 13 I - AZ u; z = Z t / 4
      shiftedNegative(az, 7, t, l);
      java.util.Arrays.fill(u, 0.0);
      Gemm.multiplyAdd(az, 0, l, t, 0, l, u, 0, l, l, l, l);
      shiftedNegative(u, 15, u, l);
      java.util.Arrays.fill(t, 0.0);
      Gemm.multiplyAdd(az, 0, l, u, 0, l, t, 0, l, l, l, l);
      shiftedNegative(t, 13, t, l);
      java.util.Arrays.fill(u, 0.0);
      Gemm.multiplyAdd(z, 0, l, t, 0, l, u, 0, l, l, l, l);
      for (int x = 0; x < z.length; x++) {
        z[x] = 0.25 * u[x];
      }
    }
    return z;
  }

  /** {@code dst = c I - src} (src and dst may be the same array). */
  private static void shiftedNegative(double[] src, double c, double[] dst, int l) {
    for (int x = 0; x < l * l; x++) {
      dst[x] = -src[x];
    }
    for (int i = 0; i < l; i++) {
      dst[i * l + i] += c;
    }
  }

  /** The landmark kernel is a softmax of finite logits: a non-finite entry is a bug upstream, reported, not iterated. */
  private static void requireFinite(double[] a, int l) {
    for (int x = 0; x < a.length; x++) {
      if (!Double.isFinite(a[x])) {
        throw new ArithmeticException("the " + l + "x" + l + " landmark kernel has a non-finite entry at (" + x / l
            + ", " + x % l + "): " + a[x]);
      }
    }
  }

  /**
   * Rows F1 (pinv F3), with F3 = softmax(tau Qt K^T) recomputed from the landmark log-normalisers on the first
   * request (error metrics only), so an estimate without metrics does not pay for it.
   */
  private static final class Rows implements ApproximateAttention {
    private final AttentionInputs in;
    private final double[] f1;
    private final double[] pinv;
    private final double[] ql;
    private final double[] qlLogZ;
    private final int l;
    private volatile double[] right; // L x m: pinv F3

    Rows(AttentionInputs in, double[] f1, double[] pinv, double[] ql, double[] qlLogZ, int l) {
      this.in = in;
      this.f1 = f1;
      this.pinv = pinv;
      this.ql = ql;
      this.qlLogZ = qlLogZ;
      this.l = l;
    }

    private double[] right() {
      double[] r = right;
      if (r != null) {
        return r;
      }
      int m = in.keyCount();
      int d = in.headDim();
      double[] kT = RowMajor.transpose(in.keysRowMajor(), m, d);
      double[] qs = new double[l * d];
      for (int x = 0; x < qs.length; x++) {
        qs[x] = in.scale() * ql[x];
      }
      double[] f3 = new double[l * m];
      Gemm.multiplyAdd(qs, 0, d, kT, 0, m, f3, 0, m, l, d, m);
      for (int row = 0; row < l; row++) {
        for (int j = 0; j < m; j++) {
          f3[row * m + j] = Math.exp(f3[row * m + j] - qlLogZ[row]);
        }
      }
      r = new double[l * m];
      Gemm.multiplyAdd(pinv, 0, l, f3, 0, m, r, 0, m, l, l, m);
      right = r;
      return r;
    }

    @Override
    public int queryCount() {
      return in.queryCount();
    }

    @Override
    public int keyCount() {
      return in.keyCount();
    }

    @Override
    public void rows(int from, int to, double[] dst) {
      int m = in.keyCount();
      Arrays.fill(dst, 0, (to - from) * m, 0.0);
      Gemm.multiplyAdd(f1, from * l, l, right(), 0, m, dst, 0, m, to - from, l, m);
    }

    @Override
    public double logNormalizer(int i) {
      double[] row = new double[in.keyCount()];
      rows(i, i + 1, row);
      double s = 0;
      for (double x : row) {
        s += x;
      }
      return Math.log(s);
    }

    @Override
    public SparseSupport support() {
      return null;
    }
  }
}
