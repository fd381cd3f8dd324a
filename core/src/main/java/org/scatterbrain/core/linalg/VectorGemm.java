package org.scatterbrain.core.linalg;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD {@link Gemm} kernel on the incubating Vector API: register blocks of 8 (then 4) rows x 2 vectors, each accumulator an
 * fma chain over t in order (so results equal {@link ScalarGemm}'s bit for bit). Loaded only when the JVM has the
 * {@code jdk.incubator.vector} module.
 */
final class VectorGemm {
  private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private VectorGemm() {}

  static int lanes() {
    return L;
  }

  static void multiplyAdd(
      double[] a,
      int aOff,
      int lda,
      double[] b,
      int bOff,
      int ldb,
      double[] c,
      int cOff,
      int ldc,
      int rows,
      int inner,
      int cols) {
    int wide = cols - cols % (2 * L);
    int i = 0;
    for (; i + 8 <= rows; i += 8) {
      eightRows(a, aOff + i * lda, lda, b, bOff, ldb, c, cOff + i * ldc, ldc, inner, wide);
    }
    for (; i + 4 <= rows; i += 4) {
      int a0 = aOff + i * lda;
      int a1 = a0 + lda;
      int a2 = a1 + lda;
      int a3 = a2 + lda;
      int c0 = cOff + i * ldc;
      int c1 = c0 + ldc;
      int c2 = c1 + ldc;
      int c3 = c2 + ldc;
      for (int j = 0; j < wide; j += 2 * L) {
        DoubleVector r00 = DoubleVector.fromArray(S, c, c0 + j);
        DoubleVector r01 = DoubleVector.fromArray(S, c, c0 + j + L);
        DoubleVector r10 = DoubleVector.fromArray(S, c, c1 + j);
        DoubleVector r11 = DoubleVector.fromArray(S, c, c1 + j + L);
        DoubleVector r20 = DoubleVector.fromArray(S, c, c2 + j);
        DoubleVector r21 = DoubleVector.fromArray(S, c, c2 + j + L);
        DoubleVector r30 = DoubleVector.fromArray(S, c, c3 + j);
        DoubleVector r31 = DoubleVector.fromArray(S, c, c3 + j + L);
        for (int t = 0; t < inner; t++) {
          int bt = bOff + t * ldb + j;
          DoubleVector y0 = DoubleVector.fromArray(S, b, bt);
          DoubleVector y1 = DoubleVector.fromArray(S, b, bt + L);
          DoubleVector x = DoubleVector.broadcast(S, a[a0 + t]);
          r00 = x.lanewise(VectorOperators.FMA, y0, r00);
          r01 = x.lanewise(VectorOperators.FMA, y1, r01);
          x = DoubleVector.broadcast(S, a[a1 + t]);
          r10 = x.lanewise(VectorOperators.FMA, y0, r10);
          r11 = x.lanewise(VectorOperators.FMA, y1, r11);
          x = DoubleVector.broadcast(S, a[a2 + t]);
          r20 = x.lanewise(VectorOperators.FMA, y0, r20);
          r21 = x.lanewise(VectorOperators.FMA, y1, r21);
          x = DoubleVector.broadcast(S, a[a3 + t]);
          r30 = x.lanewise(VectorOperators.FMA, y0, r30);
          r31 = x.lanewise(VectorOperators.FMA, y1, r31);
        }
        r00.intoArray(c, c0 + j);
        r01.intoArray(c, c0 + j + L);
        r10.intoArray(c, c1 + j);
        r11.intoArray(c, c1 + j + L);
        r20.intoArray(c, c2 + j);
        r21.intoArray(c, c2 + j + L);
        r30.intoArray(c, c3 + j);
        r31.intoArray(c, c3 + j + L);
      }
    }
    if (i < rows) {
      // remaining rows, all columns (the SIMD block needs 4 rows)
      rowsOneVector(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, i, rows, inner, wide);
    }
    if (wide < cols) {
      ScalarGemm.multiplyAdd(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, 0, rows, inner, wide, cols);
    }
  }

  /** Eight rows, columns [0, wide): 8 x 2 vector accumulators (16 of AVX-512's 32 registers). */
  private static void eightRows(
      double[] a, int a0, int lda, double[] b, int bOff, int ldb, double[] c, int c0, int ldc, int inner, int wide) {
    for (int j = 0; j < wide; j += 2 * L) {
      DoubleVector r00 = DoubleVector.fromArray(S, c, c0 + j);
      DoubleVector r01 = DoubleVector.fromArray(S, c, c0 + j + L);
      DoubleVector r10 = DoubleVector.fromArray(S, c, c0 + ldc + j);
      DoubleVector r11 = DoubleVector.fromArray(S, c, c0 + ldc + j + L);
      DoubleVector r20 = DoubleVector.fromArray(S, c, c0 + 2 * ldc + j);
      DoubleVector r21 = DoubleVector.fromArray(S, c, c0 + 2 * ldc + j + L);
      DoubleVector r30 = DoubleVector.fromArray(S, c, c0 + 3 * ldc + j);
      DoubleVector r31 = DoubleVector.fromArray(S, c, c0 + 3 * ldc + j + L);
      DoubleVector r40 = DoubleVector.fromArray(S, c, c0 + 4 * ldc + j);
      DoubleVector r41 = DoubleVector.fromArray(S, c, c0 + 4 * ldc + j + L);
      DoubleVector r50 = DoubleVector.fromArray(S, c, c0 + 5 * ldc + j);
      DoubleVector r51 = DoubleVector.fromArray(S, c, c0 + 5 * ldc + j + L);
      DoubleVector r60 = DoubleVector.fromArray(S, c, c0 + 6 * ldc + j);
      DoubleVector r61 = DoubleVector.fromArray(S, c, c0 + 6 * ldc + j + L);
      DoubleVector r70 = DoubleVector.fromArray(S, c, c0 + 7 * ldc + j);
      DoubleVector r71 = DoubleVector.fromArray(S, c, c0 + 7 * ldc + j + L);
      for (int t = 0; t < inner; t++) {
        int bt = bOff + t * ldb + j;
        DoubleVector y0 = DoubleVector.fromArray(S, b, bt);
        DoubleVector y1 = DoubleVector.fromArray(S, b, bt + L);
        DoubleVector x = DoubleVector.broadcast(S, a[a0 + t]);
        r00 = x.lanewise(VectorOperators.FMA, y0, r00);
        r01 = x.lanewise(VectorOperators.FMA, y1, r01);
        x = DoubleVector.broadcast(S, a[a0 + lda + t]);
        r10 = x.lanewise(VectorOperators.FMA, y0, r10);
        r11 = x.lanewise(VectorOperators.FMA, y1, r11);
        x = DoubleVector.broadcast(S, a[a0 + 2 * lda + t]);
        r20 = x.lanewise(VectorOperators.FMA, y0, r20);
        r21 = x.lanewise(VectorOperators.FMA, y1, r21);
        x = DoubleVector.broadcast(S, a[a0 + 3 * lda + t]);
        r30 = x.lanewise(VectorOperators.FMA, y0, r30);
        r31 = x.lanewise(VectorOperators.FMA, y1, r31);
        x = DoubleVector.broadcast(S, a[a0 + 4 * lda + t]);
        r40 = x.lanewise(VectorOperators.FMA, y0, r40);
        r41 = x.lanewise(VectorOperators.FMA, y1, r41);
        x = DoubleVector.broadcast(S, a[a0 + 5 * lda + t]);
        r50 = x.lanewise(VectorOperators.FMA, y0, r50);
        r51 = x.lanewise(VectorOperators.FMA, y1, r51);
        x = DoubleVector.broadcast(S, a[a0 + 6 * lda + t]);
        r60 = x.lanewise(VectorOperators.FMA, y0, r60);
        r61 = x.lanewise(VectorOperators.FMA, y1, r61);
        x = DoubleVector.broadcast(S, a[a0 + 7 * lda + t]);
        r70 = x.lanewise(VectorOperators.FMA, y0, r70);
        r71 = x.lanewise(VectorOperators.FMA, y1, r71);
      }
      r00.intoArray(c, c0 + j);
      r01.intoArray(c, c0 + j + L);
      r10.intoArray(c, c0 + ldc + j);
      r11.intoArray(c, c0 + ldc + j + L);
      r20.intoArray(c, c0 + 2 * ldc + j);
      r21.intoArray(c, c0 + 2 * ldc + j + L);
      r30.intoArray(c, c0 + 3 * ldc + j);
      r31.intoArray(c, c0 + 3 * ldc + j + L);
      r40.intoArray(c, c0 + 4 * ldc + j);
      r41.intoArray(c, c0 + 4 * ldc + j + L);
      r50.intoArray(c, c0 + 5 * ldc + j);
      r51.intoArray(c, c0 + 5 * ldc + j + L);
      r60.intoArray(c, c0 + 6 * ldc + j);
      r61.intoArray(c, c0 + 6 * ldc + j + L);
      r70.intoArray(c, c0 + 7 * ldc + j);
      r71.intoArray(c, c0 + 7 * ldc + j + L);
    }
  }

  /** Rows [r0, r1), columns [0, wide) one vector at a time; columns [wide, cols) go to the scalar kernel. */
  private static void rowsOneVector(
      double[] a,
      int aOff,
      int lda,
      double[] b,
      int bOff,
      int ldb,
      double[] c,
      int cOff,
      int ldc,
      int r0,
      int r1,
      int inner,
      int wide) {
    for (int i = r0; i < r1; i++) {
      int ai = aOff + i * lda;
      int ci = cOff + i * ldc;
      for (int j = 0; j < wide; j += L) {
        DoubleVector r = DoubleVector.fromArray(S, c, ci + j);
        for (int t = 0; t < inner; t++) {
          r =
              DoubleVector.broadcast(S, a[ai + t])
                  .lanewise(VectorOperators.FMA, DoubleVector.fromArray(S, b, bOff + t * ldb + j), r);
        }
        r.intoArray(c, ci + j);
      }
    }
  }
}
