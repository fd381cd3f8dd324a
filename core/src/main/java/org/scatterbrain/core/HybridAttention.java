package org.scatterbrain.core;

import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.scatterbrain.core.HybridConfig.Remainder;
import org.scatterbrain.core.features.PositiveRandomFeatures;
import org.scatterbrain.core.linalg.ExactKernel;
import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.core.linalg.Parallel;
import org.scatterbrain.core.linalg.RowMajor;
import org.scatterbrain.core.metrics.AllocationMeter;
import org.scatterbrain.core.metrics.MemoryFootprint;
import org.scatterbrain.core.pool.GlobalColumns;
import org.scatterbrain.core.pool.KeyGroups;
import org.scatterbrain.core.pool.KeySample;
import org.scatterbrain.core.pool.PositionBlocks;
import org.scatterbrain.core.sparse.SmyrfHash;
import org.scatterbrain.core.sparse.SparseSupport;
import org.scatterbrain.core.sparse.SupportSums;
import org.scatterbrain.core.sparse.UnionSupport;
import org.scatterbrain.core.sparse.WindowGlobalSupport;

/**
 * Sparse + remainder attention beyond the paper's Scatterbrain. Two observations on real heads drive it: a large
 * share of every row's mass sits on a few keys shared by all rows (attention sinks), which neither a window nor hash
 * buckets reliably find; and what the off-support part must deliver is mostly the off-support <em>mass</em>, which
 * FAVOR+ estimates with a variance that grows like {@code exp(|q' + k'|^2)}.
 *
 * <p>The exact support of row i is {@code S_i} = its local window, G global key columns (the keys with the largest
 * mean-query logit, {@link GlobalColumns}) and optional SMYRF buckets, each pair counted once. Off the support, by
 * {@link HybridConfig#remainder}:
 *
 * <ul>
 *   <li>{@code POOL}: the keys (globals aside) are cut into P groups by k-means in the queries' metric ({@link
 *       KeyGroups}); key j off the support gets {@code kappa exp(tau q_i . kbar_g(j))}, its group's centroid weight,
 *       so row i's remainder is {@code X_i = sum_h |h minus S_i| x_ih} and {@code N_i = sum_{j not in S_i}
 *       x_{i,g(j)} v_j}. One head-level factor {@code kappa} corrects the pooled mass (Jensen makes {@code
 *       exp(tau q . kbar)} underestimate the group's mean weight): with a stratified sample of s keys ({@link
 *       KeySample}), {@code kappa = sum_i (y_i / X_i) / sum_i (u_i / X_i)}, {@code y_i} and {@code u_i} the
 *       Horvitz-Thompson sums over the sampled keys off {@code S_i} of the exact and the pooled weights (Cochran's
 *       combined ratio estimator, each row weighted by its own pooled mass). Biased per row, low variance.
 *   <li>{@code SAMPLED}: Horvitz-Thompson over a stratified sample of s keys shared by all rows: {@code Z_R,i = sum_{t
 *       not in S_i} exp(s_it) / pi_t}, {@code N_R,i} likewise with {@code v_t}. Unbiased for both unnormalised row
 *       sums given the support.
 *   <li>{@code FAVOR}, {@code OPRF}: Scatterbrain's correction with FAVOR+ or optimal positive random features
 *       ({@link PositiveRandomFeatures#oprf}, A chosen from the inputs' mean {@code |q' + k'|^2}). Unbiased.
 * </ul>
 *
 * The output is {@code (N_S,i + N_R,i) / (Z_S,i + Z_R,i)} with the exact sums on the support; every term is kept
 * relative to a per-row shift (the largest logit involved), so nothing overflows at any temperature. With {@code
 * adaptive}, the share of the budget given to the exact support is chosen per head among 0, 1/4, 1/2 and 3/4 by the
 * error on 16 query rows whose exact attention is computed (16 m d work). Share 0 is the whole budget low-rank:
 * Nystrom with B / 2 landmarks (bidirectional only), chosen on diffuse heads, where a smooth kernel is interpolated
 * better by landmarks than by a support plus pooling; its rows are then not guaranteed non-negative.
 *
 * <p>Causal inputs ({@link HybridConfig#causalUnsupported}: sampled and FAVOR+ remainders, no LSH, no adaptive split):
 * the support is the causal window plus the first G keys, masked ({@link
 * org.scatterbrain.core.sparse.CausalSupport}); the sampled remainder counts, for row i, only the sampled keys it can
 * see, and FAVOR+ takes Scatterbrain's causal prefix sums.
 *
 * <p>Random draws: two longs (Draws): features from the first stream, LSH directions, the key sample and the
 * validation rows from the second. Cost at most O(m P d iterations + n (W + G + b h) (d + dv) + n (P + s) (d + dv))
 * (the key groups' steps but the last learn from at most 4096 keys, {@link KeyGroups}); memory
 * O((n + m) d + n dv + P (d + dv)): no n x m matrix.
 */
