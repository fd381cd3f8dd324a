package org.scatterbrain.core.metrics;

/**
 * What an estimate costs in memory, counted two ways.
 *
 * @param entriesPerRow stored entries per query row as the paper counts them (spec section 6): window W, cluster size
 *     x rounds, 2F for F features (F for the query plus F for the key), sparse + 2F for Scatterbrain, n for exact.
 *     This is the "budget" of equal-memory comparisons.
 * @param entries {@code entriesPerRow x n}
 * @param storedBytes bytes of what the method keeps to produce its output: features, low-rank sums, support
 *     indices, per-row sums (not the inputs or the output)
 * @param allocatedBytes bytes the JVM allocated while estimating, measured (see {@link AllocationMeter})
 */
public record MemoryFootprint(
    double entriesPerRow, double entries, long storedBytes, long allocatedBytes) {}
