/**
 * Dense kernels on row-major {@code double[]}: matrix multiply with a SIMD and a bit-identical scalar
 * implementation ({@link org.scatterbrain.core.linalg.Gemm}), streamed exact softmax attention ({@link
 * org.scatterbrain.core.linalg.ExactKernel}), and deterministic fork-join chunking.
 */
package org.scatterbrain.core.linalg;
