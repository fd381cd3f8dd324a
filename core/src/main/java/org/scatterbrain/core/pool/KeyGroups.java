package org.scatterbrain.core.pool;

import java.util.Arrays;
import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.linalg.Gemm;
import org.scatterbrain.core.linalg.Parallel;

/**
 * Key groups for pooled attention: each group's centroid stands for its members, so a query's attention to the
 * group is estimated as {@code |members| exp(tau q . kbar)} (Jensen: a slight underestimate, which the estimator
 * calibrates). The error of replacing {@code tau q . k_j} by {@code tau q . kbar} is, to first order, {@code tau q .
 * (k_j - kbar)}; its mean square over the queries is {@code tau^2 (k_j - kbar)^T C (k_j - kbar)} with {@code C = Q^T
 * Q / n}. So the groups are k-means clusters of the keys in that metric: start from equal contiguous segments of the
 * eligible keys (deterministic, and it keeps neighbouring tokens together), then Lloyd steps; empty groups are dropped.
 *
 * <p>Long sequences: the metric C is estimated from at most {@value #SAMPLE} queries and the Lloyd steps before the
 * last run on at most {@value #SAMPLE} keys (both evenly strided, so no random draw is involved); the last step
 * assigns every key (more than 512 groups learn from 8 keys per group). A centroid is a mean over many keys, which a
 * strided sample of them estimates well, and
 * the work of the steps stops growing with m. Up to {@value #SAMPLE} queries and keys nothing is sampled.
 *
 * <p>Cost: ((iterations - 1) min(m, S) + m) x P x d multiply-adds, plus d^2 (min(n, S) + m) for C and K C, with S =
 * {@value #SAMPLE}. Memory O(m d + P (d + dv)).
 *
 * @param groupOf group of each key, -1 for keys not grouped
 * @param sizes members per group
 * @param centroids row-major P x d mean keys
 * @param valueSums row-major P x dv sums of the members' values
 */
public record KeyGroups(int[] groupOf, int[] sizes, double[] centroids, double[] valueSums) {
  /** Queries for the metric and keys for the Lloyd steps before the last, at most. */
  public static final int SAMPLE = 4096;

  /** Number of groups P. */
  public int count() {
    return sizes.length;
  }

