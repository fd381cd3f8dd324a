package org.scatterbrain.jobs.regression;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.scatterbrain.jobs.sweep.Canonical;
import org.scatterbrain.jobs.sweep.InputKey;
import org.scatterbrain.jobs.sweep.SweepConfigException;
import org.scatterbrain.jobs.sweep.Trial;
import org.scatterbrain.jobs.sweep.TrialMethod;

/**
 * Names of what the regression benchmark compares. A method <em>variant</em> is the method as the sweep claims it:
 * its name (with the sparse part of Scatterbrain), the budget, and the parameters that are not sizes (hash rounds,
 * plain features, deduplication, bucket count). The sizes derived from the budget (features, cluster and bucket
 * sizes, window, landmarks) are shown next to the values but are not part of the name: a change that gives a method
 * fewer features at the same budget is compared against the baseline, and shows up as the accuracy it costs.
 */
public final class Variants {
  private Variants() {}

  /** The variant name of a resolved method, e.g. {@code scatterbrain+smyrf B=64 h=2}. */
  public static String variant(TrialMethod m) {
    StringBuilder b = new StringBuilder(m.method());
    if (m.sparseKind() != null) {
      b.append('+').append(m.sparseKind());
    }
    if (m.budget() != null) {
      b.append(" B=").append(m.budget());
    }
    if (m.hashRounds() != null) {
      b.append(" h=").append(m.hashRounds());
    }
    if (m.buckets() != null) {
      b.append(" buckets=").append(m.buckets());
    }
    if (Boolean.FALSE.equals(m.antithetic())) {
      b.append(" plain-features");
    }
    if ("smyrf".equals(m.method()) && Boolean.TRUE.equals(m.deduplicate())) {
      b.append(" dedup");
    }
    return b.toString();
  }

  /** The resolved sizes of a method, e.g. {@code features=16 window=32} (empty for exact). */
  public static String params(TrialMethod m) {
    StringJoiner j = new StringJoiner(" ");
    add(j, "features", m.features());
    add(j, "cluster-size", m.clusterSize());
    add(j, "bucket-size", m.bucketSize());
    add(j, "window", m.window());
    add(j, "landmarks", m.landmarks());
    return j.toString();
  }

  private static void add(StringJoiner j, String name, Integer value) {
    if (value != null) {
      j.add(name + "=" + value);
    }
  }

  /** The cell name of an input, e.g. {@code gaussian(norm=unit-logit,self-attention) n=256 d=32 beta=8 seed=0}. */
  public static String cell(InputKey k) {
    return k.source().id() + " n=" + k.n() + " d=" + k.d() + (k.dv() != k.d() ? " dv=" + k.dv() : "") + " beta="
        + Canonical.number(k.temperature()) + " seed=" + k.seedIndex();
  }

  /**
   * Checks that no two trials share a variant and cell (they would be indistinguishable in a baseline), e.g. two
   * Performer entries with different feature counts in a sweep without a budget axis.
   */
  public static void requireDistinct(List<Trial> trials) {
    Map<String, Trial> seen = new HashMap<>();
    for (Trial t : trials) {
      String key = variant(t.method()) + " | " + cell(t.input());
      Trial other = seen.putIfAbsent(key, t);
      if (other != null) {
        throw new SweepConfigException("sweep.methods: " + other.method().canonical() + " and "
            + t.method().canonical() + " are the same variant '" + variant(t.method()) + "' for the regression "
            + "benchmark, which compares one configuration per method and budget; use a budget axis, or keep one of "
            + "them");
      }
    }
  }
}
