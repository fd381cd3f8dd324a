package org.scatterbrain.jobs.sweep;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Canonical text of configuration values, and the stable hashes derived from it (trial ids and seeds). */
public final class Canonical {
  private Canonical() {}

  /** A number without trailing zeros or exponent noise: 1.0 -> "1", 0.50 -> "0.5". */
  public static String number(double x) {
    if (x == Math.rint(x) && Math.abs(x) < 1e15) {
      return Long.toString((long) x);
    }
    return BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  /** 16 hex digits of SHA-256 of {@code text}. */
  public static String id(String text) {
    return HexFormat.of().formatHex(sha256(text), 0, 8);
  }

  /** A 64-bit seed from SHA-256 of {@code text} (a different domain than {@link #id}). */
  public static long seed(String text) {
    return ByteBuffer.wrap(sha256("seed|" + text)).getLong();
  }
}
