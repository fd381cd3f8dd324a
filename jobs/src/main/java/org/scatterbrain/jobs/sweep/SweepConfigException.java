package org.scatterbrain.jobs.sweep;

/** A sweep definition error: names the key, the bad value and what is allowed. Raised before any Spark work. */
public final class SweepConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** {@code key}: the full HOCON path; {@code value}: as written; {@code allowed}: what would be accepted. */
  public SweepConfigException(String key, Object value, String allowed) {
    super(key + ": " + (value == null ? "missing" : "got " + render(value)) + "; allowed: " + allowed);
  }

  /** A free-form message that already names key and value. */
  public SweepConfigException(String message) {
    super(message);
  }

  private static String render(Object value) {
    return value instanceof String s ? "'" + s + "'" : String.valueOf(value);
  }
}
