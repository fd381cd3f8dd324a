package org.scatterbrain.core;

import java.util.Objects;
import org.ojalgo.matrix.store.MatrixStore;
import org.scatterbrain.core.linalg.RowMajor;

/**
 * One attention problem: queries Q (n x d), keys K (m x d), values V (m x dv) and the logit scale tau, so that
 * exact attention is {@code softmax_row(tau Q K^T) V}.
 *
 * <p>The default scale is {@code 1/sqrt(d)}; the paper's temperature sweeps multiply it ({@link #withTemperature}),
 * and some models pass their own (spec section 1, pitfall P14), so it is always overridable.
 *
 * <p>Construction validates shapes and finiteness and takes a row-major copy of each matrix, so later changes to the
 * caller's matrices do not affect this object (the matrices passed in are not modified). Memory: O((n + m) d).
 */
public final class AttentionInputs {
  private final int n;
  private final int m;
  private final int d;
  private final int dv;
  private final double scale;
  private final boolean causal;
  private final double[] q;
  private final double[] k;
  private final double[] v;
  private final double maxQueryNorm;
  private final double maxKeyNorm;

  private AttentionInputs(int n, int m, int d, int dv, double scale, boolean causal, double[] q, double[] k, double[] v,
      double maxQueryNorm, double maxKeyNorm) {
    this.n = n;
    this.m = m;
    this.d = d;
    this.dv = dv;
    this.scale = scale;
    this.causal = causal;
    this.q = q;
    this.k = k;
    this.v = v;
    this.maxQueryNorm = maxQueryNorm;
    this.maxKeyNorm = maxKeyNorm;
  }

  /** Inputs with the default scale {@code 1/sqrt(d)}. Not modified: the three matrices. */
  public static AttentionInputs of(
      MatrixStore<Double> queries, MatrixStore<Double> keys, MatrixStore<Double> values) {
    Objects.requireNonNull(queries, "queries");
    return of(queries, keys, values, 1.0 / Math.sqrt(queries.countColumns()));
  }

  /** Inputs with an explicit logit scale tau. Not modified: the three matrices. */
  public static AttentionInputs of(
      MatrixStore<Double> queries, MatrixStore<Double> keys, MatrixStore<Double> values, double scale) {
    Objects.requireNonNull(queries, "queries");
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(values, "values");
    long n = queries.countRows();
    long d = queries.countColumns();
    long m = keys.countRows();
    if (n == 0 || d == 0) {
      throw new IllegalArgumentException("queries must be non-empty, got " + shape(queries));
    }
    if (m == 0) {
      throw new IllegalArgumentException("keys must be non-empty, got " + shape(keys));
    }
    if (keys.countColumns() != d) {
      throw new IllegalArgumentException(
          "queries and keys must have the same column count (head dim): queries is "
              + shape(queries)
              + ", keys is "
              + shape(keys));
    }
    if (values.countRows() != m) {
      throw new IllegalArgumentException(
          "keys and values must have the same row count: keys is "
              + shape(keys)
              + ", values is "
              + shape(values));
    }
    if (values.countColumns() == 0) {
      throw new IllegalArgumentException("values must be non-empty, got " + shape(values));
    }
    double[] qq = RowMajor.copyOf(queries);
    double[] kk = RowMajor.copyOf(keys);
    double[] vv = RowMajor.copyOf(values);
    return ofRowMajor(
        (int) n, (int) m, (int) d, (int) values.countColumns(), qq, kk, vv, scale, false);
  }

  /**
   * Inputs from row-major arrays: {@code q} is n x d, {@code k} is m x d, {@code v} is m x dv. The arrays are copied.
   */
  public static AttentionInputs ofRowMajor(
      int n, int m, int d, int dv, double[] q, double[] k, double[] v, double scale) {
    return ofRowMajor(n, m, d, dv, q.clone(), k.clone(), v.clone(), scale, true);
  }

