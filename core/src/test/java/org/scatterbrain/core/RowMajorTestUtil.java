package org.scatterbrain.core;

/** Test helpers for dense views of estimates. */
final class RowMajorTestUtil {
  private RowMajorTestUtil() {}

  /** The dense normalised attention matrix of a small estimate, row-major. */
  static double[] dense(Estimate e) {
    int n = e.attention().queryCount();
    int m = e.attention().keyCount();
    double[] a = new double[n * m];
    e.attention().rows(0, n, a);
    return a;
  }
}