  /**
   * Groups the keys {@code eligible} is true for into at most {@code groups} groups with {@code iterations} Lloyd
   * steps; with {@code parallel}, each step's assignment is spread over the common pool (the same groups either way:
   * every key's assignment is computed alone). Not modified: {@code in}, {@code eligible}.
   */
  public static KeyGroups of(AttentionInputs in, boolean[] eligible, int groups, int iterations, boolean parallel) {
    int n = in.queryCount();
    int m = in.keyCount();
    int d = in.headDim();
    int dv = in.valueDim();
    double[] k = in.keysRowMajor();
    int[] keys = new int[m];
    int size = 0;
    for (int j = 0; j < m; j++) {
      if (eligible[j]) {
        keys[size++] = j;
      }
    }
    int p = Math.min(groups, size);
    int[] groupOf = new int[m];
    Arrays.fill(groupOf, -1);
    for (int x = 0; x < size; x++) {
      groupOf[keys[x]] = (int) ((long) x * p / size);
    }
    if (iterations > 0 && p > 1) {
      // C = Q^T Q / n and KC = K C (rows of eligible keys): score_jh = k_j^T C c_h - c_h^T C c_h / 2
      int[] qs = stride(n, SAMPLE);
      double[] qSample = new double[qs.length * d];
      for (int x = 0; x < qs.length; x++) {
        System.arraycopy(in.queriesRowMajor(), qs[x] * d, qSample, x * d, d);
      }
      double[] qt = transpose(qSample, qs.length, d);
      double[] c = new double[d * d];
      Gemm.multiplyAdd(qt, 0, qs.length, qSample, 0, d, c, 0, d, d, qs.length, d);
      for (int x = 0; x < c.length; x++) {
        c[x] /= qs.length;
      }
      // positions (into keys) of the keys the steps before the last learn from: all of them up to SAMPLE
      // (at least 8 per group, so that every initial segment keeps members to learn from)
      int[] learn = stride(size, Math.max(SAMPLE, 8 * p));
      double[] ke = new double[size * d];
      for (int x = 0; x < size; x++) {
        System.arraycopy(k, keys[x] * d, ke, x * d, d);
      }
      double[] kc = new double[size * d];
      Gemm.multiplyAdd(ke, 0, d, c, 0, d, kc, 0, d, size, d, d);
      for (int it = 0; it < iterations; it++) {
        Parallel.checkInterrupted();
        int[] counts = new int[p];
        double[] cent = new double[p * d];
        for (int x : learn) {
          int g = groupOf[keys[x]];
          counts[g]++;
          for (int t = 0; t < d; t++) {
            cent[g * d + t] += ke[x * d + t];
          }
        }
        int alive = 0;
        int[] index = new int[p];
        for (int g = 0; g < p; g++) {
          if (counts[g] > 0) {
            for (int t = 0; t < d; t++) {
              cent[alive * d + t] = cent[g * d + t] / counts[g];
            }
            index[alive++] = g;
          }
        }
        double[] centT = new double[d * alive];
        for (int g = 0; g < alive; g++) {
          for (int t = 0; t < d; t++) {
            centT[t * alive + g] = cent[g * d + t];
          }
        }
        // half c^T C c per centroid
        double[] cc = new double[alive * d];
        Gemm.multiplyAdd(cent, 0, d, c, 0, d, cc, 0, d, alive, d, d);
        double[] half = new double[alive];
        for (int g = 0; g < alive; g++) {
          double s = 0;
          for (int t = 0; t < d; t++) {
            s += cc[g * d + t] * cent[g * d + t];
          }
          half[g] = 0.5 * s;
        }
        final int block = 256;
        final int live = alive;
        // the last step assigns every key; the others only the keys they learn from
        boolean all = it == iterations - 1 || learn.length == size;
        int count = all ? size : learn.length;
        double[] kcs = kc;
        int[] at = null;
        if (!all) {
          at = learn;
          kcs = new double[count * d];
          for (int x = 0; x < count; x++) {
            System.arraycopy(kc, learn[x] * d, kcs, x * d, d);
          }
        }
        final double[] kcRows = kcs;
        final int[] positions = at;
        int blocks = (count + block - 1) / block;
        int chunks = Parallel.chunks(blocks, parallel);
        Parallel.forEachChunk(chunks, parallel, ch -> {
          double[] score = new double[block * live];
          for (int b = Parallel.chunkStart(ch, chunks, blocks); b < Parallel.chunkEnd(ch, chunks, blocks); b++) {
            int x0 = b * block;
            int rows = Math.min(block, count - x0);
            Arrays.fill(score, 0, rows * live, 0.0);
            Gemm.multiplyAdd(kcRows, x0 * d, d, centT, 0, live, score, 0, live, rows, d, live);
            for (int r = 0; r < rows; r++) {
              int best = 0;
              double bestValue = Double.NEGATIVE_INFINITY;
              for (int g = 0; g < live; g++) {
                double v = score[r * live + g] - half[g];
                if (v > bestValue) {
                  bestValue = v;
                  best = g;
                }
              }
              groupOf[keys[positions == null ? x0 + r : positions[x0 + r]]] = best;
            }
          }
        });
        p = alive;
      }
      // drop groups emptied by the last assignment
      int[] counts = new int[p];
      for (int x = 0; x < size; x++) {
        counts[groupOf[keys[x]]]++;
      }
      int[] relabel = new int[p];
      int alive = 0;
      for (int g = 0; g < p; g++) {
        relabel[g] = counts[g] > 0 ? alive++ : -1;
      }
      for (int x = 0; x < size; x++) {
        groupOf[keys[x]] = relabel[groupOf[keys[x]]];
      }
      p = alive;
    }
    int[] sizes = new int[p];
    double[] centroids = new double[p * d];
    double[] valueSums = new double[p * dv];
    double[] v = in.valuesRowMajor();
    for (int x = 0; x < size; x++) {
      int j = keys[x];
      int g = groupOf[j];
      sizes[g]++;
      for (int t = 0; t < d; t++) {
        centroids[g * d + t] += k[j * d + t];
      }
      for (int t = 0; t < dv; t++) {
        valueSums[g * dv + t] += v[j * dv + t];
      }
    }
    for (int g = 0; g < p; g++) {
      for (int t = 0; t < d; t++) {
        centroids[g * d + t] /= sizes[g];
      }
    }
    return new KeyGroups(groupOf, sizes, centroids, valueSums);
  }

  /** {@code min(size, limit)} evenly strided positions in [0, size): all of them, in order, when size <= limit. */
  static int[] stride(int size, int limit) {
    int count = Math.min(size, limit);
    int[] out = new int[count];
    for (int x = 0; x < count; x++) {
      out[x] = (int) ((long) x * size / count);
    }
    return out;
  }

  private static double[] transpose(double[] x, int rows, int cols) {
    double[] out = new double[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + i] = x[i * cols + c];
      }
    }
    return out;
  }

  /** Bytes held. */
  public long bytes() {
    return 4L * (groupOf.length + sizes.length) + 8L * (centroids.length + valueSums.length);
  }
}