public final class HybridAttention implements AttentionEstimator {
  /** Validation rows of the adaptive split. */
  static final int VALIDATION_ROWS = 16;

  /** The adaptive split's menu: the share of the budget given to the window and the global columns. */
  static final double[] SHARES = {0.25, 0.5, 0.75};

  private final HybridConfig config;
  private final boolean parallel;

  HybridAttention(HybridConfig config, boolean parallel) {
    this.config = Objects.requireNonNull(config, "config");
    this.parallel = parallel;
  }

  @Override
  public HybridConfig config() {
    return config;
  }

  @Override
  public Estimate estimate(AttentionInputs in, RandomGenerator rng) {
    Checks.requireCausalForm(config, in);
    config.validateFor(in.queryCount(), in.keyCount(), in.causal());
    AllocationMeter meter = AllocationMeter.start(parallel);
    Draws draws = Draws.split(rng);
    HybridConfig c = config;
    int[] validation = null;
    SmyrfHash hash = config.lshRounds() > 0 ? SmyrfHash.sample(in.headDim(), config.lshRounds(), draws.hashes()) : null;
    Remainders pre = null;
    if (config.adaptive()) {
      validation = validationRows(in.queryCount(), draws.hashes());
      Choice choice = chooseSplit(in, hash, validation, draws.hashes());
      if (choice.lowRank() != null) {
        Estimate e = choice.lowRank();
        long allocated = meter.stop();
        return e.withMemory(new MemoryFootprint(e.memory().entriesPerRow(), e.memory().entries(),
            e.memory().storedBytes(), allocated));
      }
      c = choice.config();
      pre = choice.remainders();
    }
    Estimate e = estimate(in, c, hash, draws, pre);
    long allocated = meter.stop();
    MemoryFootprint m = e.memory();
    double perRow = config.entriesPerRow(in.queryCount(), in.keyCount(), in.causal());
    return e.withMemory(new MemoryFootprint(perRow, perRow * in.queryCount(), m.storedBytes(), allocated));
  }

  private Estimate estimate(AttentionInputs in, HybridConfig c, SmyrfHash hash, Draws draws, Remainders pre) {
    // causal: the W most recent keys and the first G (see HybridConfig#causalUnsupported), later pairs masked off
    // position blocks pool the keys between the window and the first G keys, so their global columns are those
    int[] globals = in.causal() || c.remainder() == Remainder.BLOCKS
        ? GlobalColumns.leading(c.globals(), in.keyCount()) : GlobalColumns.of(in, c.globals());
    WindowGlobalSupport wg = in.causal()
        ? WindowGlobalSupport.causal(in.queryCount(), in.keyCount(), c.window(), globals)
        : WindowGlobalSupport.of(in.queryCount(), in.keyCount(), c.window(), globals);
    SparseSupport support = wg;
    if (hash != null) {
      SmyrfConfig lsh = new SmyrfConfig(c.lshClusterSize(), c.lshRounds(), true);
      support = UnionSupport.of(wg, hash.support(in.queriesRowMajor(), in.queryCount(), in.keysRowMajor(),
          in.keyCount(), lsh.clusters(in.queryCount()), true, lsh.entriesPerRow(in.queryCount(), in.keyCount())));
    }
    // whatever the parts, no pair of a later key survives under the causal mask
    support = SparseAttention.masked(support, in);
    return switch (c.remainder()) {
      case FAVOR, OPRF -> ScatterbrainAttention.combine(in, featureMap(in, c, draws), support, parallel, "hybrid");
      case POOL, SAMPLED -> pooledOrSampled(in, c, wg, support, draws.hashes(), pre);
      case BLOCKS -> positionBlocks(in, c, support);
    };
  }

  // --- the position-block remainder ------------------------------------------------------------------------------

  /**
   * Row i's pooled block logits {@code tau q_i . kbar_b} into {@code logit} and returns the block count; the block
   * ranges into {@code lo}, {@code hi}. kbar is the block's mean key, from the prefix sums {@code kp}.
   */
  private static int blockLogits(int i, AttentionInputs in, PositionBlocks pb, double[] kp, int[] lo, int[] hi,
      double[] logit) {
    int d = in.headDim();
    double[] q = in.queriesRowMajor();
    int count = pb.blocks(i, lo, hi);
    for (int b = 0; b < count; b++) {
      double dot = 0;
      int a = lo[b] * d;
      int e = hi[b] * d;
      for (int t = 0; t < d; t++) {
        dot = Math.fma(q[i * d + t], kp[e + t] - kp[a + t], dot);
      }
      logit[b] = in.scale() * dot / (hi[b] - lo[b]);
    }
    return count;
  }

