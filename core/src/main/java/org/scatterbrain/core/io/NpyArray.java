package org.scatterbrain.core.io;

import java.util.Arrays;
import org.ojalgo.matrix.store.MatrixStore;
import org.scatterbrain.core.Checks;
import org.scatterbrain.core.linalg.RowMajor;

/**
 * An immutable dense {@code rows x cols} array of doubles in row-major (C) order, as read from a {@code .npy}
 * file. A 1-D array of length k is held as k x 1.
 *
 * <p>Ownership: the constructor copies {@code data} and {@link #data()} returns a fresh copy, so no caller can
 * change the values held here. Use {@link #get(int, int)} for single entries without copying. Memory:
 * 8 * rows * cols bytes.
 *
 * @param rows number of rows, {@code >= 0}
 * @param cols number of columns, {@code >= 0}
 * @param data row-major values, length {@code rows * cols}. Not modified (copied).
 */
public record NpyArray(int rows, int cols, double[] data) {

  /** Validates the shape against the data length and takes a copy of {@code data}. */
  public NpyArray {
    Checks.requireNonNegative(rows, "rows");
    Checks.requireNonNegative(cols, "cols");
    if (data == null) {
      throw new NullPointerException("data");
    }
    if (data.length != (long) rows * cols) {
      throw new IllegalArgumentException(
          "data has "
              + data.length
              + " entries, expected rows*cols = "
              + rows
              + "*"
              + cols
              + " = "
              + (long) rows * cols);
    }
    data = data.clone();
  }

  /** A fresh row-major copy of the values (entry (i, j) at index {@code i * cols + j}). */
  @Override
  public double[] data() {
    return data.clone();
  }

  /** Entry (i, j), without copying. */
  public double get(int i, int j) {
    if (i < 0 || i >= rows || j < 0 || j >= cols) {
      throw new IndexOutOfBoundsException(
          "index (" + i + ", " + j + ") is outside the " + rows + "x" + cols + " array");
    }
    return data[i * cols + j];
  }

  /** The values as a new ojAlgo matrix (via {@link RowMajor#toStore}). */
  public MatrixStore<Double> toMatrix() {
    return RowMajor.toStore(data, rows, cols);
  }

  /** Equal when the shapes agree and the values are equal as by {@link Arrays#equals(double[], double[])}. */
  @Override
  public boolean equals(Object o) {
    return o instanceof NpyArray other
        && rows == other.rows
        && cols == other.cols
        && Arrays.equals(data, other.data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * rows + cols) + Arrays.hashCode(data);
  }

  /** Shape only; the values are not printed. */
  @Override
  public String toString() {
    return "NpyArray[" + rows + "x" + cols + "]";
  }
}
