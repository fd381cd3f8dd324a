/**
 * Attention problems for experiments, as {@link org.scatterbrain.core.AttentionInputs}: Gaussian queries and keys
 * of fixed norm (spec section 7.5: norm {@code d^(1/4)}) or raw, clustered mixtures of Gaussians that give sparse
 * and LSH methods structure, real heads read from {@code .npy} files, and prefixes of a problem.
 *
 * <p>Every generator takes its {@link java.util.random.RandomGenerator} as an argument and documents its draw
 * order, so a seed determines the problem; nothing here creates randomness of its own.
 */
package org.scatterbrain.core.inputs;
