package org.scatterbrain.core.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.scatterbrain.core.AttentionInputs;

/**
 * Key groups on long sequences, where the metric and the Lloyd steps before the last use strided samples ({@link
 * KeyGroups#SAMPLE}): the strides, the invariants of the groups (every eligible key in exactly one group, sizes,
 * centroids and value sums of the members), and that well-separated clusters are recovered with every key, sampled
 * or not, in its cluster's group.
 */
class KeyGroupsTest {
  @Test
  void strideTakesEverythingInOrderUpToTheLimitAndSpreadsEvenlyBeyond() {
    assertArrayEquals(new int[] {0, 1, 2, 3, 4}, KeyGroups.stride(5, 8));
    int[] s = KeyGroups.stride(10_000, 4096);
    assertEquals(4096, s.length);
    assertEquals(0, s[0]);
    for (int x = 1; x < s.length; x++) {
      int step = s[x] - s[x - 1];
      assertTrue(step == 2 || step == 3, "positions " + s[x - 1] + ", " + s[x]); // 10000 / 4096 = 2.44
    }
    assertTrue(s[s.length - 1] < 10_000);
  }

  /**
   * 8 clusters of slightly unequal sizes (the initial equal segments straddle their borders, so Lloyd steps must move
   * keys; much more unequal and k-means may merge two clusters, which is its own local optimum, not a sampling issue),
   * contiguous in token order, centres 20 apart and noise 0.1 per coordinate: far beyond any doubt, so every key must
   * end in its cluster's group, which checks that the last step assigns the keys no earlier step learned from.
   */
  @Test
  void longSequencesRecoverSeparatedClustersForEveryKey() {
    int m = 2 * KeyGroups.SAMPLE + 1234;
    int d = 8;
    int dv = 3;
    int clusters = 8;
    SplittableRandom rng = new SplittableRandom(42);
    int[] weight = {10, 11, 10, 12, 10, 11, 12, 10};
    int total = Arrays.stream(weight).sum();
    int[] label = new int[m];
    double[] k = new double[m * d];
    double[] v = new double[m * dv];
    double[][] centre = new double[clusters][d];
    for (int c = 0; c < clusters; c++) {
      centre[c][c] = 20; // orthogonal axes: pairwise distance 20 sqrt 2
    }
    int j = 0;
    for (int c = 0; c < clusters; c++) {
      int size = c == clusters - 1 ? m - j : (int) ((long) m * weight[c] / total);
      for (int x = 0; x < size; x++, j++) {
        label[j] = c;
        for (int t = 0; t < d; t++) {
          k[j * d + t] = centre[c][t] + 0.1 * rng.nextGaussian();
        }
        for (int t = 0; t < dv; t++) {
          v[j * dv + t] = rng.nextGaussian();
        }
      }
    }
    // isotropic queries: the metric C is close to the identity
    double[] q = new double[m * d];
    for (int x = 0; x < q.length; x++) {
      q[x] = rng.nextGaussian();
    }
    AttentionInputs in = AttentionInputs.ofRowMajor(m, m, d, dv, q, k, v, 1 / Math.sqrt(d));
    boolean[] eligible = new boolean[m];
    Arrays.fill(eligible, true);
    eligible[0] = false; // e.g. a global column: not grouped
    KeyGroups g = KeyGroups.of(in, eligible, clusters, 3, true);

    assertEquals(clusters, g.count());
    assertEquals(-1, g.groupOf()[0]);
    assertEquals(m - 1, Arrays.stream(g.sizes()).sum());
    int[] groupOfCluster = new int[clusters];
    Arrays.fill(groupOfCluster, -1);
    int[] count = new int[clusters];
    double[] centroid = new double[clusters * d];
    double[] valueSum = new double[clusters * dv];
    for (int x = 1; x < m; x++) {
      int h = g.groupOf()[x];
      assertTrue(h >= 0 && h < clusters, "key " + x + " in group " + h);
      if (groupOfCluster[label[x]] < 0) {
        groupOfCluster[label[x]] = h;
      }
      assertEquals(groupOfCluster[label[x]], h, "key " + x + " of cluster " + label[x]);
      count[h]++;
      for (int t = 0; t < d; t++) {
        centroid[h * d + t] += k[x * d + t];
      }
      for (int t = 0; t < dv; t++) {
        valueSum[h * dv + t] += v[x * dv + t];
      }
    }
    assertEquals(clusters, Arrays.stream(groupOfCluster).distinct().count());
    assertArrayEquals(count, g.sizes());
    for (int h = 0; h < clusters; h++) {
      for (int t = 0; t < d; t++) {
        // sums of a few thousand terms of size 20 in different orders: round-off far below 1e-9
        assertEquals(centroid[h * d + t] / count[h], g.centroids()[h * d + t], 1e-9);
      }
      for (int t = 0; t < dv; t++) {
        assertEquals(valueSum[h * dv + t], g.valueSums()[h * dv + t], 1e-9);
      }
    }
  }
}
