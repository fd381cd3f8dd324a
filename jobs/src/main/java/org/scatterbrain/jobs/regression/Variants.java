package org.scatterbrain.jobs.regression;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.scatterbrain.jobs.sweep.Canonical;
import org.scatterbrain.jobs.sweep.InputKey;
import org.scatterbrain.jobs.sweep.SweepConfigException;
import org.scatterbrain.jobs.sweep.Trial;
import org.scatterbrain.jobs.sweep.TrialMethod;

/**
 * Names of what the regression benchmark compares. A method <em>variant</em> is {@link TrialMethod#variant}, the name
 * used everywhere: the method label, the budget, and the parameters that are not sizes (hash rounds, plain features,
 * deduplication, bucket count). The sizes derived from the budget ({@link TrialMethod#sizes}: features, cluster and
 * bucket sizes, window, landmarks) are shown next to the values but are not part of the name: a change that gives a
 * method fewer features at the same budget is compared against the baseline, and shows up as the accuracy it costs.
 */
public final class Variants {
  private Variants() {}

  /**
   * The cell name of an input, e.g. {@code gaussian(norm=unit-logit,self-attention) n=256 d=32 beta=8 seed=0}; causal
   * cells end in {@code causal} (bidirectional names are those baselines already hold).
   */
  public static String cell(InputKey k) {
    return k.source().id() + " n=" + k.n() + " d=" + k.d() + (k.dv() != k.d() ? " dv=" + k.dv() : "") + " beta="
        + Canonical.number(k.temperature()) + " seed=" + k.seedIndex() + (k.causal() ? " causal" : "");
  }

  /**
   * The cell of a trial: its input's cell and its budget (as in the summary, where a cell includes the budget), e.g.
   * {@code gaussian(norm=unit-logit,self-attention) n=256 d=32 beta=8 seed=0 B=64}.
   */
  public static String cell(Trial t) {
    Integer budget = t.method().budget();
    return cell(t.input()) + (budget == null ? "" : " B=" + budget);
  }

  /**
   * Checks that no two trials share a variant and cell (they would be indistinguishable in a baseline), e.g. two
   * Performer entries with different feature counts in a sweep without a budget axis.
   */
  public static void requireDistinct(List<Trial> trials) {
    Map<String, Trial> seen = new HashMap<>();
    for (Trial t : trials) {
      String key = t.method().variant(false) + " | " + cell(t);
      Trial other = seen.putIfAbsent(key, t);
      if (other != null) {
        throw new SweepConfigException("sweep.methods: " + other.method().canonical() + " and "
            + t.method().canonical() + " are the same variant '" + t.method().variant(false) + "' for the regression "
            + "benchmark, which compares one configuration per method and budget; use a budget axis, or keep one of "
            + "them");
      }
    }
  }
}