  private Estimate positionBlocks(AttentionInputs in, HybridConfig c, SparseSupport support) {
    int n = in.queryCount();
    int m = in.keyCount();
    int d = in.headDim();
    int dv = in.valueDim();
    PositionBlocks pb = new PositionBlocks(n, m, c.window(), c.globals(), c.remainderSize(), in.causal());
    SupportSums sums = SupportSums.compute(support, in, null, null, parallel);
    double[] kp = RowMajor.prefixSums(in.keysRowMajor(), m, d);
    double[] vp = RowMajor.prefixSums(in.valuesRowMajor(), m, dv);
    double[] out = new double[n * dv];
    double[] logZ = new double[n];
    int chunks = Parallel.chunks(n, parallel);
    Parallel.forEachChunk(chunks, parallel, ch -> {
      int[] lo = new int[pb.maxBlocks()];
      int[] hi = new int[pb.maxBlocks()];
      double[] logit = new double[pb.maxBlocks()];
      for (int i = Parallel.chunkStart(ch, chunks, n); i < Parallel.chunkEnd(ch, chunks, n); i++) {
        if ((i & 1023) == 0) {
          Parallel.checkInterrupted();
        }
        int count = blockLogits(i, in, pb, kp, lo, hi, logit);
        double shift = sums.sum[i] > 0 ? sums.max[i] : Double.NEGATIVE_INFINITY;
        for (int b = 0; b < count; b++) {
          shift = Math.max(shift, logit[b]);
        }
        double f = sums.sum[i] > 0 ? Math.exp(sums.max[i] - shift) : 0.0;
        double z = sums.sum[i] * f;
        int o = i * dv;
        for (int t = 0; t < dv; t++) {
          out[o + t] = sums.num[o + t] * f;
        }
        for (int b = 0; b < count; b++) {
          double x = Math.exp(logit[b] - shift);
          z += (hi[b] - lo[b]) * x;
          int a = lo[b] * dv;
          int e = hi[b] * dv;
          for (int t = 0; t < dv; t++) {
            out[o + t] += x * (vp[e + t] - vp[a + t]);
          }
        }
        // the support holds each row's own key or a first key it sees, so z > 0
        for (int t = 0; t < dv; t++) {
          out[o + t] /= z;
        }
        logZ[i] = shift + Math.log(z);
      }
    });
    long stored = support.storedBytes() + sums.bytes() + 8L * (m + 1) * (d + dv) + 8L * n;
    double perRow = c.entriesPerRow(n, m, in.causal());
    return new Estimate("hybrid", n, dv, out, new MemoryFootprint(perRow, perRow * n, stored, -1), 0,
        new BlockRows(in, support, pb, kp, logZ));
  }

  /**
   * Normalised rows of the position-block remainder: {@code exp(s_ij - ln Z_i)} on the support, and for key j in one
   * of row i's blocks its block's weight {@code exp(tau q_i . kbar_b - ln Z_i)}; 0 elsewhere (later keys when causal).
   */
  private static final class BlockRows extends LogitRows {
    private final PositionBlocks pb;
    private final double[] kp;

    BlockRows(AttentionInputs in, SparseSupport support, PositionBlocks pb, double[] kp, double[] logZ) {
      super(in, support, logZ);
      this.pb = pb;
      this.kp = kp;
    }

    @Override
    public void rows(int from, int to, double[] dst) {
      Logits l = logits();
      int m = in.keyCount();
      Arrays.fill(dst, 0, (to - from) * m, 0.0);
      int[] lo = new int[pb.maxBlocks()];
      int[] hi = new int[pb.maxBlocks()];
      double[] logit = new double[pb.maxBlocks()];
      int[] keys = new int[support.maxRowSupport()];
      int[] counts = new int[support.maxRowSupport()];
      for (int i = from; i < to; i++) {
        int o = (i - from) * m;
        int count = blockLogits(i, in, pb, kp, lo, hi, logit);
        for (int b = 0; b < count; b++) {
          Arrays.fill(dst, o + lo[b], o + hi[b], Math.exp(logit[b] - logZ[i]));
        }
        supportEntries(l, i, dst, o, keys, counts);
      }
    }
  }

  /** FAVOR+ (antithetic, chi-scaled orthogonal), or OPRF with A for the inputs' mean |q' + k'|^2. */
  static PositiveRandomFeatures featureMap(AttentionInputs in, HybridConfig c, Draws draws) {
    PositiveRandomFeatures favor = draws.sampleFeatures(PerformerConfig.of(c.remainderSize()), in.headDim());
    if (c.remainder() == Remainder.FAVOR) {
      return favor;
    }
    return PositiveRandomFeatures.oprf(favor.projection(), true,
        PositiveRandomFeatures.optimalA(meanPairNorm(in), in.headDim()));
  }

