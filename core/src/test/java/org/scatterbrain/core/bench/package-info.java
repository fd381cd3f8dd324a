/**
 * JMH benchmarks of the attention estimators (run with the exec execution {@code jmh} of {@code core/pom.xml}; see
 * {@code docs/benchmarks.md} for the commands and how to read the results).
 *
 * <ul>
 *   <li>{@link org.scatterbrain.core.bench.ExactAttentionBenchmark}: streamed exact attention against the plain
 *       ojAlgo pipeline that materialises the n x n score matrix; GFLOP/s = 4 n^2 d / time.
 *   <li>{@link org.scatterbrain.core.bench.EstimatorBenchmark}: every approximate estimator at the paper's sizes,
 *       in a 2 GiB heap.
 * </ul>
 *
 * <p>Inputs are drawn once per trial from a fixed seed ({@link org.scatterbrain.core.bench.BenchmarkInputs}), so every
 * run times the same problems. Forked JVMs get {@code --add-modules jdk.incubator.vector}, so the SIMD kernel runs
 * ({@link org.scatterbrain.core.linalg.Gemm#implementation()}). Class names end in {@code Benchmark}, which
 * surefire's default includes do not match, and the parent pom excludes the generated {@code jmh_generated} classes.
 */
package org.scatterbrain.core.bench;
