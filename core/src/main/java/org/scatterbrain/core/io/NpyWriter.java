package org.scatterbrain.core.io;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.scatterbrain.core.Checks;

/**
 * Writes a 2-D {@code float64} array as a NumPy {@code .npy} file, format version 1.0, dtype {@code '<f8'}, C
 * order, readable by {@code numpy.load} and {@link NpyReader}.
 *
 * <p>The header is {@code {'descr': '<f8', 'fortran_order': False, 'shape': (rows, cols), }}, padded with spaces
 * and ended by {@code '\n'} so that magic + version + length field + header is a multiple of 64 bytes, as the
 * format spec asks (numpy writes the same layout). Cost: O(rows * cols) time; the data goes through one 64 KiB
 * little-endian buffer.
 */
public final class NpyWriter {
  /** Header alignment required by the format spec (numpy >= 1.14 uses 64). */
  static final int ALIGNMENT = 64;

  /** Magic (6) + version (2) + u16 header length (2). */
  private static final int PREAMBLE_BYTES = 10;

  private static final int CHUNK_BYTES = 1 << 16;

  private NpyWriter() {}

  /**
   * Writes {@code data} to {@code file}, replacing the file if it exists.
   *
   * @param file the file to create or overwrite. Modified.
   * @param data row-major values, length {@code rows * cols}. Not modified.
   * @param rows number of rows, {@code >= 0}
   * @param cols number of columns, {@code >= 0}
   * @throws IOException if the file cannot be written
   */
  public static void write(Path file, double[] data, int rows, int cols) throws IOException {
    Objects.requireNonNull(file, "file");
    checkShape(data, rows, cols);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), CHUNK_BYTES)) {
      write(out, data, rows, cols);
    }
  }

  /** Writes {@code array} to {@code file}, replacing the file if it exists. Not modified: {@code array}. */
  public static void write(Path file, NpyArray array) throws IOException {
    Objects.requireNonNull(array, "array");
    write(file, array.data(), array.rows(), array.cols());
  }

  /**
   * Writes {@code data} as a complete {@code .npy} image to {@code out}, which is flushed but not closed.
   *
   * @param out the destination. Modified: written to.
   * @param data row-major values, length {@code rows * cols}. Not modified.
   * @param rows number of rows, {@code >= 0}
   * @param cols number of columns, {@code >= 0}
   * @throws IOException if writing fails
   */
  public static void write(OutputStream out, double[] data, int rows, int cols) throws IOException {
    Objects.requireNonNull(out, "out");
    checkShape(data, rows, cols);
    out.write(header(rows, cols));
    byte[] buf = new byte[CHUNK_BYTES];
    ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
    int perChunk = CHUNK_BYTES / Double.BYTES;
    for (int pos = 0; pos < data.length; pos += perChunk) {
      int n = Math.min(perChunk, data.length - pos);
      bb.clear();
      bb.asDoubleBuffer().put(data, pos, n);
      out.write(buf, 0, n * Double.BYTES);
    }
    out.flush();
  }

  /** The complete {@code .npy} image of {@code data} as bytes. Not modified: {@code data}. */
  public static byte[] toBytes(double[] data, int rows, int cols) {
    checkShape(data, rows, cols);
    var out = new ByteArrayOutputStream(PREAMBLE_BYTES + ALIGNMENT + data.length * Double.BYTES);
    try {
      write(out, data, rows, cols);
    } catch (IOException e) {
      throw new AssertionError("ByteArrayOutputStream does not throw", e);
    }
    return out.toByteArray();
  }

  /** Magic, version 1.0, u16 header length and the padded header for a {@code rows x cols} {@code <f8} array. */
  static byte[] header(int rows, int cols) {
    String dict =
        "{'descr': '<f8', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
    int unpadded = PREAMBLE_BYTES + dict.length() + 1; // + '\n'
    int padding = (ALIGNMENT - unpadded % ALIGNMENT) % ALIGNMENT;
    String text = dict + " ".repeat(padding) + "\n";
    byte[] textBytes = text.getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer bb = ByteBuffer.allocate(PREAMBLE_BYTES + textBytes.length).order(ByteOrder.LITTLE_ENDIAN);
    bb.put(NpyReader.MAGIC).put((byte) 1).put((byte) 0).putShort((short) textBytes.length).put(textBytes);
    return bb.array();
  }

  private static void checkShape(double[] data, int rows, int cols) {
    Objects.requireNonNull(data, "data");
    Checks.requireNonNegative(rows, "rows");
    Checks.requireNonNegative(cols, "cols");
    if (data.length != (long) rows * cols) {
      throw new IllegalArgumentException(
          "data has "
              + data.length
              + " entries, expected rows*cols = "
              + rows
              + "*"
              + cols
              + " = "
              + (long) rows * cols);
    }
  }
}
