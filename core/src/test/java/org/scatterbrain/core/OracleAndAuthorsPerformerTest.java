package org.scatterbrain.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.scatterbrain.core.features.ProjectionMatrix;
import org.scatterbrain.core.inputs.InputGenerators;
import org.scatterbrain.core.inputs.InputGenerators.ClusteredSpec;

/**
 * The oracle reference and the authors' Performer reproduce their definitions on small fixed cases, computed here
 * the plain way (dense matrices, textbook loops), so the streamed implementations are checked against formulas, not
 * against themselves.
 */
class OracleAndAuthorsPerformerTest {
  private static AttentionInputs inputs() {
    return InputGenerators.clustered(new ClusteredSpec(30, 30, 6, 4, 3, 2.5, 0.4), Draws.create(21));
  }

  /** The dense exact attention matrix, n x m. */
  private static double[] exactMatrix(AttentionInputs in) {
    return RowMajorTestUtil.dense(new ExactConfig().create(false).estimate(in, Draws.create(0)));
  }

  @Test
  void theOracleWithEveryKeyIsExact() {
    AttentionInputs in = inputs();
    double[] exact = ExactAttention.reference(in, false).outputRowMajor();
    for (boolean uniform : new boolean[] {false, true}) {
      Estimate e = new OracleConfig(30, uniform).create(false).estimate(in, Draws.create(1));
      // k = m keeps every key: the output is exact attention up to summation order
      assertArrayEquals(exact, e.outputRowMajor(), 1e-12, "uniformRest = " + uniform);
    }
  }

