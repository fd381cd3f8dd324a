package org.scatterbrain.jobs.sweep;

import org.scatterbrain.core.metrics.AttentionErrors;
import org.scatterbrain.core.metrics.ErrorReport;
import org.scatterbrain.core.metrics.MemoryFootprint;

/**
 * What an {@code ok} row guarantees: every metric it carries is a finite number. A trial whose metrics are not is
 * {@code failed}, with the metric named, never an {@code ok} row with NaN or infinity in it (which a summary would
 * silently average or drop).
 */
final class ResultChecks {
  private ResultChecks() {}

  /** Throws {@link ArithmeticException} naming the first non-finite metric. */
  static void requireFinite(ErrorReport err, MemoryFootprint memory) {
    check("output_rel_fro", err.outputRelativeFrobenius());
    check("output_max_abs", err.outputMaxAbs());
    AttentionErrors a = err.attention();
    if (a != null) {
      check("attn_rel_fro", a.relativeFrobenius());
      check("attn_max_abs", a.maxAbs());
      check("kl_mean", a.klMean());
      check("kl_max", a.klMax());
      check("tv_mean", a.tvMean());
      check("tv_max", a.tvMax());
      if (a.hasSupportMass()) {
        check("support_mass", a.supportMass());
      }
    }
    check("memory_entries_per_row", memory.entriesPerRow());
    check("memory_entries", memory.entries());
  }

  private static void check(String metric, double value) {
    if (!Double.isFinite(value)) {
      throw new ArithmeticException("metric " + metric + " is " + value + " (non-finite metrics are not recorded as ok)");
    }
  }
}