  /** {@code rho = mean |q' + k'|^2} over all pairs, {@code x' = sqrt(tau) x}: O((n + m) d). */
  static double meanPairNorm(AttentionInputs in) {
    int n = in.queryCount();
    int m = in.keyCount();
    int d = in.headDim();
    double[] qm = new double[d];
    double[] km = new double[d];
    double qq = 0;
    double kk = 0;
    double[] q = in.queriesRowMajor();
    double[] k = in.keysRowMajor();
    for (int i = 0; i < n; i++) {
      for (int t = 0; t < d; t++) {
        double x = q[i * d + t];
        qm[t] += x / n;
        qq += x * x / n;
      }
    }
    for (int j = 0; j < m; j++) {
      for (int t = 0; t < d; t++) {
        double x = k[j * d + t];
        km[t] += x / m;
        kk += x * x / m;
      }
    }
    double cross = 0;
    for (int t = 0; t < d; t++) {
      cross += qm[t] * km[t];
    }
    return in.scale() * (qq + kk + 2 * cross);
  }

  // --- the pooled and sampled remainders -------------------------------------------------------------------------

  /** What the remainder of a head needs besides the support: the key groups and the key sample. */
  private record Remainders(KeyGroups groups, KeySample sample, double[] pooledT, double[] sampleT, double[] sampleV) {}

  private static Remainders remainders(AttentionInputs in, HybridConfig c, WindowGlobalSupport wg,
      RandomGenerator hashes, boolean parallel) {
    int m = in.keyCount();
    int d = in.headDim();
    int dv = in.valueDim();
    boolean[] eligible = new boolean[m];
    for (int j = 0; j < m; j++) {
      eligible[j] = !wg.isGlobal(j);
    }
    KeyGroups groups = null;
    double[] pooledT = null;
    int s = c.remainder() == Remainder.POOL ? c.samples() : c.remainderSize();
    if (c.remainder() == Remainder.POOL) {
      groups = KeyGroups.of(in, eligible, c.remainderSize(), c.iterations(), parallel);
      pooledT = scaledTranspose(groups.centroids(), groups.count(), d, in.scale());
    }
    KeySample sample = KeySample.stratified(eligible, s, hashes);
    double[] keys = new double[sample.size() * d];
    double[] sampleV = new double[sample.size() * dv];
    for (int t = 0; t < sample.size(); t++) {
      System.arraycopy(in.keysRowMajor(), sample.keys()[t] * d, keys, t * d, d);
      System.arraycopy(in.valuesRowMajor(), sample.keys()[t] * dv, sampleV, t * dv, dv);
    }
    return new Remainders(groups, sample, pooledT, scaledTranspose(keys, sample.size(), d, in.scale()), sampleV);
  }

  /** How many of the ascending sampled keys {@code sk} are at most {@code last}. */
  static int visibleSamples(int[] sk, int last) {
    int at = Arrays.binarySearch(sk, last);
    return at >= 0 ? at + 1 : -at - 1;
  }

  /** {@code tau x^T}: d x rows. */
  private static double[] scaledTranspose(double[] x, int rows, int d, double tau) {
    double[] out = new double[d * rows];
    for (int r = 0; r < rows; r++) {
      for (int t = 0; t < d; t++) {
        out[t * rows + r] = tau * x[r * d + t];
      }
    }
    return out;
  }

  /**
   * One row's sums, all relative to {@code exp(shift)}: exact on the support ({@code zS}, {@code nS}) and off it
   * ({@code zR}, {@code nR}: pooled or sampled), and for the pooled calibration the sampled exact ({@code y}) and
   * pooled ({@code u}) weights off the support.
   */
  private static final class Row {
    /** Per group, the row's support keys in it (scratch). */
    int[] onSupport = new int[0];
    double shift;
    double zS;
    double zR;
    double y;
    double u;
  }

