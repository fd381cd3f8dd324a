/**
 * Blocks that estimate attention off a sparse support without random features: key groups whose centroids stand for
 * their members (pooled attention, {@link org.scatterbrain.core.pool.KeyGroups}), a stratified sample of keys
 * ({@link org.scatterbrain.core.pool.KeySample}), and the choice of global key columns ({@link
 * org.scatterbrain.core.pool.GlobalColumns}).
 */
package org.scatterbrain.core.pool;
