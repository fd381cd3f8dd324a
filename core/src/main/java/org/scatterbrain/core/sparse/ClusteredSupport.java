package org.scatterbrain.core.sparse;

import java.util.Arrays;

/**
 * Support made of balanced clusters, the layout shared by SMYRF and Reformer-style LSH attention. In each round,
 * queries and keys are sorted by a hash (ties by index); the sorted sequences are cut into C contiguous groups of
 * nearly equal size (sizes differ by at most one, so no group is empty and no padding is needed: pitfall P10), and
 * query group c meets key group c, plus, with look-back, key group c - 1 (cyclically), as Reformer's chunks do.
 *
 * <p>Memory: 4 ints per query and key per round. Building it sorts: O(h (n log n + m log m)).
 */
public final class ClusteredSupport implements SparseSupport {
  private final int n;
  private final int m;
  private final int groups;
  private final boolean lookBack;
  private final boolean dedup;
  private final int[][] queryOrder;
  private final int[][] keyOrder;
  private final int[][] queryGroup;
  private final int[][] keyGroup;
  private volatile int[][] groupMinKey; // per round and group, the smallest key index; built by firstKey (causal)
  private final double paperEntriesPerRow;

  private ClusteredSupport(
      int n,
      int m,
      int groups,
      boolean lookBack,
      boolean dedup,
      int[][] queryOrder,
      int[][] keyOrder,
      double paperEntriesPerRow) {
    this.n = n;
    this.m = m;
    this.groups = groups;
    this.lookBack = lookBack;
    this.dedup = dedup;
    this.queryOrder = queryOrder;
    this.keyOrder = keyOrder;
    this.paperEntriesPerRow = paperEntriesPerRow;
    int h = queryOrder.length;
    queryGroup = new int[h][n];
    keyGroup = new int[h][m];
    for (int t = 0; t < h; t++) {
      for (int c = 0; c < groups; c++) {
        for (int p = start(c, n); p < start(c + 1, n); p++) {
          queryGroup[t][queryOrder[t][p]] = c;
        }
        for (int p = start(c, m); p < start(c + 1, m); p++) {
          keyGroup[t][keyOrder[t][p]] = c;
        }
      }
    }
  }

  /**
   * Builds the support from per-round hash values: {@code queryHash[t][i]} and {@code keyHash[t][j]} are sorted
   * ascending (ties by index).
   *
   * @param groups number of clusters C, at most min(n, m)
   * @param lookBack whether query group c also meets key group c - 1 (Reformer chunks)
   * @param dedup whether a pair found in several rounds counts once
   * @param paperEntriesPerRow the paper's memory count per row (spec section 6)
   */
  public static ClusteredSupport fromHashes(
      double[][] queryHash,
      double[][] keyHash,
      int groups,
      boolean lookBack,
      boolean dedup,
      double paperEntriesPerRow) {
    int h = queryHash.length;
    int n = queryHash[0].length;
    int m = keyHash[0].length;
    if (groups < 1 || groups > Math.min(n, m)) {
      throw new IllegalArgumentException(
          "number of clusters must be in [1, min(n, m)] = [1, "
              + Math.min(n, m)
              + "], got "
              + groups
              + " (n = "
              + n
              + ", m = "
              + m
              + ")");
    }
    int[][] qo = new int[h][];
    int[][] ko = new int[h][];
    for (int t = 0; t < h; t++) {
      qo[t] = argsort(queryHash[t]);
      ko[t] = argsort(keyHash[t]);
    }
    return new ClusteredSupport(n, m, groups, lookBack, dedup, qo, ko, paperEntriesPerRow);
  }

  /** Indices sorted by value ascending, ties by index (a stable merge sort; NaN is rejected). */
  static int[] argsort(double[] v) {
    int len = v.length;
    int[] idx = new int[len];
    for (int i = 0; i < len; i++) {
      if (Double.isNaN(v[i])) {
        throw new ArithmeticException("hash value " + i + " is NaN");
      }
      idx[i] = i;
    }
    int[] tmp = new int[len];
    for (int width = 1; width < len; width *= 2) {
      for (int lo = 0; lo < len - width; lo += 2 * width) {
        int mid = lo + width;
        int hi = Math.min(lo + 2 * width, len);
        int a = lo;
        int b = mid;
        int o = lo;
        while (a < mid && b < hi) {
          tmp[o++] = v[idx[b]] < v[idx[a]] ? idx[b++] : idx[a++];
        }
        while (a < mid) {
          tmp[o++] = idx[a++];
        }
        while (b < hi) {
          tmp[o++] = idx[b++];
        }
        System.arraycopy(tmp, lo, idx, lo, hi - lo);
      }
    }
    return idx;
  }

  private int start(int c, int len) {
    return (int) ((long) c * len / groups);
  }