  private static AttentionInputs ofRowMajor(
      int n, int m, int d, int dv, double[] q, double[] k, double[] v, double scale, boolean check) {
    if (check) {
      Checks.requirePositive(n, "n (query rows)");
      Checks.requirePositive(m, "m (key rows)");
      Checks.requirePositive(d, "d (head dim)");
      Checks.requirePositive(dv, "dv (value dim)");
      requireLength(q, (long) n * d, "queries", n, d);
      requireLength(k, (long) m * d, "keys", m, d);
      requireLength(v, (long) m * dv, "values", m, dv);
    }
    if (!(scale > 0) || !Double.isFinite(scale)) {
      throw new IllegalArgumentException("scale (tau) must be finite and > 0, got " + scale);
    }
    requireFinite(q, "queries", n, d);
    requireFinite(k, "keys", m, d);
    requireFinite(v, "values", m, dv);
    double qn = maxNorm(q, n, d);
    double kn = maxNorm(k, m, d);
    double bound = logitBound(scale, qn, kn);
    if (!Double.isFinite(bound)) {
      throw new IllegalArgumentException(
          "the logits overflow a double: scale (tau) x max|q| x max|k| = " + scale + " x " + qn + " x " + kn
              + " is not finite; allowed: a scale and norms whose product is below " + Double.MAX_VALUE);
    }
    return new AttentionInputs(n, m, d, dv, scale, false, q, k, v, qn, kn);
  }

  /**
   * The largest possible |logit| {@code tau |q| |k|} (Cauchy-Schwarz) of queries and keys with the given largest norms:
   * when it is finite, every logit is, and exact attention (which only exponentiates differences to the row maximum)
   * is well defined at any temperature.
   */
  public static double logitBound(double scale, double maxQueryNorm, double maxKeyNorm) {
    return scale * maxQueryNorm * maxKeyNorm;
  }

  /** The largest Euclidean norm of the query rows (computed once, when the inputs are made). */
  public double maxQueryNorm() {
    return maxQueryNorm;
  }

  /** The largest Euclidean norm of the key rows (computed once, when the inputs are made). */
  public double maxKeyNorm() {
    return maxKeyNorm;
  }

  /** The largest Euclidean norm of the rows of a row-major rows x d array (scaled to avoid overflow). */
  public static double maxNorm(double[] x, int rows, int d) {
    double best = 0;
    for (int i = 0; i < rows; i++) {
      double big = 0;
      for (int c = 0; c < d; c++) {
        big = Math.max(big, Math.abs(x[i * d + c]));
      }
      if (big == 0) {
        continue;
      }
      double s = 0;
      for (int c = 0; c < d; c++) {
        double y = x[i * d + c] / big;
        s += y * y;
      }
      best = Math.max(best, big * Math.sqrt(s));
    }
    return best;
  }

  private static void requireLength(double[] a, long expected, String name, int rows, int cols) {
    if (a.length != expected) {
      throw new IllegalArgumentException(
          name + " has " + a.length + " entries, expected " + rows + "x" + cols + " = " + expected);
    }
  }

  private static void requireFinite(double[] a, String name, int rows, int cols) {
    for (int idx = 0; idx < a.length; idx++) {
      if (!Double.isFinite(a[idx])) {
        throw new IllegalArgumentException(
            name
                + " ("
                + rows
                + "x"
                + cols
                + ") must be finite, but entry ("
                + idx / cols
                + ", "
                + idx % cols
                + ") is "
                + a[idx]);
      }
    }
  }

  private static String shape(MatrixStore<Double> s) {
    return s.countRows() + "x" + s.countColumns();
  }

  /** The same matrices with logit scale {@code tau}. */
  public AttentionInputs withScale(double tau) {
    return ofRowMajor(n, m, d, dv, q, k, v, tau, false).withCausal(causal);
  }

  /**
   * The same problem with the causal (decoder) mask on or off. Under the mask, query i sees key j only when
   * {@code j <= i + (m - n)}: queries are the last n of the m positions (with m = n, each query sees itself and the
   * keys before it; with m > n, the earlier keys are a cache every query sees), so every query sees at least one key.
   *
   * @throws IllegalArgumentException when causal and m < n (the first queries would see no key)
   */
  public AttentionInputs withCausal(boolean causal) {
    if (causal && m < n) {
      throw new IllegalArgumentException("a causal mask needs at least as many keys as queries (query i sees keys "
          + "0..i + m - n), got n = " + n + " queries and m = " + m + " keys");
    }
    return causal == this.causal ? this
        : new AttentionInputs(n, m, d, dv, scale, causal, q, k, v, maxQueryNorm, maxKeyNorm);
  }

