package org.scatterbrain.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ojalgo.matrix.store.MatrixStore;

/**
 * Tests of {@link NpyReader}, {@link NpyWriter} and {@link NpyArray}.
 *
 * <p>Reference data (R9): {@code src/test/resources/npy/minilm_L0_H2_n512_q.npy} is a copy of
 * {@code /work/shared/data/minilm-gpl3-n512/minilm_L0_H2_n512_q.npy} (all-MiniLM-L6-v2, layer 0 head 2, on the
 * GNU GPL v3 text; version 1.0, {@code <f4}, 512x32) and {@code performer_n47_m39_d21_q.npy} is a copy of
 * {@code /work/shared/data/reference-cases/performer_n47_m39_d21/q.npy} ({@code <f8}, 47x21). The expected
 * entries were computed independently with numpy 2.4.6:
 *
 * <pre>
 * a = np.load('minilm_L0_H2_n512_q.npy'); float(a[i, j]), a[i, j].view(np.uint32), float(a.astype(np.float64).sum())
 * b = np.load('q.npy'); float(b[i, j]), float(b.sum())
 * </pre>
 */
class NpyReaderTest {
  private static final String MINILM = "/npy/minilm_L0_H2_n512_q.npy";
  private static final String PERFORMER = "/npy/performer_n47_m39_d21_q.npy";

  @TempDir Path tmp;

  // ---------------------------------------------------------------- helpers

  /** A complete .npy image: magic, version major.0, header length (u16 for v1, u32 otherwise), header, data. */
  private static byte[] npy(int major, String header, byte[] data) {
    byte[] h = header.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    return npyRaw(major, 0, h, data);
  }

  private static byte[] npyRaw(int major, int minor, byte[] header, byte[] data) {
    int lengthBytes = major == 1 ? 2 : 4;
    ByteBuffer bb =
        ByteBuffer.allocate(8 + lengthBytes + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    bb.put(NpyReader.MAGIC).put((byte) major).put((byte) minor);
    if (major == 1) {
      bb.putShort((short) header.length);
    } else {
      bb.putInt(header.length);
    }
    return bb.put(header).put(data).array();
  }

  private static String dict(String descr, String fortran, String shape) {
    return "{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n";
  }

  private static byte[] f8(double... values) {
    ByteBuffer bb = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (double x : values) {
      bb.putDouble(x);
    }
    return bb.array();
  }

  private static byte[] f4(float... values) {
    ByteBuffer bb = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : values) {
      bb.putFloat(x);
    }
    return bb.array();
  }

