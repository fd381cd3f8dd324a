/**
 * Reading and writing dense arrays in NumPy's {@code .npy} format, the exchange format between the Java
 * estimators and the numpy reference scripts and real-model dumps.
 *
 * <p>{@link org.scatterbrain.core.io.NpyReader} reads format versions 1.0, 2.0 and 3.0 of little-endian
 * {@code float32}/{@code float64} C-order arrays with one or two dimensions into an immutable
 * {@link org.scatterbrain.core.io.NpyArray}; {@link org.scatterbrain.core.io.NpyWriter} writes a 2-D
 * {@code <f8} version 1.0 file. Format reference: <a
 * href="https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html">numpy.lib.format</a>.
 * Both stream the data through a fixed-size little-endian buffer, so cost is O(rows * cols) time and
 * O(rows * cols) memory for the result only.
 */
package org.scatterbrain.core.io;
