package org.scatterbrain.jobs.regression;

/** A baseline that cannot be read or written: the message names the file and what is wrong with it. */
public final class BaselineException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BaselineException(String message) {
    super(message);
  }

  public BaselineException(String message, Throwable cause) {
    super(message, cause);
  }
}
