package org.scatterbrain.core.linalg;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** SIMD lanes of {@link Exp}: the same operations as {@link Exp#exp}, lane by lane. */
final class VectorExp {
  private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private VectorExp() {}

  /** Fills whole vectors and returns how many entries it did (the caller finishes the tail with the scalar kernel). */
  static int expShifted(double[] src, int sOff, double shift, double[] dst, int dOff, int len) {
    int wide = len - len % L;
    DoubleVector log2e = DoubleVector.broadcast(S, Exp.LOG2E);
    DoubleVector shifter = DoubleVector.broadcast(S, Exp.SHIFTER);
    DoubleVector ln2hi = DoubleVector.broadcast(S, -Exp.LN2_HI);
    DoubleVector ln2lo = DoubleVector.broadcast(S, -Exp.LN2_LO);
    DoubleVector minArg = DoubleVector.broadcast(S, Exp.MIN_ARG);
    DoubleVector zero = DoubleVector.zero(S);
    double[] c = Exp.TAYLOR;
    DoubleVector c0 = DoubleVector.broadcast(S, c[0]);
    DoubleVector c1 = DoubleVector.broadcast(S, c[1]);
    DoubleVector c2 = DoubleVector.broadcast(S, c[2]);
    DoubleVector c3 = DoubleVector.broadcast(S, c[3]);
    DoubleVector c4 = DoubleVector.broadcast(S, c[4]);
    DoubleVector c5 = DoubleVector.broadcast(S, c[5]);
    DoubleVector c6 = DoubleVector.broadcast(S, c[6]);
    DoubleVector c7 = DoubleVector.broadcast(S, c[7]);
    DoubleVector c8 = DoubleVector.broadcast(S, c[8]);
    DoubleVector c9 = DoubleVector.broadcast(S, c[9]);
    DoubleVector c10 = DoubleVector.broadcast(S, c[10]);
    DoubleVector c11 = DoubleVector.broadcast(S, c[11]);
    DoubleVector c12 = DoubleVector.broadcast(S, c[12]);
    for (int i = 0; i < wide; i += L) {
      DoubleVector x = DoubleVector.fromArray(S, src, sOff + i).sub(shift);
      VectorMask<Double> small = x.compare(VectorOperators.LT, minArg);
      VectorMask<Double> nan = x.compare(VectorOperators.NE, x);
      DoubleVector xc = x.max(minArg);
      DoubleVector t = xc.lanewise(VectorOperators.FMA, log2e, shifter);
      DoubleVector k = t.sub(shifter);
      DoubleVector r = k.lanewise(VectorOperators.FMA, ln2hi, xc);
      r = k.lanewise(VectorOperators.FMA, ln2lo, r);
      // Horner, unrolled with hoisted coefficients (the same fma sequence as Exp.exp)
      DoubleVector p = c0.lanewise(VectorOperators.FMA, r, c1);
      p = p.lanewise(VectorOperators.FMA, r, c2);
      p = p.lanewise(VectorOperators.FMA, r, c3);
      p = p.lanewise(VectorOperators.FMA, r, c4);
      p = p.lanewise(VectorOperators.FMA, r, c5);
      p = p.lanewise(VectorOperators.FMA, r, c6);
      p = p.lanewise(VectorOperators.FMA, r, c7);
      p = p.lanewise(VectorOperators.FMA, r, c8);
      p = p.lanewise(VectorOperators.FMA, r, c9);
      p = p.lanewise(VectorOperators.FMA, r, c10);
      p = p.lanewise(VectorOperators.FMA, r, c11);
      p = p.lanewise(VectorOperators.FMA, r, c12);
      LongVector kBits = t.reinterpretAsLongs().sub(Exp.SHIFTER_BITS);
      DoubleVector scale = kBits.add(1023L).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
      DoubleVector y = p.mul(scale).blend(zero, small).blend(x, nan);
      y.intoArray(dst, dOff + i);
    }
    return wide;
  }
}
