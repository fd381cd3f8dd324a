package org.scatterbrain.core.metrics;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;

/**
 * Measures bytes allocated on the heap between {@link #start} and {@link #stop}, using HotSpot's per-thread
 * allocation counters: by the calling thread only, or, for parallel work, by every live thread (so concurrent
 * unrelated work is included then). Returns -1 where the JVM does not support the counters.
 */
public final class AllocationMeter {
  private static final com.sun.management.ThreadMXBean BEAN = bean();

  private final boolean includePool;
  private final Map<Long, Long> before;

  private AllocationMeter(boolean includePool) {
    this.includePool = includePool;
    this.before = snapshot();
  }

  private static com.sun.management.ThreadMXBean bean() {
    java.lang.management.ThreadMXBean b = ManagementFactory.getThreadMXBean();
    if (b instanceof com.sun.management.ThreadMXBean sun && sun.isThreadAllocatedMemorySupported()) {
      if (!sun.isThreadAllocatedMemoryEnabled()) {
        sun.setThreadAllocatedMemoryEnabled(true);
      }
      return sun;
    }
    return null;
  }

  /** Starts measuring the current thread, or every thread when {@code includePool}. */
  public static AllocationMeter start(boolean includePool) {
    return new AllocationMeter(includePool);
  }

  /** Bytes allocated since {@link #start}, or -1 if unsupported. */
  public long stop() {
    if (BEAN == null) {
      return -1;
    }
    Map<Long, Long> after = snapshot();
    long total = 0;
    for (Map.Entry<Long, Long> e : after.entrySet()) {
      long b0 = before.getOrDefault(e.getKey(), 0L);
      total += Math.max(0, e.getValue() - b0);
    }
    return total;
  }

  private Map<Long, Long> snapshot() {
    Map<Long, Long> out = new HashMap<>();
    if (BEAN == null) {
      return out;
    }
    Thread current = Thread.currentThread();
    out.put(current.getId(), BEAN.getThreadAllocatedBytes(current.getId()));
    if (includePool) {
      long[] ids = BEAN.getAllThreadIds();
      long[] bytes = BEAN.getThreadAllocatedBytes(ids);
      for (int x = 0; x < ids.length; x++) {
        out.put(ids[x], bytes[x]);
      }
    }
    return out;
  }
}
