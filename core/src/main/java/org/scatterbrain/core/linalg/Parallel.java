package org.scatterbrain.core.linalg;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Runs independent index ranges either on the calling thread or on the common fork-join pool. Each range is
 * computed by the same code whatever the thread, so results are bit-identical with and without parallelism.
 */
public final class Parallel {
  private Parallel() {}

  /**
   * Splits {@code [0, count)} into contiguous chunks and calls {@code body.accept(chunk)} once per chunk; {@link
   * #chunkStart} and {@link #chunkEnd} give each chunk's range. Sequential when {@code parallel} is false.
   */
  public static int chunks(int count, boolean parallel) {
    if (!parallel || count <= 1) {
      return Math.min(1, count);
    }
    int workers = Math.max(1, Runtime.getRuntime().availableProcessors());
    return Math.min(count, workers * 4);
  }

  /** First index of chunk {@code c} of {@code chunks} over {@code [0, count)}. */
  public static int chunkStart(int c, int chunks, int count) {
    return (int) ((long) c * count / chunks);
  }

  /** One past the last index of chunk {@code c}. */
  public static int chunkEnd(int c, int chunks, int count) {
    return (int) ((long) (c + 1) * count / chunks);
  }

  /**
   * Throws {@link java.util.concurrent.CancellationException} when the calling thread has been interrupted (the
   * interrupt stays set): every kernel calls this between blocks of work, so a caller with a time limit can stop an
   * estimate by interrupting its thread. Costs one volatile read.
   */
  public static void checkInterrupted() {
    if (Thread.currentThread().isInterrupted()) {
      throw new java.util.concurrent.CancellationException("estimate interrupted");
    }
  }

  /** Calls {@code body} for every chunk index in {@code [0, chunks)}, on the common pool when parallel. */
  public static void forEachChunk(int chunks, boolean parallel, IntConsumer body) {
    if (parallel && chunks > 1) {
      IntStream.range(0, chunks).parallel().forEach(body);
    } else {
      for (int c = 0; c < chunks; c++) {
        body.accept(c);
      }
    }
  }
}