  /**
   * Fills row i's sums from its support's exact sums ({@code smax}, {@code ssum}, {@code snum}: scaled by
   * exp(-smax)), its support keys, and its pooled and sampled logits (rows of {@code pooled}, {@code sampled} at
   * offsets). Writes {@code nS} and {@code nR} (dv each; for the pooled remainder without the groups' value sums,
   * which the caller adds for a block of rows at once). Pooled logits are overwritten by their weights.
   */
  private static void row(int i, AttentionInputs in, HybridConfig c, Remainders r, double smax, double ssum,
      double[] snum, int snumOff, int[] keys, int len, double[] pooled, int pOff, double[] sampled, int sOff,
      double[] nS, double[] nR, Row out) {
    int dv = in.valueDim();
    double[] v = in.valuesRowMajor();
    boolean pool = c.remainder() == Remainder.POOL;
    int p = pool ? r.groups().count() : 0;
    int s = r.sample().size();
    // groups whose every key is on the row's support take no part (their pooled weight must not set the shift:
    // at extreme temperatures it can exceed every logit that counts, and the sums would cancel to noise)
    int[] onSupport = out.onSupport.length >= p ? out.onSupport : (out.onSupport = new int[p]);
    Arrays.fill(onSupport, 0, p, 0);
    int[] groupOf = pool ? r.groups().groupOf() : null;
    int[] sizes = pool ? r.groups().sizes() : null;
    if (pool) {
      for (int a = 0; a < len; a++) {
        int g = groupOf[keys[a]];
        if (g >= 0) {
          onSupport[g]++;
        }
      }
    }
    double shift = smax;
    for (int h = 0; h < p; h++) {
      if (sizes[h] > onSupport[h]) {
        shift = Math.max(shift, pooled[pOff + h]);
      }
    }
    int[] sk = r.sample().keys();
    // under the causal mask only the sampled keys row i can see count (the sample is ascending)
    int visible = in.causal() ? visibleSamples(sk, i + in.keyCount() - in.queryCount()) : s;
    double sampledMax = Double.NEGATIVE_INFINITY;
    for (int t = 0; t < visible; t++) {
      if (Arrays.binarySearch(keys, 0, len, sk[t]) < 0) {
        sampledMax = Math.max(sampledMax, sampled[sOff + t]);
      }
    }
    // the pool's calibration samples enter only the ratio y / X (kept in logs below), never the output's sums
    if (!pool) {
      shift = Math.max(shift, sampledMax);
    }
    out.shift = shift;
    double f = ssum > 0 ? Math.exp(smax - shift) : 0.0;
    out.zS = ssum * f;
    for (int x = 0; x < dv; x++) {
      nS[x] = snum[snumOff + x] * f;
    }
    Arrays.fill(nR, 0, dv, 0.0);
    double zR = 0;
    double y = 0;
    double u = 0;
    if (pool) {
      // the groups' value sums enter the caller's block product (pooled weights x value sums); here only the mass
      for (int h = 0; h < p; h++) {
        boolean counts = sizes[h] > onSupport[h];
        double x = counts ? Math.exp(pooled[pOff + h] - shift) : 0.0;
        pooled[pOff + h] = x;
        if (counts) {
          zR += (sizes[h] - onSupport[h]) * x;
        }
      }
      // the row's support keys are exact, not pooled
      for (int a = 0; a < len; a++) {
        int g = groupOf[keys[a]];
        if (g >= 0 && sizes[g] > onSupport[g]) {
          double x = pooled[pOff + g];
          for (int t = 0; t < dv; t++) {
            nR[t] -= x * v[keys[a] * dv + t];
          }
        }
      }
      for (int t = 0; t < s; t++) {
        if (Arrays.binarySearch(keys, 0, len, sk[t]) < 0) {
          double inv = 1.0 / r.sample().inclusion()[t];
          y += Math.exp(sampled[sOff + t] - sampledMax) * inv;
          int g = groupOf[sk[t]];
          if (g >= 0) {
            u += pooled[pOff + g] * inv;
          }
        }
      }
    } else {
      for (int t = 0; t < visible; t++) {
        if (Arrays.binarySearch(keys, 0, len, sk[t]) < 0) {
          double w = Math.exp(sampled[sOff + t] - shift) / r.sample().inclusion()[t];
          zR += w;
          for (int x = 0; x < dv; x++) {
            nR[x] += w * r.sampleV()[t * dv + x];
          }
        }
      }
    }
    out.zR = zR;
    // logs relative to exp(shift): y can exceed every pooled weight by far at extreme temperatures
    out.y = pool ? Math.log(y) + (sampledMax - shift) : 0.0;
    out.u = pool ? Math.log(u) : 0.0;
  }

