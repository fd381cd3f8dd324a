/**
 * Estimators of softmax attention {@code softmax_row(tau Q K^T) V} and their comparison with exact attention.
 *
 * <p>{@link org.scatterbrain.core.AttentionEstimator} is the one interface; {@link org.scatterbrain.core.Estimators}
 * creates the estimator of a validated {@link org.scatterbrain.core.MethodConfig} record: exact (streamed, never an n x
 * m matrix), Performer (FAVOR+ positive random features), SMYRF, Reformer-style angular LSH, local window,
 * Scatterbrain (sparse + low-rank) and Nystrom. Every random choice comes from a caller's {@link
 * java.util.random.RandomGenerator} ({@link org.scatterbrain.core.Draws} documents how it is split), and every random
 * component can also be given explicitly. The method follows the Scatterbrain paper (Chen et al., NeurIPS 2021) as
 * restated in the project's specification.
 *
 * <p>Building blocks live in sub-packages: {@code linalg} (kernels), {@code features} (random feature maps), {@code
 * sparse} (hashing and supports), {@code metrics} (errors and memory), {@code inputs} and {@code io} (experiment
 * inputs).
 */
package org.scatterbrain.core;