  private Path file(String name, byte[] bytes) throws IOException {
    return Files.write(tmp.resolve(name), bytes);
  }

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(Objects.requireNonNull(NpyReaderTest.class.getResource(name), name).toURI());
  }

  private static NpyArray readResource(String name) throws IOException {
    try (InputStream in = NpyReaderTest.class.getResourceAsStream(name)) {
      return NpyReader.read(Objects.requireNonNull(in, name), name);
    }
  }

  /** Reads {@code bytes} from a file called {@code name} and returns the failure, which must name the file. */
  private IOException readFailure(String name, byte[] bytes) throws IOException {
    Path f = file(name, bytes);
    IOException e = assertThrows(IOException.class, () -> NpyReader.read(f));
    assertContains(e, f.toString());
    return e;
  }

  private static void assertContains(Throwable e, String... parts) {
    for (String part : parts) {
      assertTrue(
          e.getMessage() != null && e.getMessage().contains(part),
          () -> "message should contain <" + part + "> but was <" + e.getMessage() + ">");
    }
  }

  // ---------------------------------------------------------------- round trips through NpyWriter

  @Test
  void roundTripPreservesShapeAndEveryBit() throws IOException {
    double[] data = {
      1.5, -0.0, 0.0, Double.MIN_VALUE, -Double.MAX_VALUE, Math.PI, 1e-300, -7, Double.NaN,
      Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.1
    };
    Path f = tmp.resolve("roundtrip.npy");
    NpyWriter.write(f, data, 3, 4);

    NpyArray a = NpyReader.read(f);

    assertEquals(3, a.rows());
    assertEquals(4, a.cols());
    assertArrayEquals(data, a.data()); // compares doubleToLongBits: -0.0 and NaN included
  }

  @Test
  void roundTripSpanningSeveralReadBuffers() throws IOException {
    int rows = 300;
    int cols = 70; // 168 000 bytes of data > the 64 KiB read buffer, not a multiple of it
    double[] data = new SplittableRandom(11).doubles(rows * cols, -5, 5).toArray();
    Path f = tmp.resolve("large.npy");
    NpyWriter.write(f, data, rows, cols);

    NpyArray a = NpyReader.read(f);

    assertEquals(rows, a.rows());
    assertEquals(cols, a.cols());
    assertArrayEquals(data, a.data());
  }

  @Test
  void roundTripOfEmptyArray() throws IOException {
    Path f = tmp.resolve("empty.npy");
    NpyWriter.write(f, new double[0], 0, 5);

    NpyArray a = NpyReader.read(f);

    assertEquals(0, a.rows());
    assertEquals(5, a.cols());
    assertEquals(0, a.data().length);
  }

  @Test
  void roundTripOfNpyArrayOverload() throws IOException {
    NpyArray original = new NpyArray(2, 3, new double[] {1, 2, 3, 4, 5, 6});
    Path f = tmp.resolve("array.npy");
    NpyWriter.write(f, original);

    assertEquals(original, NpyReader.read(f));
  }

  @Test
  void writerToBytesEqualsFileContents() throws IOException {
    double[] data = {1, 2, 3, 4, 5, 6};
    Path f = tmp.resolve("bytes.npy");
    NpyWriter.write(f, data, 2, 3);

    assertArrayEquals(Files.readAllBytes(f), NpyWriter.toBytes(data, 2, 3));
  }

  @Test
  void writerHeaderMatchesNumpyLayout() {
    byte[] bytes = NpyWriter.toBytes(new double[12], 3, 4);

    assertArrayEquals(NpyReader.MAGIC, Arrays.copyOf(bytes, 6));
    assertEquals(1, bytes[6]);
    assertEquals(0, bytes[7]);
    int headerLength = ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
    int dataStart = 10 + headerLength;
    assertEquals(0, dataStart % 64, "magic + version + length + header must be a multiple of 64");
    assertEquals(bytes.length - 12 * 8, dataStart);
    String header = new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1);
    // numpy.save(np.zeros((3, 4))) writes exactly this dict, spaces and a final newline
    String expectedDict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }";
    assertEquals(expectedDict + " ".repeat(headerLength - expectedDict.length() - 1) + "\n", header);
  }

  @Test
  void writerHeaderStaysAlignedForWideShapes() {
    for (int[] shape : new int[][] {{1, 1}, {10, 10}, {123456, 7}, {0, 0}, {65536, 32768}}) {
      byte[] header = NpyWriter.header(shape[0], shape[1]);
      assertEquals(0, header.length % 64, () -> "shape " + shape[0] + "x" + shape[1]);
      assertEquals('\n', header[header.length - 1]);
    }
  }

  @Test
  void writerToOutputStreamLeavesStreamOpenAndReaderReadsIt() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    NpyWriter.write(out, new double[] {9, 8}, 1, 2);

    NpyArray a = NpyReader.read(new ByteArrayInputStream(out.toByteArray()), "memory");

    assertEquals(new NpyArray(1, 2, new double[] {9, 8}), a);
  }

  @Test
  void writerRejectsDataLengthMismatch() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> NpyWriter.write(tmp.resolve("x.npy"), new double[5], 2, 3));
    assertContains(e, "data has 5 entries", "2*3");
  }

  @Test
  void writerRejectsNegativeRows() {
    var e =
        assertThrows(IllegalArgumentException.class, () -> NpyWriter.toBytes(new double[0], -1, 3));
    assertContains(e, "rows", "-1");
  }

  @Test
  void writerRejectsNegativeCols() {
    var e =
        assertThrows(IllegalArgumentException.class, () -> NpyWriter.toBytes(new double[0], 3, -2));
    assertContains(e, "cols", "-2");
  }

  // ---------------------------------------------------------------- real files

  @Test
  void readsRealMiniLmFloat32File() throws IOException {
    NpyArray a = readResource(MINILM);

    assertEquals(512, a.rows());
    assertEquals(32, a.cols());
    // expected float32 bit patterns from numpy (a[i, j].view(np.uint32)): an independent route to the values
    assertEquals(3197626269L, Integer.toUnsignedLong(Float.floatToRawIntBits((float) a.get(0, 0))));
    assertEquals(1077028188L, Integer.toUnsignedLong(Float.floatToRawIntBits((float) a.get(0, 31))));
    assertEquals(1073209311L, Integer.toUnsignedLong(Float.floatToRawIntBits((float) a.get(1, 5))));
    assertEquals(3234158147L, Integer.toUnsignedLong(Float.floatToRawIntBits((float) a.get(255, 17))));
    assertEquals(1051834965L, Integer.toUnsignedLong(Float.floatToRawIntBits((float) a.get(511, 0))));
    assertEquals(3224568690L, Integer.toUnsignedLong(Float.floatToRawIntBits((float) a.get(511, 31))));
    // and the same entries as numpy's float(a[i, j]): float32 widens to double exactly
    assertEquals(-0.2966889441013336, a.get(0, 0));
    assertEquals(2.7835302352905273, a.get(0, 31));
    assertEquals(1.9365195035934448, a.get(1, 5));
    assertEquals(-6.1667799949646, a.get(255, 17));
    assertEquals(0.34712472558021545, a.get(511, 0));
    assertEquals(-2.7970852851867676, a.get(511, 31));
    // numpy sums pairwise, we sum in order: 16 384 terms of size ~1, so |difference| << 1e-9 relative
    double sum = 0;
    for (double x : a.data()) {
      sum += x;
    }
    assertEquals(1063.3183118514717, sum, 1e-9 * 1063.3183118514717);
  }

  @Test
  void readsRealReferenceFloat64File() throws IOException {
    NpyArray a = readResource(PERFORMER);

    assertEquals(47, a.rows());
    assertEquals(21, a.cols());
    assertEquals(0.345584192064786, a.get(0, 0));
    assertEquals(0.008142180518343508, a.get(0, 20));
    assertEquals(-0.17477209205516195, a.get(1, 5));
    assertEquals(0.17285607536975375, a.get(23, 11));
    assertEquals(0.015583934055897898, a.get(46, 0));
    assertEquals(-0.2416249577797958, a.get(46, 20));
    double sum = 0;
    for (double x : a.data()) {
      sum += x;
    }
    assertEquals(-52.25192349160485, sum, 1e-12); // 987 terms of size < 1: rounding differences ~1e-14
  }

  @Test
  void readingByPathAndByStreamAgree() throws IOException, URISyntaxException {
    assertEquals(readResource(MINILM), NpyReader.read(resource(MINILM)));
    assertEquals(readResource(PERFORMER), NpyReader.read(resource(PERFORMER)));
  }

  @Test
  void toMatrixHoldsTheRowMajorEntries() throws IOException {
    NpyArray a = readResource(PERFORMER);

    MatrixStore<Double> m = a.toMatrix();

    assertEquals(47, m.countRows());
    assertEquals(21, m.countColumns());
    for (int i = 0; i < 47; i++) {
      for (int j = 0; j < 21; j++) {
        assertEquals(a.get(i, j), m.doubleValue(i, j));
      }
    }
  }

  // ---------------------------------------------------------------- versions and header syntax

  @Test
  void readsVersion2Header() throws IOException {
    byte[] bytes = npy(2, dict("'<f8'", "False", "(2, 2)"), f8(1, 2, 3, 4));

    NpyArray a = NpyReader.read(file("v2.npy", bytes));

    assertEquals(new NpyArray(2, 2, new double[] {1, 2, 3, 4}), a);
  }

  @Test
  void readsVersion2HeaderLongerThanU16() throws IOException {
    // a u32 length above 65535: only representable in version 2.0+
    String header = dict("'<f4'", "False", "(1, 3)").replace("\n", "") + " ".repeat(70_000) + "\n";
    byte[] bytes = npy(2, header, f4(1.5f, -2.5f, 3.25f));

    NpyArray a = NpyReader.read(file("v2long.npy", bytes));

    assertEquals(new NpyArray(1, 3, new double[] {1.5, -2.5, 3.25}), a);
  }

  @Test
  void readsVersion3Header() throws IOException {
    byte[] bytes = npy(3, dict("'<f4'", "False", "(3,)"), f4(0.5f, 0.25f, -1f));

    NpyArray a = NpyReader.read(file("v3.npy", bytes));

    assertEquals(new NpyArray(3, 1, new double[] {0.5, 0.25, -1}), a);
  }

  @Test
  void version3HeaderIsDecodedAsUtf8() throws IOException {
    // 'é' is two bytes in UTF-8; read as Latin-1 it would show up as two characters
    byte[] bytes = npy(3, dict("'<f8\u00e9'", "False", "(1,)"), f8(1));

    IOException e = readFailure("v3utf8.npy", bytes);

    assertContains(e, "field 'descr' is '<f8\u00e9'");
  }

  @Test
  void version1HeaderIsDecodedAsLatin1() throws IOException {
    byte[] bytes = npy(1, dict("'<f8\u00e9'", "False", "(1,)"), f8(1));

    IOException e = readFailure("v1latin1.npy", bytes);

    assertContains(e, "field 'descr' is '<f8\u00e9'");
  }

  @Test
  void headerKeysInAnyOrderWithLooseWhitespaceAndTrailingCommas() throws IOException {
    String header = "{ \"shape\" :( 2 ,\t3 , ) ,\n 'fortran_order':False,'descr'  :  '<f8'   }   \n";
    byte[] bytes = npy(1, header, f8(1, 2, 3, 4, 5, 6));

    NpyArray a = NpyReader.read(file("loose.npy", bytes));

    assertEquals(new NpyArray(2, 3, new double[] {1, 2, 3, 4, 5, 6}), a);
  }

  @Test
  void headerWithPython2LongSuffixes() throws IOException {
    byte[] bytes = npy(1, dict("'<f8'", "False", "(1L, 2L)"), f8(7, 8));

    assertEquals(new NpyArray(1, 2, new double[] {7, 8}), NpyReader.read(file("py2.npy", bytes)));
  }

  @Test
  void oneDimensionalShapeIsReadAsAColumn() throws IOException {
    byte[] bytes = npy(1, dict("'<f8'", "False", "(4,)"), f8(1, 2, 3, 4));

    NpyArray a = NpyReader.read(file("column.npy", bytes));

    assertEquals(4, a.rows());
    assertEquals(1, a.cols());
    assertEquals(3.0, a.get(2, 0));
  }

  @Test
  void readsNonFiniteFloat32Values() throws IOException {
    byte[] bytes =
        npy(1, dict("'<f4'", "False", "(1, 3)"), f4(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY));

    NpyArray a = NpyReader.read(file("nonfinite.npy", bytes));

    assertTrue(Double.isNaN(a.get(0, 0)));
    assertEquals(Double.POSITIVE_INFINITY, a.get(0, 1));
    assertEquals(Double.NEGATIVE_INFINITY, a.get(0, 2));
  }

  @Test
  void readsZeroSizedShape() throws IOException {
    byte[] bytes = npy(1, dict("'<f4'", "False", "(0, 7)"), new byte[0]);

    NpyArray a = NpyReader.read(file("zero.npy", bytes));

    assertEquals(0, a.rows());
    assertEquals(7, a.cols());
  }

  // ---------------------------------------------------------------- one test per error

  @Test
  void rejectsBadMagic() throws IOException {
    byte[] zip = {'P', 'K', 3, 4, 20, 0, 0, 0, 0, 0, 0, 0};

    IOException e = readFailure("archive.npy", zip);

    assertContains(e, "not a .npy file: ", "bad magic 50 4b 03 04 14 00", "93 4e 55 4d 50 59");
  }

  @Test
  void rejectsFileShorterThanMagic() throws IOException {
    IOException e = readFailure("tiny.npy", new byte[] {(byte) 0x93, 'N', 'U'});

    assertContains(e, "not a .npy file", "bad magic", "only 3 bytes");
  }

  @Test
  void rejectsEmptyFile() throws IOException {
    IOException e = readFailure("empty-file.npy", new byte[0]);

    assertContains(e, "not a .npy file", "only 0 bytes");
  }

  @Test
  void rejectsUnsupportedMajorVersion() throws IOException {
    byte[] bytes = npyRaw(4, 0, dict("'<f8'", "False", "(1,)").getBytes(StandardCharsets.US_ASCII), f8(1));

    IOException e = readFailure("v4.npy", bytes);

    assertContains(e, ": unsupported .npy format version 4.0, supported 1.0, 2.0, 3.0");
  }

  @Test
  void rejectsUnsupportedMinorVersion() throws IOException {
    byte[] bytes = npyRaw(1, 1, dict("'<f8'", "False", "(1,)").getBytes(StandardCharsets.US_ASCII), f8(1));

    IOException e = readFailure("v11.npy", bytes);

    assertContains(e, "unsupported .npy format version 1.1");
  }

  @Test
  void rejectsBigEndianFloat64() throws IOException {
    byte[] bytes = npy(1, dict("'>f8'", "False", "(1,)"), f8(1));

    IOException e = readFailure("bigendian.npy", bytes);

    assertContains(e, ": field 'descr' is '>f8', supported '<f4', '<f8'");
  }

  @ParameterizedTest
  @ValueSource(strings = {">f4", "|f4", "=f8", "<f2", "<i8", "|u1", "<c16", "<d", "f8"})
  void rejectsOtherDescrStrings(String descr) throws IOException {
    byte[] bytes = npy(1, dict("'" + descr + "'", "False", "(1,)"), f8(1));

    IOException e = readFailure("descr.npy", bytes);

    assertContains(e, "field 'descr' is '" + descr + "', supported '<f4', '<f8'");
  }

  @Test
  void rejectsStructuredDescr() throws IOException {
    byte[] bytes = npy(1, dict("[('x', '<f8'), ('y', '<f8')]", "False", "(1,)"), f8(1, 2));

    IOException e = readFailure("structured.npy", bytes);

    assertContains(e, "field 'descr' is [('x', '<f8'), ('y', '<f8')], supported '<f4', '<f8'");
  }

  @Test
  void rejectsFortranOrder() throws IOException {
    byte[] bytes = npy(1, dict("'<f8'", "True", "(2, 2)"), f8(1, 2, 3, 4));

    IOException e = readFailure("fortran.npy", bytes);

    assertContains(e, ": field 'fortran_order' is True, only C order is supported");
  }

  @Test
  void rejectsNonBooleanFortranOrder() throws IOException {
    byte[] bytes = npy(1, dict("'<f8'", "'no'", "(1,)"), f8(1));

    IOException e = readFailure("fortranstr.npy", bytes);

    assertContains(e, "field 'fortran_order' is 'no', expected True or False");
  }

  @Test
  void rejectsThreeDimensionalShape() throws IOException {
    byte[] bytes = npy(1, dict("'<f8'", "False", "(2, 3, 4)"), f8(new double[24]));

    IOException e = readFailure("cube.npy", bytes);

    assertContains(e, "field 'shape' is (2, 3, 4), only 1-D or 2-D arrays are supported, got 3 dimensions");
  }

  @Test
  void rejectsScalarShape() throws IOException {
    byte[] bytes = npy(1, dict("'<f8'", "False", "()"), f8(1));

    IOException e = readFailure("scalar.npy", bytes);

    assertContains(e, "field 'shape' is (), only 1-D or 2-D arrays are supported, got 0 dimensions");
  }

  @Test
  void rejectsNegativeDimension() throws IOException {
    byte[] bytes = npy(1, dict("'<f8'", "False", "(2, -1)"), f8(1));

    IOException e = readFailure("negative.npy", bytes);

    assertContains(e, "field 'shape' is (2, -1), dimensions must be non-negative integers");
  }

  @Test
  void rejectsNonIntegerDimension() throws IOException {
    byte[] bytes = npy(1, dict("'<f8'", "False", "(2.0, 1)"), f8(1, 2));

    IOException e = readFailure("float-dim.npy", bytes);

    assertContains(e, "field 'shape' is (2.0, 1), dimensions must be non-negative integers");
  }

  @Test
  void rejectsShapeThatIsNotATuple() throws IOException {
    byte[] bytes = npy(1, dict("'<f8'", "False", "[1, 2]"), f8(1, 2));

    IOException e = readFailure("list-shape.npy", bytes);

    assertContains(e, "field 'shape' is [1, 2], expected a tuple of integers");
  }

  @Test
  void rejectsParenthesisedIntegerAsShape() throws IOException {
    // in Python (5) is the int 5, not a tuple
    byte[] bytes = npy(1, dict("'<f8'", "False", "(5)"), f8(1, 2, 3, 4, 5));

    IOException e = readFailure("int-shape.npy", bytes);

    assertContains(e, "field 'shape' is 5, expected a tuple of integers");
  }

  @Test
  void rejectsShapeTooLargeForAJavaArray() throws IOException {
    byte[] bytes = npy(1, dict("'<f8'", "False", "(100000, 100000)"), new byte[0]);

    IOException e = readFailure("huge.npy", bytes);

    assertContains(e, "field 'shape' is (100000, 100000)", "10000000000 elements", "more than a Java array");
  }

  @Test
  void rejectsMissingShapeField() throws IOException {
    byte[] bytes = npy(1, "{'descr': '<f8', 'fortran_order': False}\n", f8(1));

    IOException e = readFailure("noshape.npy", bytes);

    assertContains(e, "header has no field 'shape'");
  }

  @Test
  void rejectsUnexpectedField() throws IOException {
    String header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}\n";

    IOException e = readFailure("extra.npy", npy(1, header, f8(1)));

    assertContains(e, "header has unexpected field 'extra'");
  }

  @Test
  void rejectsDuplicateField() throws IOException {
    String header = "{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\n";

    IOException e = readFailure("duplicate.npy", npy(1, header, f8(1)));

    assertContains(e, "header has field 'descr' more than once");
  }

  @Test
  void rejectsHeaderThatIsNotADict() throws IOException {
    IOException e = readFailure("notdict.npy", npy(1, "['<f8', False, (1,)]\n", f8(1)));

    assertContains(e, "header is not a dict");
  }

  @Test
  void rejectsMalformedHeader() throws IOException {
    String header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,\n";

    IOException e = readFailure("malformed.npy", npy(1, header, f8(1)));

    assertContains(e, "malformed header", "unexpected end of header");
  }

  @Test
  void rejectsTextAfterHeaderDict() throws IOException {
    String header = dict("'<f8'", "False", "(1,)").replace("\n", "") + " junk\n";

    IOException e = readFailure("junk.npy", npy(1, header, f8(1)));

    assertContains(e, "malformed header", "unexpected text after the header dict");
  }

  @Test
  void rejectsTruncatedHeader() throws IOException {
    byte[] full = npy(1, dict("'<f8'", "False", "(1,)"), new byte[0]);
    byte[] cut = Arrays.copyOf(full, 30);

    IOException e = readFailure("cut-header.npy", cut);

    assertContains(e, "truncated header: expected " + (full.length - 10) + " bytes, found 20");
  }

  @Test
  void rejectsTruncatedHeaderLength() throws IOException {
    IOException e = readFailure("cut-length.npy", new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 5});

    assertContains(e, "truncated header length: expected 2 bytes, found 1");
  }

  @Test
  void rejectsOversizedHeaderLength() throws IOException {
    byte[] bytes = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, -1, -1, -1, -1};

    IOException e = readFailure("huge-header.npy", bytes);

    assertContains(e, "header length 4294967295 exceeds the limit");
  }

  @Test
  void rejectsInvalidUtf8InVersion3Header() throws IOException {
    byte[] header = dict("'<f8'", "False", "(1,)").getBytes(StandardCharsets.US_ASCII);
    header[3] = (byte) 0xff; // never valid in UTF-8

    IOException e = readFailure("badutf8.npy", npyRaw(3, 0, header, f8(1)));

    assertContains(e, "version 3.0 header is not valid UTF-8");
  }

  @Test
  void rejectsTruncatedData() throws IOException {
    byte[] bytes = npy(1, dict("'<f8'", "False", "(3, 4)"), f8(1, 2, 3, 4, 5));

    IOException e = readFailure("cut-data.npy", bytes);

    assertContains(e, ": expected 96 bytes of data for shape (3, 4), found 40");
  }

  @Test
  void rejectsTruncatedDataBeyondTheFirstReadBuffer() throws IOException {
    byte[] bytes = npy(1, dict("'<f4'", "False", "(100000,)"), new byte[70_000]);

    IOException e = readFailure("cut-large.npy", bytes);

    assertContains(e, "expected 400000 bytes of data for shape (100000,), found 70000");
  }

  @Test
  void rejectsTrailingBytesAfterData() throws IOException {
    byte[] bytes = npy(1, dict("'<f8'", "False", "(1, 2)"), f8(1, 2, 3));

    IOException e = readFailure("trailing.npy", bytes);

    assertContains(e, "expected 16 bytes of data for shape (1, 2), found more");
  }

  @Test
  void streamErrorsNameTheSource() {
    byte[] bytes = npy(1, dict("'>f8'", "False", "(1,)"), f8(1));

    IOException e =
        assertThrows(
            IOException.class, () -> NpyReader.read(new ByteArrayInputStream(bytes), "classpath:/x.npy"));

    assertContains(e, "classpath:/x.npy: field 'descr' is '>f8'");
  }

  @Test
  void missingFileIsAnIoExceptionNamingIt() {
    Path missing = tmp.resolve("missing.npy");

    IOException e = assertThrows(IOException.class, () -> NpyReader.read(missing));

    assertContains(e, missing.toString());
  }

  // ---------------------------------------------------------------- NpyArray

  @Test
  void npyArrayCopiesOnConstructionAndAccess() {
    double[] data = {1, 2, 3, 4};
    NpyArray a = new NpyArray(2, 2, data);

    data[0] = 99;
    a.data()[1] = 99;

    assertArrayEquals(new double[] {1, 2, 3, 4}, a.data());
  }

  @Test
  void npyArrayEqualityIsByValue() {
    NpyArray a = new NpyArray(1, 2, new double[] {1, 2});

    assertEquals(a, new NpyArray(1, 2, new double[] {1, 2}));
    assertEquals(a.hashCode(), new NpyArray(1, 2, new double[] {1, 2}).hashCode());
    assertNotEquals(a, new NpyArray(2, 1, new double[] {1, 2}));
    assertEquals("NpyArray[1x2]", a.toString());
  }

  @Test
  void npyArrayRejectsDataLengthMismatch() {
    var e = assertThrows(IllegalArgumentException.class, () -> new NpyArray(2, 2, new double[3]));
    assertContains(e, "data has 3 entries", "2*2 = 4");
  }

  @Test
  void npyArrayRejectsNegativeRows() {
    var e = assertThrows(IllegalArgumentException.class, () -> new NpyArray(-1, 2, new double[0]));
    assertContains(e, "rows", "-1");
  }

  @Test
  void npyArrayGetRejectsIndexOutsideShape() {
    NpyArray a = new NpyArray(2, 2, new double[4]);

    var e = assertThrows(IndexOutOfBoundsException.class, () -> a.get(0, 2));

    assertContains(e, "(0, 2)", "2x2");
  }
}