  private Estimate pooledOrSampled(AttentionInputs in, HybridConfig c, WindowGlobalSupport wg,
      SparseSupport support, RandomGenerator hashes, Remainders pre) {
    int n = in.queryCount();
    int d = in.headDim();
    int dv = in.valueDim();
    Remainders r = pre != null ? pre : remainders(in, c, wg, hashes, parallel);
    SupportSums sums = SupportSums.compute(support, in, null, null, parallel);
    boolean pool = c.remainder() == Remainder.POOL;
    int p = pool ? r.groups().count() : 0;
    int s = r.sample().size();
    double[] shift = new double[n];
    double[] zS = new double[n];
    double[] zR = new double[n];
    double[] ys = new double[n];
    double[] us = new double[n];
    double[] nS = new double[n * dv];
    double[] nR = new double[n * dv];
    final int block = 64;
    int blocks = (n + block - 1) / block;
    int chunks = Parallel.chunks(blocks, parallel);
    double[] q = in.queriesRowMajor();
    Parallel.forEachChunk(chunks, parallel, ch -> {
      double[] pooled = new double[block * Math.max(1, p)];
      double[] sampled = new double[block * Math.max(1, s)];
      int[] keys = new int[support.maxRowSupport()];
      int[] counts = new int[support.maxRowSupport()];
      double[] bufS = new double[dv];
      double[] bufR = new double[dv];
      Row row = new Row();
      for (int b = Parallel.chunkStart(ch, chunks, blocks); b < Parallel.chunkEnd(ch, chunks, blocks); b++) {
        Parallel.checkInterrupted();
        int i0 = b * block;
        int rows = Math.min(block, n - i0);
        if (p > 0) {
          Arrays.fill(pooled, 0, rows * p, 0.0);
          Gemm.multiplyAdd(q, i0 * d, d, r.pooledT(), 0, p, pooled, 0, p, rows, d, p);
        }
        if (s > 0) {
          Arrays.fill(sampled, 0, rows * s, 0.0);
          Gemm.multiplyAdd(q, i0 * d, d, r.sampleT(), 0, s, sampled, 0, s, rows, d, s);
        }
        for (int x = 0; x < rows; x++) {
          int i = i0 + x;
          int len = support.rowSupport(i, keys, counts);
          row(i, in, c, r, sums.max[i], sums.sum[i], sums.num, i * dv, keys, len, pooled, x * p, sampled, x * s,
              bufS, bufR, row);
          shift[i] = row.shift;
          zS[i] = row.zS;
          zR[i] = row.zR;
          ys[i] = row.y;
          us[i] = row.u;
          System.arraycopy(bufS, 0, nS, i * dv, dv);
          System.arraycopy(bufR, 0, nR, i * dv, dv);
        }
        if (p > 0) {
          // N_R of the block's rows: their pooled weights (zero for groups wholly on a row's support) times the
          // groups' value sums, one product instead of P dv scalar steps per row
          Gemm.multiplyAdd(pooled, 0, p, r.groups().valueSums(), 0, dv, nR, i0 * dv, dv, rows, p, dv);
        }
      }
    });
    double kappa = pool ? kappa(zR, ys, us) : 1.0;
    double[] out = new double[n * dv];
    double[] logZ = new double[n];
    int empty = 0;
    for (int i = 0; i < n; i++) {
      double den = zS[i] + kappa * zR[i];
      if (!(den > 0)) {
        logZ[i] = Double.NEGATIVE_INFINITY;
        empty++;
        continue;
      }
      logZ[i] = shift[i] + Math.log(den);
      double inv = 1.0 / den;
      for (int x = 0; x < dv; x++) {
        out[i * dv + x] = (nS[i * dv + x] + kappa * nR[i * dv + x]) * inv;
      }
    }
    long stored = support.storedBytes() + sums.bytes() + 8L * (5L * n + 2L * n * dv)
        + (pool ? r.groups().bytes() : 0) + 12L * s + 8L * s * (d + dv);
    double perRow = c.entriesPerRow(n, in.keyCount(), in.causal());
    return new Estimate("hybrid", n, dv, out, new MemoryFootprint(perRow, perRow * n, stored, -1), empty,
        new Rows(in, support, r, logZ, kappa, pool));
  }

