package org.scatterbrain.core.bench;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.ojalgo.matrix.store.MatrixStore;
import org.ojalgo.matrix.store.R064Store;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.scatterbrain.core.AttentionEstimator;
import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.Draws;
import org.scatterbrain.core.Estimate;
import org.scatterbrain.core.Estimators;
import org.scatterbrain.core.ExactConfig;
import org.scatterbrain.core.linalg.Parallel;

/**
 * Exact softmax attention {@code softmax_row(tau Q K^T) V} on n x n problems with d = dv = 64, two ways:
 *
 * <ul>
 *   <li>{@link #streamed}: the project's {@code ExactAttention} (parallel), which streams blocks with an online
 *       softmax: memory O(n d), never an n x n matrix. Runs in a 2 GiB heap up to n = 65536.
 *   <li>{@link #ojalgoBaseline}: the plain ojAlgo pipeline: an {@code R064Store} S = Q K^T ({@code
 *       fillByMultiplying}), a stable row softmax of tau S in place on S's column-major data, then O = S V ({@code
 *       fillByMultiplying}). Memory 8 n^2 bytes for S (2 GiB at n = 16384), so it stops at n = 16384: n = 65536
 *       would need 32 GiB (and more entries than a Java array holds).
 * </ul>
 *
 * <p>Both do 4 n^2 d flops (2 n^2 d for the scores, 2 n^2 dv for the values) plus n^2 exponentials; report GFLOP/s =
 * 4 n^2 d / (seconds per op * 1e9). Average time in seconds per op: n = 65536 streamed is about 1.1 TFLOP, about a
 * minute per op on 2 cores; each time-based iteration runs at least one op, so the defaults (2 warmup + 3 measured
 * iterations, one fork) take about 5 minutes at that size and seconds at the others.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class ExactAttentionBenchmark {
  /** Largest n of the baseline: S is n x n doubles, 2 GiB at 16384. */
  static final int BASELINE_MAX_N = 16_384;

  /** Inputs and estimator of {@link #streamed}. */
  @State(Scope.Benchmark)
  public static class Streamed {
    /** Number of queries and keys. */
    @Param({"1024", "4096", "16384", "65536"})
    public int n;

    AttentionInputs inputs;
    AttentionEstimator exact;
    RandomGenerator rng;

    /** Draws the inputs (not timed). */
    @Setup(Level.Trial)
    public void setUp() {
      inputs = BenchmarkInputs.gaussian(n);
      exact = Estimators.create(new ExactConfig(), true);
      rng = Draws.create(BenchmarkInputs.ESTIMATE_SEED); // ignored by exact attention
    }
  }

  /** Inputs of {@link #ojalgoBaseline}, as ojAlgo matrices; its own n list stops at {@value #BASELINE_MAX_N}. */
  @State(Scope.Benchmark)
  public static class Dense {
    /** Number of queries and keys; at most {@value #BASELINE_MAX_N}. */
    @Param({"1024", "4096", "16384"})
    public int n;

    MatrixStore<Double> q;
    MatrixStore<Double> k;
    MatrixStore<Double> v;
    double tau;

    /** Draws the inputs (not timed) and rejects an n whose n x n score matrix would not fit. */
    @Setup(Level.Trial)
    public void setUp() {
      if (n > BASELINE_MAX_N) {
        throw new IllegalArgumentException(
            "ojalgoBaseline materialises the n x n score matrix (8 n^2 bytes): n = "
                + n
                + " needs "
                + (8L * n * n >> 30)
                + " GiB; allowed n <= "
                + BASELINE_MAX_N);
      }
      AttentionInputs in = BenchmarkInputs.gaussian(n);
      q = in.queries();
      k = in.keys();
      v = in.values();
      tau = in.scale();
    }
  }

  /** Streamed exact attention, parallel over the common pool. */
  @Benchmark
  public Estimate streamed(Streamed s) {
    return s.exact.estimate(s.inputs, s.rng);
  }

  /**
   * Dense ojAlgo attention: allocate S (n x n), S = Q K^T, S = softmax_row(tau S), O = S V. Allocates S and O on
   * every op, as a caller would. Heap 6 GiB: S of the previous op may still be live when the next one is allocated.
   */
  @Benchmark
  @Fork(
      value = 1,
      jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
  public MatrixStore<Double> ojalgoBaseline(Dense s) {
    int n = s.n;
    R064Store scores = R064Store.FACTORY.make(n, n);
    scores.fillByMultiplying(s.q, s.k.transpose());
    softmaxRowsInPlace(scores.data, n, n, s.tau);
    R064Store out = R064Store.FACTORY.make(n, s.v.countColumns());
    out.fillByMultiplying(scores, s.v);
    return out;
  }

  /**
   * Replaces each row x of the column-major {@code rows x cols} matrix {@code s} by softmax(tau x), stably: {@code
   * exp(tau (x_j - max x))} then divided by the row sum (for tau > 0, max(tau x) = tau max x, so scaling is folded
   * into the exponent). Column-major storage puts row i's entries {@code rows} apart, so each worker takes a range of
   * rows and sweeps the columns, reading a contiguous segment per column: three passes over S (max, exp and sum,
   * normalise). Modified: {@code s}.
   */
  static void softmaxRowsInPlace(double[] s, int rows, int cols, double tau) {
    int chunks = Parallel.chunks(rows, true);
    Parallel.forEachChunk(
        chunks,
        true,
        c -> {
          int i0 = Parallel.chunkStart(c, chunks, rows);
          int i1 = Parallel.chunkEnd(c, chunks, rows);
          int len = i1 - i0;
          double[] max = new double[len];
          double[] sum = new double[len];
          Arrays.fill(max, Double.NEGATIVE_INFINITY);
          for (int j = 0; j < cols; j++) {
            int base = j * rows + i0;
            for (int r = 0; r < len; r++) {
              max[r] = Math.max(max[r], s[base + r]);
            }
          }
          for (int j = 0; j < cols; j++) {
            int base = j * rows + i0;
            for (int r = 0; r < len; r++) {
              double e = Math.exp(tau * (s[base + r] - max[r]));
              s[base + r] = e;
              sum[r] += e;
            }
          }
          for (int r = 0; r < len; r++) {
            sum[r] = 1.0 / sum[r];
          }
          for (int j = 0; j < cols; j++) {
            int base = j * rows + i0;
            for (int r = 0; r < len; r++) {
              s[base + r] *= sum[r];
            }
          }
        });
  }
}
