package org.scatterbrain.core.sparse;

/**
 * A sparse attention support S, a set (or, for plain SMYRF, a multiset) of (query, key) pairs, laid out as dense
 * tiles so that logits on the support are computed with matrix-multiply kernels.
 *
 * <p>Tiles come in rounds (hash rounds; a band support has one). Within a round every query appears in at most one
 * tile, so tiles of a round can be evaluated in parallel; rounds are evaluated in order. A deduplicated support
 * includes each pair once over all rounds (spec 4.2 step 5, pitfall P11).
 */
public interface SparseSupport {
  /** Number of queries n. */
  int queryCount();

  /** Number of keys m. */
  int keyCount();

  /** Number of rounds of tiles. */
  int rounds();

  /** Number of tiles in round {@code round}. */
  int tiles(int round);

  /** Largest tile query count. */
  int maxTileQueries();

  /** Largest tile key count. */
  int maxTileKeys();

  /** Fills {@code dst} (sized by {@link #maxTileQueries} x {@link #maxTileKeys}) with tile {@code tile} of a round. */
  void fillTile(int round, int tile, Tile dst);

  /** Whether each pair is counted once (true) or once per round that finds it (false, plain SMYRF). */
  boolean deduplicated();

  /** Size of the buffers {@link #rowSupport} needs (at least the keys of one row counted with repetition). */
  int maxRowSupport();

  /**
   * Writes query {@code i}'s distinct support keys in ascending order into {@code keys}, and how many times each is
   * counted into {@code counts} (all 1 when {@link #deduplicated}). Returns how many were written.
   */
  int rowSupport(int i, int[] keys, int[] counts);

  /**
   * Whether pair (i, j) is in the support. The default searches {@link #rowSupport}; supports answer it in O(1) or
   * O(rounds) where they can (it is used to count pairs once in a union of supports).
   */
  default boolean contains(int i, int j) {
    int[] keys = new int[maxRowSupport()];
    int[] counts = new int[maxRowSupport()];
    int len = rowSupport(i, keys, counts);
    return java.util.Arrays.binarySearch(keys, 0, len, j) >= 0;
  }

  /**
   * The smallest key in query i's support, or {@link Integer#MAX_VALUE} when it is empty. The default searches {@link
   * #rowSupport}; supports answer it faster where they can (the causal mask asks it of every query).
   */
  default int firstKey(int i) {
    int[] keys = new int[Math.max(1, maxRowSupport())];
    int[] counts = new int[keys.length];
    int len = rowSupport(i, keys, counts);
    return len == 0 ? Integer.MAX_VALUE : keys[0];
  }

  /** Stored entries per query row as the paper counts them (spec section 6): window, or cluster size x rounds. */
  double entriesPerRow();

  /** Bytes of index data this support holds. */
  long storedBytes();
}
