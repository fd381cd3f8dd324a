package org.scatterbrain.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reads NumPy {@code .npy} files (<a href="https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html">
 * format spec</a>) holding a 1-D or 2-D little-endian {@code float32} ({@code '<f4'}) or {@code float64}
 * ({@code '<f8'}) array in C order, into an {@link NpyArray} of doubles. A 1-D shape {@code (k,)} becomes k x 1.
 *
 * <p>Layout: the 6-byte magic {@code \x93NUMPY}, a major and a minor version byte, the header length
 * (little-endian u16 for version 1.0, u32 for 2.0 and 3.0), then the header: a Python dict literal with exactly
 * the keys {@code 'descr'}, {@code 'fortran_order'} and {@code 'shape'} (Latin-1 text for 1.0 and 2.0, UTF-8 for
 * 3.0), padded with spaces and ended by a newline. The raw data follows. The header is parsed as a Python literal
 * (keys in any order, any whitespace, trailing commas), not matched against a fixed string.
 *
 * <p>Everything else is rejected with an {@link IOException} whose message names the source and, for header
 * problems, the field and its value, e.g. {@code "q.npy: field 'descr' is '>f8', supported '<f4', '<f8'"}.
 * Non-finite values are read as they are; validation belongs to the consumer (e.g.
 * {@link org.scatterbrain.core.AttentionInputs}).
 *
 * <p>Cost: the data is streamed through one 64 KiB little-endian buffer, so time is O(rows * cols) with no
 * per-element stream calls, and memory is the result (plus one transient copy made by {@link NpyArray}).
 */
public final class NpyReader {
  /** The six magic bytes every {@code .npy} file starts with: {@code \x93NUMPY}. */
  static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

  /** Headers longer than this are rejected before allocation (numpy by default refuses headers over 10 000 bytes). */
  static final int MAX_HEADER_LENGTH = 1 << 20;

  /** Largest array length the JVM reliably allocates. */
  private static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  /** Read buffer size; a multiple of 8 so a chunk never splits a float64. */
  private static final int CHUNK_BYTES = 1 << 16;

  private static final Set<String> FIELDS = Set.of("descr", "fortran_order", "shape");

  private NpyReader() {}

