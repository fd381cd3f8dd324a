/**
 * Sparse attention supports and the kernel that sums over them: SMYRF's asymmetric LSH with balanced clusters,
 * Reformer-style angular LSH with chunked look-back, the local band, and explicit supports; all laid out as dense
 * tiles so that logits on the support are matrix multiplies.
 */
package org.scatterbrain.core.sparse;
