package org.scatterbrain.core.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.ojalgo.matrix.store.MatrixStore;
import org.scatterbrain.core.linalg.RowMajor;

/**
 * The dense ojAlgo baseline of {@link ExactAttentionBenchmark} computes the same attention as the streamed kernel, so
 * the two benchmarks time the same function.
 *
 * <p>Tolerance 1e-12 absolute: both sides are float64 and differ only in summation order and in where the maximum is
 * subtracted (a few ulps per term over 256 keys, ~1e-14 on outputs of order 1); a wrong scale or a softmax over
 * columns instead of rows changes outputs by 1e-2 or more.
 */
class OjalgoBaselineTest {
  private static final double ABS = 1e-12;

  @Test
  void baselineMatchesStreamedExactAttention() {
    int n = 256;
    ExactAttentionBenchmark bench = new ExactAttentionBenchmark();
    ExactAttentionBenchmark.Dense dense = new ExactAttentionBenchmark.Dense();
    dense.n = n;
    dense.setUp();
    ExactAttentionBenchmark.Streamed streamed = new ExactAttentionBenchmark.Streamed();
    streamed.n = n;
    streamed.setUp();

    MatrixStore<Double> baseline = bench.ojalgoBaseline(dense);
    double[] expected = bench.streamed(streamed).outputRowMajor();
    double[] actual = RowMajor.copyOf(baseline);

    assertEquals(expected.length, actual.length, "output entries (n x dv)");
    for (int x = 0; x < expected.length; x++) {
      int row = x / BenchmarkInputs.HEAD_DIM;
      int col = x % BenchmarkInputs.HEAD_DIM;
      assertEquals(expected[x], actual[x], ABS, "output (" + row + ", " + col + ")");
    }
  }
}