  @Test
  void theOracleKeepsTheTopKeysAndSpreadsTheRestUniformly() {
    AttentionInputs in = inputs();
    int n = 30;
    int m = 30;
    int k = 5;
    double[] a = exactMatrix(in);
    double[] top = new double[n * m];
    double[] uniform = new double[n * m];
    for (int i = 0; i < n; i++) {
      double[] row = Arrays.copyOfRange(a, i * m, (i + 1) * m);
      double[] sorted = row.clone();
      Arrays.sort(sorted);
      double threshold = sorted[m - k]; // distinct reals: exactly k entries are >= the k-th largest
      double kept = 0;
      for (int j = 0; j < m; j++) {
        if (row[j] >= threshold) {
          kept += row[j];
        }
      }
      for (int j = 0; j < m; j++) {
        boolean in5 = row[j] >= threshold;
        top[i * m + j] = in5 ? row[j] / kept : 0.0;
        uniform[i * m + j] = in5 ? row[j] : (1 - kept) / (m - k);
      }
    }
    double[] v = in.valuesRowMajor();
    int dv = in.valueDim();
    double[][] expected = {top, uniform};
    boolean[] flags = {false, true};
    for (int x = 0; x < 2; x++) {
      Estimate e = new OracleConfig(k, flags[x]).create(false).estimate(in, Draws.create(2));
      // entries are probabilities of order 1/m, outputs averages of values of order 1: 1e-12 is round-off
      assertArrayEquals(expected[x], RowMajorTestUtil.dense(e), 1e-12, "attention, uniformRest = " + flags[x]);
      double[] out = new double[n * dv];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < m; j++) {
          for (int c = 0; c < dv; c++) {
            out[i * dv + c] += expected[x][i * m + j] * v[j * dv + c];
          }
        }
      }
      assertArrayEquals(out, e.outputRowMajor(), 1e-12, "output, uniformRest = " + flags[x]);
    }
  }

  @Test
  void theOracleErrorShrinksAsKGrows() {
    AttentionInputs in = inputs();
    double[] exact = ExactAttention.reference(in, false).outputRowMajor();
    double previous = Double.POSITIVE_INFINITY;
    for (int k : new int[] {1, 4, 10, 20, 30}) {
      double[] o = new OracleConfig(k, false).create(false).estimate(in, Draws.create(3)).outputRowMajor();
      double err = 0;
      for (int x = 0; x < o.length; x++) {
        err += (o[x] - exact[x]) * (o[x] - exact[x]);
      }
      // deterministic: a larger top set keeps a superset of the mass, so the error cannot grow (k = m: 0)
      assertTrue(err <= previous + 1e-24, "k = " + k + ": " + err + " after " + previous);
      previous = err;
    }
    assertEquals(0.0, previous, 1e-20);
  }

  @Test
  void theAuthorsPerformerIsTheirFormula() {
    AttentionInputs in = inputs();
    int n = in.queryCount();
    int m = in.keyCount();
    int d = in.headDim();
    int dv = in.valueDim();
    int f = 7;
    double[] w = new double[f * d];
    java.util.random.RandomGenerator rng = Draws.create(4);
    for (int x = 0; x < w.length; x++) {
      w[x] = rng.nextGaussian();
    }
    ProjectionMatrix projection = ProjectionMatrix.ofRowMajor(w, f, d);
    AuthorsPerformerConfig config = AuthorsPerformerConfig.of(f);
    Estimate e = ((AuthorsPerformerAttention) config.create(false)).estimate(in, projection);

    // their feature map: x' = tau^(1/4) x (so x'.y' = sqrt(tau)... here sqrt(tau) x, as q'.k' = tau q.k),
    // u = W x', h = -|x'|^2 / 2, phi = (exp(u + h - c) + eps) / sqrt(F); c = the query row's max u, or the max u
    // over all keys; out = phi(Q) (phi(K)^T V) / (phi(Q) phi(K)^T 1 + normalizer eps)
    double s = Math.sqrt(in.scale());
    double[][] uq = new double[n][f];
    double[][] uk = new double[m][f];
    double[] hq = new double[n];
    double[] hk = new double[m];
    double keyMax = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      for (int t = 0; t < d; t++) {
        hq[i] -= 0.5 * s * s * in.queriesRowMajor()[i * d + t] * in.queriesRowMajor()[i * d + t];
      }
      for (int r = 0; r < f; r++) {
        for (int t = 0; t < d; t++) {
          uq[i][r] += w[r * d + t] * s * in.queriesRowMajor()[i * d + t];
        }
      }
    }
    for (int j = 0; j < m; j++) {
      for (int t = 0; t < d; t++) {
        hk[j] -= 0.5 * s * s * in.keysRowMajor()[j * d + t] * in.keysRowMajor()[j * d + t];
      }
      for (int r = 0; r < f; r++) {
        for (int t = 0; t < d; t++) {
          uk[j][r] += w[r * d + t] * s * in.keysRowMajor()[j * d + t];
        }
        keyMax = Math.max(keyMax, uk[j][r]);
      }
    }
    double eps = 1e-4;
    double[] expected = new double[n * dv];
    for (int i = 0; i < n; i++) {
      double c = Arrays.stream(uq[i]).max().getAsDouble();
      double den = 1e-6;
      double[] num = new double[dv];
      for (int j = 0; j < m; j++) {
        double dot = 0;
        for (int r = 0; r < f; r++) {
          double pq = (Math.exp(uq[i][r] + hq[i] - c) + eps) / Math.sqrt(f);
          double pk = (Math.exp(uk[j][r] + hk[j] - keyMax) + eps) / Math.sqrt(f);
          dot += pq * pk;
        }
        den += dot;
        for (int x = 0; x < dv; x++) {
          num[x] += dot * in.valuesRowMajor()[j * dv + x];
        }
      }
      for (int x = 0; x < dv; x++) {
        expected[i * dv + x] = num[x] / den;
      }
    }
    // the same arithmetic in another order: outputs of order 1 agree to round-off
    assertArrayEquals(expected, e.outputRowMajor(), 1e-11);
    assertEquals(2.0 * f, e.memory().entriesPerRow(), 0.0, "two feature matrices of F columns are stored per row");
  }
}