  /** Whether the causal mask applies ({@link #withCausal}). */
  public boolean causal() {
    return causal;
  }

  /**
   * The keys query i sees: {@code [0, visibleKeys(i))}, i.e. m without the mask and {@code i + m - n + 1} with it.
   */
  public int visibleKeys(int i) {
    return causal ? i + m - n + 1 : m;
  }

  /** The same matrices with scale {@code beta / sqrt(d)}: beta is the paper's inverse-temperature multiplier. */
  public AttentionInputs withTemperature(double beta) {
    return withScale(temperatureScale(beta, d));
  }

  /**
   * The logit scale {@code beta / sqrt(d)} of inverse-temperature multiplier beta at head dim d (the one place this
   * formula is written).
   */
  public static double temperatureScale(double beta, int d) {
    Checks.requirePositiveFinite(beta, "temperature multiplier beta");
    Checks.requirePositive(d, "d (head dim)");
    return beta / Math.sqrt(d);
  }

  /** Number of queries n. */
  public int queryCount() {
    return n;
  }

  /** Number of keys (and values) m. */
  public int keyCount() {
    return m;
  }

  /** Head dimension d (columns of Q and K). */
  public int headDim() {
    return d;
  }

  /** Value dimension dv (columns of V). */
  public int valueDim() {
    return dv;
  }

  /** The logit scale tau. */
  public double scale() {
    return scale;
  }

  /** Row-major n x d queries. Shared internal storage: callers inside {@code core} must not modify it. */
  public double[] queriesRowMajor() {
    return q;
  }

  /** Row-major m x d keys. Shared internal storage: callers inside {@code core} must not modify it. */
  public double[] keysRowMajor() {
    return k;
  }

  /** Row-major m x dv values. Shared internal storage: callers inside {@code core} must not modify it. */
  public double[] valuesRowMajor() {
    return v;
  }

  /** Q as a fresh ojAlgo matrix. */
  public MatrixStore<Double> queries() {
    return RowMajor.toStore(q, n, d);
  }

  /** K as a fresh ojAlgo matrix. */
  public MatrixStore<Double> keys() {
    return RowMajor.toStore(k, m, d);
  }

  /** V as a fresh ojAlgo matrix. */
  public MatrixStore<Double> values() {
    return RowMajor.toStore(v, m, dv);
  }

  /** Inputs with keys and values permuted together: key row {@code j} of the result is key row {@code perm[j]}. */
  public AttentionInputs permuteKeys(int[] perm) {
    if (causal) {
      throw new IllegalArgumentException("keys cannot be permuted under the causal mask: it depends on their order");
    }
    if (perm.length != m) {
      throw new IllegalArgumentException("perm has length " + perm.length + ", expected m = " + m);
    }
    boolean[] seen = new boolean[m];
    for (int j = 0; j < m; j++) {
      int p = perm[j];
      if (p < 0 || p >= m || seen[p]) {
        throw new IllegalArgumentException(
            "perm must be a permutation of 0.." + (m - 1) + ", but entry " + j + " is " + p);
      }
      seen[p] = true;
    }
    double[] k2 = new double[k.length];
    double[] v2 = new double[v.length];
    for (int j = 0; j < m; j++) {
      System.arraycopy(k, perm[j] * d, k2, j * d, d);
      System.arraycopy(v, perm[j] * dv, v2, j * dv, dv);
    }
    return new AttentionInputs(n, m, d, dv, scale, false, q, k2, v2, maxQueryNorm, maxKeyNorm);
  }

  @Override
  public String toString() {
    return "AttentionInputs[n=" + n + ", m=" + m + ", d=" + d + ", dv=" + dv + ", scale=" + scale + (causal ? ", causal" : "") + "]";
  }
}