  /** Number of clusters C per round. */
  public int groups() {
    return groups;
  }

  @Override
  public int queryCount() {
    return n;
  }

  @Override
  public int keyCount() {
    return m;
  }

  @Override
  public int rounds() {
    return queryOrder.length;
  }

  @Override
  public int tiles(int round) {
    return groups;
  }

  @Override
  public int maxTileQueries() {
    return (n + groups - 1) / groups;
  }

  @Override
  public int maxTileKeys() {
    int perGroup = (m + groups - 1) / groups;
    return lookBack && groups > 1 ? 2 * perGroup : perGroup;
  }

  private boolean meets(int t, int queryIdx, int keyIdx) {
    int cq = queryGroup[t][queryIdx];
    int ck = keyGroup[t][keyIdx];
    return ck == cq || (lookBack && ck == (cq + groups - 1) % groups);
  }

  @Override
  public void fillTile(int round, int tile, Tile dst) {
    int q0 = start(tile, n);
    int q1 = start(tile + 1, n);
    int qn = q1 - q0;
    System.arraycopy(queryOrder[round], q0, dst.queries, 0, qn);
    int kn = 0;
    int k0 = start(tile, m);
    int k1 = start(tile + 1, m);
    System.arraycopy(keyOrder[round], k0, dst.keys, 0, k1 - k0);
    kn = k1 - k0;
    if (lookBack && groups > 1) {
      int prev = (tile + groups - 1) % groups;
      int p0 = start(prev, m);
      int p1 = start(prev + 1, m);
      System.arraycopy(keyOrder[round], p0, dst.keys, kn, p1 - p0);
      kn += p1 - p0;
    }
    dst.queryCount = qn;
    dst.keyCount = kn;
    boolean[] inc = dst.include;
    if (!dedup || round == 0) {
      Arrays.fill(inc, 0, qn * kn, true);
      return;
    }
    for (int r = 0; r < qn; r++) {
      int i = dst.queries[r];
      for (int c = 0; c < kn; c++) {
        int j = dst.keys[c];
        boolean seen = false;
        for (int t = 0; t < round && !seen; t++) {
          seen = meets(t, i, j);
        }
        inc[r * kn + c] = !seen;
      }
    }
  }

  @Override
  public boolean contains(int i, int j) {
    for (int t = 0; t < rounds(); t++) {
      if (meets(t, i, j)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public int firstKey(int i) {
    int[][] groupMinKey = this.groupMinKey;
    if (groupMinKey == null) {
      groupMinKey = new int[rounds()][groups];
      for (int t = 0; t < rounds(); t++) {
        for (int c = 0; c < groups; c++) {
          int mn = Integer.MAX_VALUE;
          for (int p = start(c, m); p < start(c + 1, m); p++) {
            mn = Math.min(mn, keyOrder[t][p]);
          }
          groupMinKey[t][c] = mn;
        }
      }
      this.groupMinKey = groupMinKey;
    }
    int best = Integer.MAX_VALUE;
    for (int t = 0; t < rounds(); t++) {
      int c = queryGroup[t][i];
      best = Math.min(best, groupMinKey[t][c]);
      if (lookBack && groups > 1) {
        best = Math.min(best, groupMinKey[t][(c + groups - 1) % groups]);
      }
    }
    return best;
  }

  @Override
  public boolean deduplicated() {
    return dedup;
  }

  @Override
  public int maxRowSupport() {
    return maxTileKeys() * rounds();
  }

  @Override
  public int rowSupport(int i, int[] keys, int[] counts) {
    int len = 0;
    for (int t = 0; t < rounds(); t++) {
      int c = queryGroup[t][i];
      len = appendGroup(t, c, keys, len);
      if (lookBack && groups > 1) {
        len = appendGroup(t, (c + groups - 1) % groups, keys, len);
      }
    }
    Arrays.sort(keys, 0, len);
    int u = 0;
    for (int x = 0; x < len; x++) {
      if (u > 0 && keys[u - 1] == keys[x]) {
        counts[u - 1]++;
      } else {
        keys[u] = keys[x];
        counts[u] = 1;
        u++;
      }
    }
    if (dedup) {
      Arrays.fill(counts, 0, u, 1);
    }
    return u;
  }

  private int appendGroup(int t, int c, int[] keys, int len) {
    int k0 = start(c, m);
    int k1 = start(c + 1, m);
    System.arraycopy(keyOrder[t], k0, keys, len, k1 - k0);
    return len + k1 - k0;
  }

  @Override
  public double entriesPerRow() {
    return paperEntriesPerRow;
  }

  @Override
  public long storedBytes() {
    return 4L * rounds() * 2L * (n + m) + (groupMinKey == null ? 0 : 4L * rounds() * groups);
  }
}