  /**
   * Reads a {@code .npy} file.
   *
   * @param file the file to read. Not modified.
   * @return the array, row-major, as doubles
   * @throws IOException if the file cannot be read, or is not a supported {@code .npy} file (the message names the
   *     file and the offending field)
   */
  public static NpyArray read(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, file.toString());
    }
  }

  /**
   * Reads a {@code .npy} array from a stream, e.g. a classpath resource. The stream is read to its end (bytes after
   * the array are an error) and is not closed.
   *
   * @param in the stream, positioned at the magic bytes. Modified: consumed.
   * @param sourceName the name used in error messages, e.g. the resource path
   * @return the array, row-major, as doubles
   * @throws IOException if the stream cannot be read, or does not hold a supported {@code .npy} array (the message
   *     names {@code sourceName} and the offending field)
   */
  public static NpyArray read(InputStream in, String sourceName) throws IOException {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(sourceName, "sourceName");
    Header header = readHeader(in, sourceName);
    double[] data = readData(in, header, sourceName);
    return new NpyArray(header.rows, header.cols, data);
  }

  /** The validated header: element size in bytes, the 2-D view of the shape and the shape as written. */
  private record Header(int itemSize, int rows, int cols, String shapeText) {}

  private static Header readHeader(InputStream in, String src) throws IOException {
    byte[] magic = in.readNBytes(MAGIC.length);
    if (magic.length < MAGIC.length || !Arrays.equals(magic, MAGIC)) {
      throw new IOException(
          "not a .npy file: "
              + src
              + ": bad magic "
              + (magic.length < MAGIC.length
                  ? "(only " + magic.length + " bytes: " + hex(magic) + ")"
                  : hex(magic))
              + ", expected "
              + hex(MAGIC)
              + " (\\x93NUMPY)");
    }
    byte[] version = readFully(in, 2, src, "version bytes");
    int major = version[0] & 0xff;
    int minor = version[1] & 0xff;
    boolean v1 = major == 1 && minor == 0;
    boolean v2or3 = (major == 2 || major == 3) && minor == 0;
    if (!v1 && !v2or3) {
      throw new IOException(
          src + ": unsupported .npy format version " + major + "." + minor + ", supported 1.0, 2.0, 3.0");
    }
    byte[] lengthBytes = readFully(in, v1 ? 2 : 4, src, "header length");
    ByteBuffer lb = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLength = v1 ? Short.toUnsignedLong(lb.getShort()) : Integer.toUnsignedLong(lb.getInt());
    if (headerLength > MAX_HEADER_LENGTH) {
      throw new IOException(
          src + ": header length " + headerLength + " exceeds the limit of " + MAX_HEADER_LENGTH + " bytes");
    }
    byte[] headerBytes = readFully(in, (int) headerLength, src, "header");
    String text;
    if (major == 3) {
      try {
        text =
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(headerBytes))
                .toString();
      } catch (CharacterCodingException e) {
        throw new IOException(src + ": version 3.0 header is not valid UTF-8", e);
      }
    } else {
      text = new String(headerBytes, StandardCharsets.ISO_8859_1);
    }
    return parseHeader(text, src);
  }

  private static byte[] readFully(InputStream in, int length, String src, String what)
      throws IOException {
    byte[] bytes = in.readNBytes(length);
    if (bytes.length < length) {
      throw new IOException(
          src + ": truncated " + what + ": expected " + length + " bytes, found " + bytes.length);
    }
    return bytes;
  }

  private static Header parseHeader(String text, String src) throws IOException {
    Object parsed = new LiteralParser(text, src).parseAll();
    if (!(parsed instanceof Map<?, ?> dict)) {
      throw new IOException(src + ": header is not a dict: " + text.strip());
    }
    for (Object key : dict.keySet()) {
      if (!FIELDS.contains(key)) {
        throw new IOException(
            src + ": header has unexpected field " + repr(key) + ", expected only 'descr', 'fortran_order', 'shape'");
      }
    }
    for (String field : List.of("descr", "fortran_order", "shape")) {
      if (!dict.containsKey(field)) {
        throw new IOException(src + ": header has no field '" + field + "': " + text.strip());
      }
    }

    Object descr = dict.get("descr");
    int itemSize;
    if ("<f4".equals(descr)) {
      itemSize = Float.BYTES;
    } else if ("<f8".equals(descr)) {
      itemSize = Double.BYTES;
    } else {
      throw new IOException(src + ": field 'descr' is " + repr(descr) + ", supported '<f4', '<f8'");
    }

    Object fortran = dict.get("fortran_order");
    if (Boolean.TRUE.equals(fortran)) {
      throw new IOException(src + ": field 'fortran_order' is True, only C order is supported");
    }
    if (!Boolean.FALSE.equals(fortran)) {
      throw new IOException(
          src + ": field 'fortran_order' is " + repr(fortran) + ", expected True or False");
    }

    Object shape = dict.get("shape");
    String shapeText = repr(shape);
    if (!(shape instanceof Tuple tuple)) {
      throw new IOException(src + ": field 'shape' is " + shapeText + ", expected a tuple of integers");
    }
    List<Object> dims = tuple.items();
    if (dims.size() < 1 || dims.size() > 2) {
      throw new IOException(
          src
              + ": field 'shape' is "
              + shapeText
              + ", only 1-D or 2-D arrays are supported, got "
              + dims.size()
              + " dimensions");
    }
    long[] sizes = new long[2];
    sizes[1] = 1;
    for (int i = 0; i < dims.size(); i++) {
      if (!(dims.get(i) instanceof BigInteger dim) || dim.signum() < 0) {
        throw new IOException(
            src + ": field 'shape' is " + shapeText + ", dimensions must be non-negative integers");
      }
      if (dim.compareTo(BigInteger.valueOf(MAX_ELEMENTS)) > 0) {
        throw new IOException(
            src + ": field 'shape' is " + shapeText + ", more elements than a Java array can hold");
      }
      sizes[i] = dim.longValueExact();
    }
    if (sizes[0] * sizes[1] > MAX_ELEMENTS) {
      throw new IOException(
          src
              + ": field 'shape' is "
              + shapeText
              + ", "
              + sizes[0] * sizes[1]
              + " elements, more than a Java array can hold ("
              + MAX_ELEMENTS
              + ")");
    }
    return new Header(itemSize, (int) sizes[0], (int) sizes[1], shapeText);
  }

  private static double[] readData(InputStream in, Header h, String src) throws IOException {
    int count = h.rows * h.cols;
    long expectedBytes = (long) count * h.itemSize;
    double[] data = new double[count];
    byte[] buf = new byte[(int) Math.min(CHUNK_BYTES, Math.max(expectedBytes, 1))];
    ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
    long readBytes = 0;
    int pos = 0;
    while (readBytes < expectedBytes) {
      int want = (int) Math.min(buf.length, expectedBytes - readBytes);
      int got = in.readNBytes(buf, 0, want);
      readBytes += got;
      if (got < want) {
        throw new IOException(
            src
                + ": expected "
                + expectedBytes
                + " bytes of data for shape "
                + h.shapeText
                + ", found "
                + readBytes);
      }
      bb.clear();
      int n = got / h.itemSize;
      if (h.itemSize == Double.BYTES) {
        bb.asDoubleBuffer().get(data, pos, n);
      } else {
        FloatBuffer fb = bb.asFloatBuffer();
        for (int i = 0; i < n; i++) {
          data[pos + i] = fb.get(i);
        }
      }
      pos += n;
    }
    if (in.read() != -1) {
      throw new IOException(
          src
              + ": expected "
              + expectedBytes
              + " bytes of data for shape "
              + h.shapeText
              + ", found more (trailing bytes after the array)");
    }
    return data;
  }

  private static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < bytes.length; i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(String.format("%02x", bytes[i] & 0xff));
    }
    return sb.toString();
  }

  /** Python {@code repr} of a parsed literal, for messages. */
  static String repr(Object value) {
    if (value == null) {
      return "None";
    }
    if (value instanceof String s) {
      return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
    if (value instanceof Boolean b) {
      return b ? "True" : "False";
    }
    if (value instanceof Tuple t) {
      List<Object> items = t.items();
      if (items.size() == 1) {
        return "(" + repr(items.get(0)) + ",)";
      }
      return "(" + join(items) + ")";
    }
    if (value instanceof List<?> list) {
      return "[" + join(list) + "]";
    }
    if (value instanceof Map<?, ?> map) {
      StringBuilder sb = new StringBuilder("{");
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (sb.length() > 1) {
          sb.append(", ");
        }
        sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
      }
      return sb.append('}').toString();
    }
    return value.toString();
  }

  private static String join(List<?> items) {
    StringBuilder sb = new StringBuilder();
    for (Object item : items) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(repr(item));
    }
    return sb.toString();
  }

  /** A Python tuple, kept apart from a list so messages show the value as written. */
  private record Tuple(List<Object> items) {}

  /**
   * Recursive-descent parser for the Python literals a {@code .npy} header can hold: str, int (with an optional
   * Python 2 {@code L} suffix), float, True/False/None, tuple, list and dict.
   */
  private static final class LiteralParser {
    private final String s;
    private final String src;
    private int i;

    LiteralParser(String s, String src) {
      this.s = s;
      this.src = src;
    }

    Object parseAll() throws IOException {
      Object value = parseValue();
      skipSpace();
      if (i != s.length()) {
        throw error("unexpected text after the header dict");
      }
      return value;
    }

    private Object parseValue() throws IOException {
      skipSpace();
      if (i >= s.length()) {
        throw error("unexpected end of header");
      }
      char c = s.charAt(i);
      switch (c) {
        case '{':
          return parseDict();
        case '(':
          return parseTupleOrGroup();
        case '[':
          i++;
          return new ArrayList<>(parseItems(']'));
        case '\'':
        case '"':
          return parseString();
        default:
          break;
      }
      if (c == '-' || c == '+' || c == '.' || Character.isDigit(c)) {
        return parseNumber();
      }
      if (Character.isLetter(c) || c == '_') {
        int start = i;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
          i++;
        }
        String word = s.substring(start, i);
        switch (word) {
          case "True":
            return Boolean.TRUE;
          case "False":
            return Boolean.FALSE;
          case "None":
            return null;
          default:
            i = start;
            throw error("unsupported name '" + word + "'");
        }
      }
      throw error("unexpected character '" + c + "'");
    }

    private Map<Object, Object> parseDict() throws IOException {
      i++; // '{'
      Map<Object, Object> map = new LinkedHashMap<>();
      while (true) {
        skipSpace();
        if (peek('}')) {
          i++;
          return map;
        }
        int keyAt = i;
        Object key = parseValue();
        if (!(key instanceof String)) {
          i = keyAt;
          throw error("dict keys must be strings");
        }
        skipSpace();
        expect(':');
        Object value = parseValue();
        if (map.containsKey(key)) {
          throw new IOException(src + ": header has field " + repr(key) + " more than once");
        }
        map.put(key, value);
        skipSpace();
        if (peek(',')) {
          i++;
        } else if (!peek('}')) {
          throw error("expected ',' or '}'");
        }
      }
    }

    private Object parseTupleOrGroup() throws IOException {
      i++; // '('
      skipSpace();
      if (peek(')')) {
        i++;
        return new Tuple(List.of());
      }
      Object first = parseValue();
      skipSpace();
      if (peek(')')) { // (x) is just x in Python
        i++;
        return first;
      }
      expect(',');
      List<Object> items = new ArrayList<>();
      items.add(first);
      items.addAll(parseItems(')'));
      return new Tuple(items);
    }

    /** Items up to and including {@code close}, trailing comma allowed; the opener is already consumed. */
    private List<Object> parseItems(char close) throws IOException {
      List<Object> items = new ArrayList<>();
      while (true) {
        skipSpace();
        if (peek(close)) {
          i++;
          return items;
        }
        items.add(parseValue());
        skipSpace();
        if (peek(',')) {
          i++;
        } else if (!peek(close)) {
          throw error("expected ',' or '" + close + "'");
        }
      }
    }

    private String parseString() throws IOException {
      char quote = s.charAt(i++);
      StringBuilder sb = new StringBuilder();
      while (i < s.length()) {
        char c = s.charAt(i++);
        if (c == quote) {
          return sb.toString();
        }
        if (c == '\\' && i < s.length()) {
          char e = s.charAt(i++);
          switch (e) {
            case 'n':
              sb.append('\n');
              break;
            case 't':
              sb.append('\t');
              break;
            case 'r':
              sb.append('\r');
              break;
            case '0':
              sb.append('\0');
              break;
            case 'x':
              sb.append((char) hexDigits(2));
              break;
            case 'u':
              sb.append((char) hexDigits(4));
              break;
            default:
              sb.append(e);
          }
        } else {
          sb.append(c);
        }
      }
      throw error("unterminated string");
    }

    private int hexDigits(int count) throws IOException {
      if (i + count > s.length()) {
        throw error("truncated escape");
      }
      try {
        int v = Integer.parseInt(s.substring(i, i + count), 16);
        i += count;
        return v;
      } catch (NumberFormatException e) {
        throw error("bad escape");
      }
    }

    private Object parseNumber() throws IOException {
      int start = i;
      if (peek('-') || peek('+')) {
        i++;
      }
      while (i < s.length() && "0123456789.eE+-_".indexOf(s.charAt(i)) >= 0) {
        char c = s.charAt(i);
        if ((c == '+' || c == '-') && "eE".indexOf(s.charAt(i - 1)) < 0) {
          break;
        }
        i++;
      }
      String token = s.substring(start, i).replace("_", "");
      if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'l')) {
        i++; // Python 2 long suffix, written by numpy under Python 2
      }
      try {
        if (token.matches("[+-]?\\d+")) {
          return new BigInteger(token.startsWith("+") ? token.substring(1) : token);
        }
        return Double.valueOf(token);
      } catch (NumberFormatException e) {
        i = start;
        throw error("bad number '" + token + "'");
      }
    }

    private void skipSpace() {
      while (i < s.length() && " \t\n\r\f\u000b".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
    }

    private boolean peek(char c) {
      return i < s.length() && s.charAt(i) == c;
    }

    private void expect(char c) throws IOException {
      if (!peek(c)) {
        throw error("expected '" + c + "'");
      }
      i++;
    }

    private IOException error(String what) {
      return new IOException(
          src + ": malformed header at character " + i + ": " + what + ": " + s.strip());
    }
  }
}
