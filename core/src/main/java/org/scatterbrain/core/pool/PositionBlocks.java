package org.scatterbrain.core.pool;

import org.scatterbrain.core.Checks;
import org.scatterbrain.core.sparse.BandSupport;

/**
 * Geometric position blocks: for each query row, the keys off its support (a window and the first G keys) cut into at
 * most P contiguous blocks whose sizes grow geometrically away from the window, so that the keys next to the window
 * are pooled finely and the far ones coarsely. Real attention decays with distance from the query (recency), so a
 * fixed number of blocks spends its resolution where the mass is; the blocks depend on positions only, so pooling
 * them needs no clustering of the keys and no row ever depends on a later key (the causal form).
 *
 * <p>Row i's off-support keys form at most two segments: below the window, {@code [G, start_i)}, and above it, {@code
 * [max(end_i, G), m)} (empty under the causal mask). A segment of L keys given p blocks is cut at offsets {@code u_t =
 * round((L + 1)^(t / p)) - 1} from its end next to the window ({@code t = 0 .. p}), each block at least one key wide:
 * exactly {@code min(p, L)} blocks, and with {@code p >= L} every key its own block. Two segments share P in
 * proportion to their lengths (each with keys gets at least one block).
 *
 * <p>Deterministic; O(P) per row and no storage beyond the window's parameters.
 */
public final class PositionBlocks {
  private final int n;
  private final int m;
  private final int globals;
  private final int blocks;
  private final BandSupport band;
  private final boolean causal;

  /**
   * Blocks around the window of width {@code window} (0: none; causal: the W most recent visible keys) and the first
   * {@code globals} keys, at most {@code blocks} per row, for n queries and m keys.
   */
  public PositionBlocks(int n, int m, int window, int globals, int blocks, boolean causal) {
    Checks.requirePositive(n, "n");
    Checks.requirePositive(m, "m");
    Checks.requireNonNegative(window, "window");
    Checks.requireNonNegative(globals, "globals");
    Checks.requirePositive(blocks, "blocks");
    this.n = n;
    this.m = m;
    this.globals = Math.min(globals, m);
    this.blocks = blocks;
    this.band = window == 0 ? null : causal ? BandSupport.causal(n, m, window) : BandSupport.of(n, m, window);
    this.causal = causal;
  }

  /** Most blocks of a row. */
  public int maxBlocks() {
    return blocks;
  }

  /**
   * Row i's two segments and their shares of the blocks into {@code seg}: below the window {@code [seg[0], seg[1])}
   * with {@code seg[2]} blocks, above it {@code [seg[3], seg[4])} with {@code seg[5]}. Modified: {@code seg}.
   */
  private void segments(int i, int[] seg) {
    int last = causal ? i + m - n : m - 1; // the last key row i sees
    int belowLo = globals;
    int belowHi;
    int aboveLo;
    int aboveHi = Math.max(globals, last + 1);
    if (band == null) { // no window: one segment, [G, last + 1), pooled from its top (the query's side)
      belowHi = aboveHi;
      aboveLo = aboveHi;
    } else {
      // below the window: [G, start); above it: [max(end, G), last + 1)
      belowHi = Math.max(globals, Math.min(band.start(i), last + 1));
      aboveLo = Math.max(Math.min(band.end(i), last + 1), globals);
      aboveHi = Math.max(aboveLo, last + 1);
    }
    int lb = belowHi - belowLo;
    int la = aboveHi - aboveLo;
    int pb;
    if (la == 0) {
      pb = blocks;
    } else if (lb == 0) {
      pb = 0;
    } else if (blocks == 1) {
      pb = lb >= la ? 1 : 0;
    } else {
      pb = (int) Math.max(1, Math.min(blocks - 1, Math.round((double) blocks * lb / (lb + la))));
    }
    seg[0] = belowLo;
    seg[1] = belowHi;
    seg[2] = pb;
    seg[3] = aboveLo;
    seg[4] = aboveHi;
    seg[5] = blocks - pb;
  }

  /**
   * Writes row i's blocks as key ranges {@code [lo[b], hi[b])} and returns their count (at most {@link #maxBlocks}).
   * Modified: {@code lo}, {@code hi}.
   */
  public int blocks(int i, int[] lo, int[] hi) {
    int[] seg = new int[6];
    segments(i, seg);
    int count = segment(seg[0], seg[1], seg[2], true, lo, hi, 0);
    return segment(seg[3], seg[4], seg[5], false, lo, hi, count);
  }

  /** How many blocks row i has ({@link #blocks} without building them): each segment's share, at most its length. */
  public int count(int i) {
    int[] seg = new int[6];
    segments(i, seg);
    return Math.min(seg[2], seg[1] - seg[0]) + Math.min(seg[5], seg[4] - seg[3]);
  }

  /**
   * Cuts {@code [from, to)} into {@code min(p, to - from)} blocks growing away from its {@code nearTop} end (the end
   * next to the window), written from index {@code at}; returns the new count.
   */
  private static int segment(int from, int to, int p, boolean nearTop, int[] lo, int[] hi, int at) {
    int len = to - from;
    int k = Math.min(p, len);
    if (k <= 0) {
      return at;
    }
    double base = Math.log(len + 1.0) / k;
    int prev = 0;
    for (int t = 1; t <= k; t++) {
      // offsets from the near end: geometric, at least one key per block, room left for the blocks after this one
      int u = t == k ? len : (int) Math.round(Math.exp(base * t)) - 1;
      u = Math.max(prev + 1, Math.min(len - (k - t), u));
      if (nearTop) {
        lo[at] = to - u;
        hi[at] = to - prev;
      } else {
        lo[at] = from + prev;
        hi[at] = from + u;
      }
      at++;
      prev = u;
    }
    return at;
  }

  /** Mean over the rows of their block counts. */
  public double meanBlocks() {
    long total = 0;
    for (int i = 0; i < n; i++) {
      total += count(i);
    }
    return (double) total / n;
  }

  /**
   * Mean over the rows of their support size: the window's keys (that the row can see) and the first G keys, each pair
   * once.
   */
  public double meanSupport() {
    long total = 0;
    for (int i = 0; i < n; i++) {
      int last = causal ? i + m - n : m - 1;
      int visibleGlobals = Math.min(globals, last + 1);
      if (band == null) {
        total += visibleGlobals;
        continue;
      }
      int start = band.start(i);
      int end = Math.min(band.end(i), last + 1);
      int window = Math.max(0, end - start);
      int overlap = Math.max(0, Math.min(end, visibleGlobals) - start);
      total += window + visibleGlobals - overlap;
    }
    return (double) total / n;
  }
}
