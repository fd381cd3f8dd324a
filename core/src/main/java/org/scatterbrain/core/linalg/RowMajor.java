package org.scatterbrain.core.linalg;

import org.ojalgo.matrix.store.MatrixStore;
import org.ojalgo.matrix.store.R064Store;

/**
 * Conversions between ojAlgo matrices and the dense row-major {@code double[]} layout the kernels use.
 * Row-major keeps one query (or key) row contiguous, which is what every attention loop walks.
 */
public final class RowMajor {
  private RowMajor() {}

  /** Copies {@code m} into a new row-major array. Not modified: {@code m}. */
  public static double[] copyOf(MatrixStore<Double> m) {
    int rows = Math.toIntExact(m.countRows());
    int cols = Math.toIntExact(m.countColumns());
    double[] out = new double[Math.multiplyExact(rows, cols)];
    if (m instanceof R064Store store) {
      double[] data = store.data; // column-major
      for (int j = 0; j < cols; j++) {
        int base = j * rows;
        for (int i = 0; i < rows; i++) {
          out[i * cols + j] = data[base + i];
        }
      }
    } else {
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          out[i * cols + j] = m.doubleValue(i, j);
        }
      }
    }
    return out;
  }

  /** Wraps a copy of row-major {@code values} as a read-only ojAlgo matrix. Not modified: {@code values}. */
  public static MatrixStore<Double> toStore(double[] values, int rows, int cols) {
    if (values.length != (long) rows * cols) {
      throw new IllegalArgumentException(
          "values has " + values.length + " entries, expected rows*cols = " + rows + "*" + cols);
    }
    R064Store store = R064Store.FACTORY.make(rows, cols);
    double[] data = store.data;
    for (int i = 0; i < rows; i++) {
      int base = i * cols;
      for (int j = 0; j < cols; j++) {
        data[j * rows + i] = values[base + j];
      }
    }
    return store;
  }

  /** Returns the transpose of a row-major {@code rows x cols} array, as a row-major {@code cols x rows} array. */
  public static double[] transpose(double[] a, int rows, int cols) {
    double[] t = new double[a.length];
    final int tile = 32;
    for (int i0 = 0; i0 < rows; i0 += tile) {
      int i1 = Math.min(rows, i0 + tile);
      for (int j0 = 0; j0 < cols; j0 += tile) {
        int j1 = Math.min(cols, j0 + tile);
        for (int i = i0; i < i1; i++) {
          for (int j = j0; j < j1; j++) {
            t[j * rows + i] = a[i * cols + j];
          }
        }
      }
    }
    return t;
  }

  /**
   * Prefix sums of the rows of a row-major {@code rows x w} array: a {@code (rows + 1) x w} array whose row r is the
   * sum of rows 0 .. r - 1 (row 0 zero), so any contiguous range of rows sums in O(w).
   */
  public static double[] prefixSums(double[] x, int rows, int w) {
    double[] out = new double[(rows + 1) * w];
    for (int r = 0; r < rows; r++) {
      for (int t = 0; t < w; t++) {
        out[(r + 1) * w + t] = out[r * w + t] + x[r * w + t];
      }
    }
    return out;
  }
}
