package org.scatterbrain.core.linalg;

/** Portable {@link Gemm} kernel: 4 x 4 register blocks of scalar fused multiply-adds. */
final class ScalarGemm {
  private ScalarGemm() {}

  /** C += A B restricted to rows [r0, r1) and columns [j0, j1); each entry is an fma chain over t in order. */
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
      int r0,
      int r1,
      int inner,
      int j0,
      int j1) {
    int i = r0;
    for (; i + 4 <= r1; i += 4) {
      int a0 = aOff + i * lda;
      int a1 = a0 + lda;
      int a2 = a1 + lda;
      int a3 = a2 + lda;
      int c0 = cOff + i * ldc;
      int c1 = c0 + ldc;
      int c2 = c1 + ldc;
      int c3 = c2 + ldc;
      int j = j0;
      for (; j + 4 <= j1; j += 4) {
        double s00 = c[c0 + j], s01 = c[c0 + j + 1], s02 = c[c0 + j + 2], s03 = c[c0 + j + 3];
        double s10 = c[c1 + j], s11 = c[c1 + j + 1], s12 = c[c1 + j + 2], s13 = c[c1 + j + 3];
        double s20 = c[c2 + j], s21 = c[c2 + j + 1], s22 = c[c2 + j + 2], s23 = c[c2 + j + 3];
        double s30 = c[c3 + j], s31 = c[c3 + j + 1], s32 = c[c3 + j + 2], s33 = c[c3 + j + 3];
        for (int t = 0; t < inner; t++) {
          int bt = bOff + t * ldb + j;
          double y0 = b[bt];
          double y1 = b[bt + 1];
          double y2 = b[bt + 2];
          double y3 = b[bt + 3];
          double x = a[a0 + t];
          s00 = Math.fma(x, y0, s00);
          s01 = Math.fma(x, y1, s01);
          s02 = Math.fma(x, y2, s02);
          s03 = Math.fma(x, y3, s03);
          x = a[a1 + t];
          s10 = Math.fma(x, y0, s10);
          s11 = Math.fma(x, y1, s11);
          s12 = Math.fma(x, y2, s12);
          s13 = Math.fma(x, y3, s13);
          x = a[a2 + t];
          s20 = Math.fma(x, y0, s20);
          s21 = Math.fma(x, y1, s21);
          s22 = Math.fma(x, y2, s22);
          s23 = Math.fma(x, y3, s23);
          x = a[a3 + t];
          s30 = Math.fma(x, y0, s30);
          s31 = Math.fma(x, y1, s31);
          s32 = Math.fma(x, y2, s32);
          s33 = Math.fma(x, y3, s33);
        }
        c[c0 + j] = s00;
        c[c0 + j + 1] = s01;
        c[c0 + j + 2] = s02;
        c[c0 + j + 3] = s03;
        c[c1 + j] = s10;
        c[c1 + j + 1] = s11;
        c[c1 + j + 2] = s12;
        c[c1 + j + 3] = s13;
        c[c2 + j] = s20;
        c[c2 + j + 1] = s21;
        c[c2 + j + 2] = s22;
        c[c2 + j + 3] = s23;
        c[c3 + j] = s30;
        c[c3 + j + 1] = s31;
        c[c3 + j + 2] = s32;
        c[c3 + j + 3] = s33;
      }
      if (j < j1) {
        single(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, i, i + 4, inner, j, j1);
      }
    }
    if (i < r1) {
      single(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, i, r1, inner, j0, j1);
    }
  }

  private static void single(
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
      int j0,
      int j1) {
    for (int i = r0; i < r1; i++) {
      int ai = aOff + i * lda;
      int ci = cOff + i * ldc;
      for (int j = j0; j < j1; j++) {
        double s = c[ci + j];
        for (int t = 0; t < inner; t++) {
          s = Math.fma(a[ai + t], b[bOff + t * ldb + j], s);
        }
        c[ci + j] = s;
      }
    }
  }
}
