package org.scatterbrain.core.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExpTest {
  /** Relative error of the kernel against Math.exp, measured on a grid and random points of [-708, 0]. */
  @Test
  void agreesWithMathExpToTwoUlp() {
    SplittableRandom rng = new SplittableRandom(5);
    int len = 100_003;
    double[] x = new double[len];
    for (int i = 0; i < len; i++) {
      x[i] = i < 50_000 ? -708.0 * i / 50_000 : -rng.nextDouble() * (i % 2 == 0 ? 708.0 : 2.0);
    }
    double[] y = new double[len];
    Exp.expShifted(x, 0, 0.0, y, 0, len);
    double worst = 0;
    for (int i = 0; i < len; i++) {
      double truth = Math.exp(x[i]);
      // Math.exp itself is within 1 ulp; 2 ulp of ours plus 1 of its: 3 ulp = 6.7e-16 relative
      worst = Math.max(worst, Math.abs(y[i] - truth) / truth);
    }
    assertTrue(worst <= 6.7e-16, "max relative error " + worst);
  }

  @Test
  void simdAndScalarLanesGiveTheSameBits() {
    SplittableRandom rng = new SplittableRandom(6);
    int len = 1_000;
    double[] x = new double[len];
    for (int i = 0; i < len; i++) {
      x[i] = -rng.nextDouble() * 800 + 3;
    }
    double[] y = new double[len];
    Exp.expShifted(x, 0, 3.0, y, 0, len);
    for (int i = 0; i < len; i++) {
      assertEquals(
          Double.doubleToRawLongBits(Exp.exp(x[i] - 3.0)), Double.doubleToRawLongBits(y[i]), "entry " + i);
    }
  }

  @Test
  void edgeArguments() {
    double[] x = {0.0, -0.0, -708.0, -708.5, -1e300, Double.NEGATIVE_INFINITY, Double.NaN, -745.2, 1e-300};
    double[] y = new double[x.length];
    Exp.expShifted(x, 0, 0.0, y, 0, x.length);
    assertEquals(1.0, y[0]);
    assertEquals(1.0, y[1]);
    assertEquals(Math.exp(-708.0), y[2], 3e-16 * Math.exp(-708.0));
    assertEquals(0.0, y[3]);
    assertEquals(0.0, y[4]);
    assertEquals(0.0, y[5]);
    assertTrue(Double.isNaN(y[6]));
    assertEquals(0.0, y[7]);
    assertEquals(1.0, y[8]);
  }
}