  /**
   * The combined ratio {@code sum_i (y_i / X_i) / sum_i (u_i / X_i)} over rows with pooled mass, from {@code logY =
   * log y_i} and {@code logU = log u_i} (each relative to its row's shift, as X_i is), summed in log space so that no
   * ratio overflows; 1 when there is no sampled evidence (no samples off the supports).
   */
  static double kappa(double[] pooledMass, double[] logY, double[] logU) {
    int n = pooledMass.length;
    double[] a = new double[n];
    double[] b = new double[n];
    double amax = Double.NEGATIVE_INFINITY;
    double bmax = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      double lx = pooledMass[i] > 0 ? Math.log(pooledMass[i]) : Double.NaN;
      a[i] = lx == lx ? logY[i] - lx : Double.NEGATIVE_INFINITY;
      b[i] = lx == lx ? logU[i] - lx : Double.NEGATIVE_INFINITY;
      amax = Math.max(amax, a[i]);
      bmax = Math.max(bmax, b[i]);
    }
    if (!(amax > Double.NEGATIVE_INFINITY) || !(bmax > Double.NEGATIVE_INFINITY)) {
      return 1.0;
    }
    double sa = 0;
    double sb = 0;
    for (int i = 0; i < n; i++) {
      sa += Math.exp(a[i] - amax);
      sb += Math.exp(b[i] - bmax);
    }
    double kappa = Math.exp(amax - bmax + Math.log(sa) - Math.log(sb));
    return kappa > 0 && Double.isFinite(kappa) ? kappa : 1.0;
  }

  // --- the adaptive split -----------------------------------------------------------------------------------------

  static int[] validationRows(int n, RandomGenerator rng) {
    int r = Math.min(VALIDATION_ROWS, n);
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    for (int x = 0; x < r; x++) {
      int y = x + rng.nextInt(n - x);
      int t = all[x];
      all[x] = all[y];
      all[y] = t;
    }
    int[] rows = Arrays.copyOf(all, r);
    Arrays.sort(rows);
    return rows;
  }

  /**
   * The adaptive split's choice: a split of the budget between the exact support and the pooled or sampled remainder
   * (with the key groups and sample it was validated with, reused by the estimate), or, at sparse share 0, the whole
   * budget as a low-rank Nystrom estimate ({@code lowRank}, already computed).
   */
  private record Choice(HybridConfig config, Remainders remainders, Estimate lowRank) {}

  /**
   * The candidate with the smallest squared output error on the validation rows (ties: the earlier one): the menu's
   * splits ({@link #SHARES}) and, without the causal mask, share 0: Nystrom with the same budget (B / 2 landmarks).
   * Share 0 is there because a smooth kernel (diffuse, high-entropy heads: low temperature) is interpolated better
   * by landmarks than approximated by any support plus piecewise-constant pooling; peaked heads are the other way.
   */
  private Choice chooseSplit(AttentionInputs in, SmyrfHash hash, int[] rows, RandomGenerator hashes) {
    int d = in.headDim();
    int dv = in.valueDim();
    double[] qr = new double[rows.length * d];
    for (int x = 0; x < rows.length; x++) {
      System.arraycopy(in.queriesRowMajor(), rows[x] * d, qr, x * d, d);
    }
    double[] exact = ExactKernel.attend(qr, rows.length, RowMajor.transpose(in.keysRowMajor(), in.keyCount(), d),
        in.valuesRowMajor(), in.keyCount(), d, dv, in.scale(), false).output();
    long seed = hashes.nextLong();
    Choice best = null;
    double bestError = Double.POSITIVE_INFINITY;
    int total = (int) Math.round(config.entriesPerRow(in.queryCount(), in.queryCount()));
    for (double share : SHARES) {
      HybridConfig candidate;
      try {
        candidate = HybridConfig.forSplit(total, share * (config.lshRounds() > 0 ? 0.5 : 1.0), config.remainder(),
            config.lshRounds(), false);
        candidate.validateFor(in.queryCount(), in.keyCount());
      } catch (IllegalArgumentException tooSmall) {
        continue;
      }
      WindowGlobalSupport wg = WindowGlobalSupport.of(in.queryCount(), in.keyCount(), candidate.window(),
          GlobalColumns.of(in, candidate.globals()));
      Remainders r = remainders(in, candidate, wg, Draws.create(seed), parallel);
      double err = squaredError(evaluateRows(in, candidate, wg, hash, rows, r), exact);
      if (err < bestError) {
        bestError = err;
        best = new Choice(candidate, r, null);
      }
    }
    NystromConfig landmarks = NystromConfig.forBudget(Math.max(2, total));
    if (!in.causal() && landmarks.landmarks() <= Math.min(in.queryCount(), in.keyCount())) {
      Estimate e = landmarks.create(parallel).estimate(in, Draws.create(seed));
      double[] o = new double[rows.length * dv];
      for (int x = 0; x < rows.length; x++) {
        System.arraycopy(e.outputRowMajor(), rows[x] * dv, o, x * dv, dv);
      }
      double err = squaredError(o, exact);
      if (err < bestError && Arrays.stream(e.outputRowMajor()).allMatch(Double::isFinite)) {
        best = new Choice(null, null, e);
      }
    }
    return best != null ? best : new Choice(config, null, null);
  }

  private static double squaredError(double[] o, double[] exact) {
    double err = 0;
    for (int x = 0; x < o.length; x++) {
      err += (o[x] - exact[x]) * (o[x] - exact[x]);
    }
    return err;
  }

  /** The outputs of {@code c} for the given query rows only (its calibration from those rows). */
  private static double[] evaluateRows(AttentionInputs in, HybridConfig c, WindowGlobalSupport wg, SmyrfHash hash,
      int[] rows, Remainders r) {
    int d = in.headDim();
    int dv = in.valueDim();
    SparseSupport support = wg;
    if (hash != null) {
      SmyrfConfig lsh = new SmyrfConfig(c.lshClusterSize(), c.lshRounds(), true);
      support = UnionSupport.of(wg, hash.support(in.queriesRowMajor(), in.queryCount(), in.keysRowMajor(),
          in.keyCount(), lsh.clusters(in.queryCount()), true, lsh.entriesPerRow(in.queryCount(), in.keyCount())));
    }
    boolean pool = c.remainder() == Remainder.POOL;
    int p = pool ? r.groups().count() : 0;
    int s = r.sample().size();
    int[] keys = new int[support.maxRowSupport()];
    int[] counts = new int[support.maxRowSupport()];
    double[] pooled = new double[Math.max(1, p)];
    double[] sampled = new double[Math.max(1, s)];
    double[] snum = new double[dv];
    double[][] nS = new double[rows.length][dv];
    double[][] nR = new double[rows.length][dv];
    double[] zS = new double[rows.length];
    double[] zR = new double[rows.length];
    double[] ys = new double[rows.length];
    double[] us = new double[rows.length];
    double[] q = in.queriesRowMajor();
    double[] k = in.keysRowMajor();
    double[] v = in.valuesRowMajor();
    Row row = new Row();
    for (int x = 0; x < rows.length; x++) {
      int i = rows[x];
      int len = support.rowSupport(i, keys, counts);
      double[] logits = new double[len];
      double smax = Double.NEGATIVE_INFINITY;
      for (int a = 0; a < len; a++) {
        logits[a] = in.scale() * dot(q, i * d, k, keys[a] * d, d);
        smax = Math.max(smax, logits[a]);
      }
      double ssum = 0;
      Arrays.fill(snum, 0.0);
      for (int a = 0; a < len; a++) {
        double w = Math.exp(logits[a] - smax);
        ssum += w;
        for (int t = 0; t < dv; t++) {
          snum[t] += w * v[keys[a] * dv + t];
        }
      }
      for (int h = 0; h < p; h++) {
        pooled[h] = 0;
        for (int t = 0; t < d; t++) {
          pooled[h] += q[i * d + t] * r.pooledT()[t * p + h];
        }
      }
      for (int t = 0; t < s; t++) {
        sampled[t] = 0;
        for (int u = 0; u < d; u++) {
          sampled[t] += q[i * d + u] * r.sampleT()[u * s + t];
        }
      }
      row(i, in, c, r, smax, ssum, snum, 0, keys, len, pooled, 0, sampled, 0, nS[x], nR[x], row);
      for (int h = 0; h < p; h++) { // the pooled weights times the groups' value sums (row() leaves them out)
        for (int t = 0; t < dv; t++) {
          nR[x][t] += pooled[h] * r.groups().valueSums()[h * dv + t];
        }
      }
      zS[x] = row.zS;
      zR[x] = row.zR;
      ys[x] = row.y;
      us[x] = row.u;
    }
    double kappa = pool ? kappa(zR, ys, us) : 1.0;
    double[] out = new double[rows.length * dv];
    for (int x = 0; x < rows.length; x++) {
      double den = zS[x] + kappa * zR[x];
      for (int t = 0; t < dv; t++) {
        out[x * dv + t] = den > 0 ? (nS[x][t] + kappa * nR[x][t]) / den : 0.0;
      }
    }
    return out;
  }

  private static double dot(double[] a, int ao, double[] b, int bo, int d) {
    double s = 0;
    for (int t = 0; t < d; t++) {
      s = Math.fma(a[ao + t], b[bo + t], s);
    }
    return s;
  }

  /**
   * Normalised rows: {@code exp(s_ij - ln Z_i)} on the support; off it {@code kappa exp(tau q_i . kbar_g(j) - ln Z_i)}
   * (pooled) or {@code exp(s_it - ln Z_i) / pi_t} on sampled keys and 0 elsewhere (sampled).
   */
  private static final class Rows extends LogitRows {
    private final Remainders r;
    private final double logKappa;
    private final boolean pool;

    Rows(AttentionInputs in, SparseSupport support, Remainders r, double[] logZ, double kappa, boolean pool) {
      super(in, support, logZ);
      this.r = r;
      this.logKappa = Math.log(kappa);
      this.pool = pool;
    }

    @Override
    public void rows(int from, int to, double[] dst) {
      Logits l = logits();
      int m = in.keyCount();
      int d = in.headDim();
      int rows = to - from;
      Arrays.fill(dst, 0, rows * m, 0.0);
      int p = pool ? r.groups().count() : 0;
      double[] pooled = new double[Math.max(1, rows * p)];
      if (p > 0) {
        Gemm.multiplyAdd(in.queriesRowMajor(), from * d, d, r.pooledT(), 0, p, pooled, 0, p, rows, d, p);
      }
      int[] keys = new int[support.maxRowSupport()];
      int[] counts = new int[support.maxRowSupport()];
      int[] groupOf = pool ? r.groups().groupOf() : null;
      for (int x = 0; x < rows; x++) {
        int i = from + x;
        double z = logZ[i];
        int o = x * m;
        if (z == Double.NEGATIVE_INFINITY) {
          continue;
        }
        if (pool) {
          for (int j = 0; j < m; j++) {
            int g = groupOf[j];
            if (g >= 0) {
              dst[o + j] = Math.exp(logKappa + pooled[x * p + g] - z);
            }
          }
        } else {
          int[] sk = r.sample().keys();
          int visible = in.causal() ? visibleSamples(sk, i + m - in.queryCount()) : sk.length;
          for (int t = 0; t < visible; t++) {
            dst[o + sk[t]] = Math.exp(l.logit(i, sk[t]) - z) / r.sample().inclusion()[t];
          }
        }
        supportEntries(l, i, dst, o, keys, counts);
      }
    }
  }
}
