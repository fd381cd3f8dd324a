package org.scatterbrain.core;

import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.scatterbrain.core.linalg.Parallel;
import org.scatterbrain.core.linalg.RowMajor;
import org.scatterbrain.core.metrics.AllocationMeter;
import org.scatterbrain.core.metrics.MemoryFootprint;
import org.scatterbrain.core.sparse.ExplicitSupport;

/**
 * The oracle reference ({@link OracleConfig}): per row, the exact logits against every key (a block of rows at a
 * time: O(B m) scratch, never n x m), the top-k keys, and the exact normaliser. Output: {@code (sum_{top} e^{s} v +
 * w sum_{rest} v) / Z} with {@code w = (Z - Z_top) / (m - k)} (uniform rest) or {@code sum_{top} e^s v / Z_top}.
 * Deterministic. Cost O(n m (d + log k)) plus O(n k dv); memory O(n k) for the chosen keys.
 *
 * <p>Causal inputs: the same among row i's visible keys {@code j <= i + m - n} only: the top {@code min(k, visible)}
 * of them, and the rest of their exact mass spread uniformly over the other visible keys (masked keys get 0).
 */
public final class OracleAttention implements AttentionEstimator {
  private final OracleConfig config;
  private final boolean parallel;

  OracleAttention(OracleConfig config, boolean parallel) {
    this.config = Objects.requireNonNull(config, "config");
    this.parallel = parallel;
  }

  @Override
  public OracleConfig config() {
    return config;
  }

  @Override
  public Estimate estimate(AttentionInputs in, RandomGenerator rng) {
    Checks.requireCausalForm(config, in);
    config.validateFor(in.queryCount(), in.keyCount());
    AllocationMeter meter = AllocationMeter.start(parallel);
    int n = in.queryCount();
    int m = in.keyCount();
    int dv = in.valueDim();
    int k = config.topK();
    double[] v = in.valuesRowMajor();
    double[] vTotal = new double[dv];
    for (int j = 0; j < m; j++) {
      for (int c = 0; c < dv; c++) {
        vTotal[c] += v[j * dv + c];
      }
    }
    // under the mask, row i's "total" is the sum of its visible values: prefix sums, (m + 1) x dv
    double[] vPrefix = in.causal() ? RowMajor.prefixSums(v, m, dv) : null;
    Logits logits = new Logits(in);
    int[][] top = new int[n][];
    double[] out = new double[n * dv];
    double[] logZ = new double[n]; // of the estimate: Z (uniform rest) or Z_top
    double[] restWeight = new double[n]; // w / Z per off-support key (uniform rest), else 0
    final int block = Math.max(1, Math.min(64, (1 << 16) / m));
    int blocks = (n + block - 1) / block;
    int chunks = Parallel.chunks(blocks, parallel);
    Parallel.forEachChunk(chunks, parallel, ch -> {
      double[] s = new double[block * m];
      double[] scratch = new double[m];
      for (int b = Parallel.chunkStart(ch, chunks, blocks); b < Parallel.chunkEnd(ch, chunks, blocks); b++) {
        Parallel.checkInterrupted();
        int i0 = b * block;
        int rows = Math.min(block, n - i0);
        logits.rows(i0, i0 + rows, s);
        for (int r = 0; r < rows; r++) {
          int i = i0 + r;
          int o = r * m;
          int vis = in.visibleKeys(i);
          int kk = Math.min(k, vis);
          boolean uniformRow = config.uniformRest() && kk < vis;
          int[] keys = topK(s, o, vis, kk, scratch);
          top[i] = keys;
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < vis; j++) {
            max = Math.max(max, s[o + j]);
          }
          double z = 0;
          for (int j = 0; j < vis; j++) {
            z += Math.exp(s[o + j] - max);
          }
          double zTop = 0;
          double[] num = new double[dv];
          double[] vTop = new double[dv];
          for (int j : keys) {
            double w = Math.exp(s[o + j] - max);
            zTop += w;
            for (int c = 0; c < dv; c++) {
              num[c] += w * v[j * dv + c];
              vTop[c] += v[j * dv + c];
            }
          }
          double den = uniformRow ? z : zTop;
          double rest = uniformRow ? Math.max(z - zTop, 0.0) / (vis - kk) : 0.0;
          for (int c = 0; c < dv; c++) {
            double total = vPrefix == null ? vTotal[c] : vPrefix[vis * dv + c];
            out[i * dv + c] = (num[c] + rest * (total - vTop[c])) / den;
          }
          logZ[i] = max + Math.log(den);
          restWeight[i] = rest / den;
        }
      }
    });
    int[][] rowsKeys = top;
    ExplicitSupport support = ExplicitSupport.of(rowsKeys, m);
    long allocated = meter.stop();
    double perRow = config.entriesPerRow(n, m, in.causal());
    MemoryFootprint mem = new MemoryFootprint(perRow, perRow * n,
        support.storedBytes() + 16L * n + (vPrefix == null ? 0 : 8L * vPrefix.length), allocated);
    return new Estimate("oracle", n, dv, out, mem, 0, new Rows(in, support, logZ, restWeight));
  }

  /**
   * The k largest of {@code s[off .. off + m)}, ascending by index; of equal values the lower indices win. O(m)
   * expected (selection of the k-th largest value, then one pass). Modified: {@code scratch}.
   */
  static int[] topK(double[] s, int off, int m, int k, double[] scratch) {
    System.arraycopy(s, off, scratch, 0, m);
    double threshold = select(scratch, m, m - k);
    int above = 0;
    for (int j = 0; j < m; j++) {
      if (s[off + j] > threshold) {
        above++;
      }
    }
    int ties = k - above;
    int[] keys = new int[k];
    int x = 0;
    for (int j = 0; j < m && x < k; j++) {
      double v = s[off + j];
      if (v > threshold || (v == threshold && ties-- > 0)) {
        keys[x++] = j;
      }
    }
    return keys;
  }

  /** The value of rank {@code r} (0-based, ascending) of {@code a[0 .. len)}, by quickselect. Modified: {@code a}. */
  private static double select(double[] a, int len, int r) {
    int lo = 0;
    int hi = len - 1;
    while (lo < hi) {
      double pivot = a[(lo + hi) >>> 1];
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (a[i] < pivot) {
          i++;
        }
        while (a[j] > pivot) {
          j--;
        }
        if (i <= j) {
          double t = a[i];
          a[i] = a[j];
          a[j] = t;
          i++;
          j--;
        }
      }
      if (r <= j) {
        hi = j;
      } else if (r >= i) {
        lo = i;
      } else {
        return a[r];
      }
    }
    return a[r];
  }

  /** Exact top-k entries renormalised by the estimate's normaliser, and the uniform rest. */
  private static final class Rows extends LogitRows {
    private final double[] rest;

    Rows(AttentionInputs in, ExplicitSupport support, double[] logZ, double[] rest) {
      super(in, support, logZ);
      this.rest = rest;
    }

    @Override
    public void rows(int from, int to, double[] dst) {
      Logits l = logits();
      int m = in.keyCount();
      int[] keys = new int[support.maxRowSupport()];
      int[] counts = new int[support.maxRowSupport()];
      for (int i = from; i < to; i++) {
        int o = (i - from) * m;
        int vis = in.visibleKeys(i);
        Arrays.fill(dst, o, o + vis, rest[i]);
        Arrays.fill(dst, o + vis, o + m, 0.0);
        supportEntries(l, i, dst, o, keys, counts);
      }
    }
  }
}
