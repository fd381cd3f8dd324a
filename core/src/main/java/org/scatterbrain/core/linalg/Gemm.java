package org.scatterbrain.core.linalg;

/**
 * Dense matrix-multiply kernel on row-major {@code double[]} panels: {@code C += A B}.
 *
 * <p>Every entry is computed as the same chain of fused multiply-adds, {@code c = fma(a[i][t], b[t][j], c)} for t =
 * 0, 1, ..., inner - 1 in that order, whichever implementation runs. So the result is bit-identical between the
 * SIMD kernel (the incubating {@code jdk.incubator.vector} API, used when the JVM was started with {@code
 * --add-modules jdk.incubator.vector}) and the portable scalar kernel used otherwise; only the speed differs (about
 * 30-40 versus 5 GFLOP/s per core on AVX-512). {@link #implementation()} says which one runs.
 *
 * <p>Operands are addressed as (array, offset, leading dimension) so the kernel works on sub-blocks without copying.
 * Cost: {@code 2 rows inner cols} flops. Nothing is allocated.
 */
public final class Gemm {
  private static final boolean SIMD = detectSimd();

  private Gemm() {}

  private static boolean detectSimd() {
    if (Boolean.getBoolean("scatterbrain.noSimd")) {
      return false;
    }
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return false;
    }
    try {
      return VectorGemm.lanes() >= 2;
    } catch (LinkageError e) {
      return false;
    }
  }

  /** Whether the SIMD kernels run in this JVM. */
  static boolean simd() {
    return SIMD;
  }

  /** "simd-N" (N double lanes) or "scalar": the kernel this JVM uses. Recorded with results. */
  public static String implementation() {
    return SIMD ? "simd-" + VectorGemm.lanes() : "scalar";
  }

  /**
   * {@code C[rows x cols] += A[rows x inner] * B[inner x cols]}.
   *
   * @param a left operand, row-major with leading dimension {@code lda}. Not modified.
   * @param b right operand, row-major with leading dimension {@code ldb}. Not modified.
   * @param c accumulator, row-major with leading dimension {@code ldc}. Modified.
   */
  public static void multiplyAdd(
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
    if (SIMD) {
      VectorGemm.multiplyAdd(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, rows, inner, cols);
    } else {
      ScalarGemm.multiplyAdd(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, 0, rows, inner, 0, cols);
    }
  }
}
