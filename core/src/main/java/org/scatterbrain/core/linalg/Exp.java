package org.scatterbrain.core.linalg;

/**
 * Fast exponential of arrays for softmax weights: {@code dst[i] = exp(src[i] - shift)} for arguments {@code <= 0}
 * (the only ones softmax with a running maximum produces), vectorised with the incubating Vector API when available
 * and computed by the very same sequence of IEEE operations otherwise, so both paths give identical bits (like {@link
 * Gemm}).
 *
 * <p>Method: Cody-Waite reduction {@code x = k ln 2 + r}, |r| <= ln(2)/2, with k from the round-to-nearest "shifter"
 * trick; {@code e^r} by its degree-12 Taylor polynomial in Horner form with fused multiply-adds (truncation error
 * below 2e-16 relative); {@code 2^k} assembled in the exponent bits. Accuracy: within 2 ulp of {@link Math#exp} for
 * x in [-708, 0]. Arguments below -708 (where e^x < 3.3e-308, nothing next to the row maximum's weight 1) give 0;
 * -infinity gives 0; NaN gives NaN.
 */
public final class Exp {
  static final double LOG2E = 1.4426950408889634;
  static final double LN2_HI = 0.6931471803691238; // high bits of ln 2 (trailing zeros, so k * LN2_HI is exact)
  static final double LN2_LO = 1.9082149292705877e-10; // ln 2 - LN2_HI
  static final double SHIFTER = 6755399441055744.0; // 1.5 * 2^52: x + SHIFTER rounds x to an integer in the low bits
  static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
  static final double MIN_ARG = -708.0;
  /** 1/k! for k = 12 down to 0, the Horner order. */
  static final double[] TAYLOR = {
    2.08767569878680989792e-09,
    2.50521083854417187751e-08,
    2.75573192239858906526e-07,
    2.75573192239858906526e-06,
    2.48015873015873015873e-05,
    1.98412698412698412698e-04,
    1.38888888888888888889e-03,
    8.33333333333333333333e-03,
    4.16666666666666666667e-02,
    1.66666666666666666667e-01,
    5.00000000000000000000e-01,
    1.0,
    1.0
  };

  private static final boolean SIMD = Gemm.simd();

  private Exp() {}

  /** {@code dst[dOff + i] = exp(src[sOff + i] - shift)} for i in [0, len). {@code src} and {@code dst} may alias. */
  public static void expShifted(double[] src, int sOff, double shift, double[] dst, int dOff, int len) {
    int done = SIMD ? VectorExp.expShifted(src, sOff, shift, dst, dOff, len) : 0;
    for (int i = done; i < len; i++) {
      dst[dOff + i] = exp(src[sOff + i] - shift);
    }
  }

  /** Scalar kernel, the reference for the SIMD lanes. */
  static double exp(double x) {
    if (!(x >= MIN_ARG)) {
      return Double.isNaN(x) ? x : 0.0;
    }
    double t = Math.fma(x, LOG2E, SHIFTER);
    double k = t - SHIFTER;
    double r = Math.fma(k, -LN2_HI, x);
    r = Math.fma(k, -LN2_LO, r);
    double p = TAYLOR[0];
    for (int i = 1; i < TAYLOR.length; i++) {
      p = Math.fma(p, r, TAYLOR[i]);
    }
    long kBits = Double.doubleToRawLongBits(t) - SHIFTER_BITS;
    double scale = Double.longBitsToDouble((kBits + 1023) << 52);
    return p * scale;
  }
}
