package org.scatterbrain.core;

import org.ojalgo.matrix.store.MatrixStore;
import org.scatterbrain.core.linalg.RowMajor;
import org.scatterbrain.core.metrics.MemoryFootprint;

/**
 * The result of one estimate: the output (n x dv), its memory footprint, rows with no attention mass at all (their
 * output is 0; reported rather than hidden), and read access to the approximate attention matrix for error metrics.
 * The dense matrix is available on request for small problems only ({@link #denseAttention}).
 */
public final class Estimate {
  /** Largest n x m for which {@link #denseAttention} materialises the matrix (32 MiB of doubles). */
  public static final long DENSE_LIMIT = 1L << 22;

  private final String method;
  private final int n;
  private final int dv;
  private final double[] output;
  private final MemoryFootprint memory;
  private final int emptyRows;
  private final ApproximateAttention attention;

  Estimate(
      String method,
      int n,
      int dv,
      double[] output,
      MemoryFootprint memory,
      int emptyRows,
      ApproximateAttention attention) {
    this.method = method;
    this.n = n;
    this.dv = dv;
    this.output = output;
    this.memory = memory;
    this.emptyRows = emptyRows;
    this.attention = attention;
  }

  Estimate withMemory(MemoryFootprint m) {
    return new Estimate(method, n, dv, output, m, emptyRows, attention);
  }

  /** Name of the method that produced this estimate. */
  public String method() {
    return method;
  }

  /** The output (n x dv) as a fresh ojAlgo matrix. */
  public MatrixStore<Double> output() {
    return RowMajor.toStore(output, n, dv);
  }

  /** Row-major output; internal storage, not to be modified. */
  public double[] outputRowMajor() {
    return output;
  }

  /** Memory footprint. */
  public MemoryFootprint memory() {
    return memory;
  }

  /** Rows whose estimated normaliser was exactly 0 (for example a query with no key in its window); output 0. */
  public int emptyRows() {
    return emptyRows;
  }

  /** Block-wise access to the normalised approximate attention matrix. */
  public ApproximateAttention attention() {
    return attention;
  }

  /**
   * The dense normalised approximate attention matrix (n x m). Only for small problems: throws {@link
   * IllegalStateException} when n x m exceeds {@link #DENSE_LIMIT}.
   */
  public MatrixStore<Double> denseAttention() {
    long size = (long) attention.queryCount() * attention.keyCount();
    if (size > DENSE_LIMIT) {
      throw new IllegalStateException(
          "dense attention matrix requested for n x m = "
              + attention.queryCount()
              + " x "
              + attention.keyCount()
              + " = "
              + size
              + " entries; allowed up to "
              + DENSE_LIMIT
              + " (use attention().rows(...) block by block instead)");
    }
    double[] a = new double[(int) size];
    attention.rows(0, attention.queryCount(), a);
    return RowMajor.toStore(a, attention.queryCount(), attention.keyCount());
  }
}
