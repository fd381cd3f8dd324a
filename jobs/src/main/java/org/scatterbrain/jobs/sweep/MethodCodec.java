package org.scatterbrain.jobs.sweep;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.scatterbrain.core.MethodConfig;

/**
 * How sweeps name, parameterise and build one method: the one place in {@code jobs} where a method is declared (see
 * {@link BuiltInMethods}, and {@code CONTRIBUTING.md} for adding one). Everything else follows from it: which keys a
 * sweep entry accepts and their types ({@link Param}), the canonical text of a trial (its id), the result columns,
 * the method label and variant names used in results, summaries, the regression report and the speed probe.
 */
public interface MethodCodec extends Serializable {
  /** The name in sweeps and in the {@code method} column, e.g. {@code performer}. */
  String method();

  /** The parameters a sweep entry of this method may list. */
  List<Param> params();

  /** Whether a budget axis sizes it (exact attention is not budgeted: one trial per input cell). */
  default boolean budgeted() {
    return true;
  }

  /**
   * Whether it is a reference rather than a method (an oracle that reads the exact attention matrix): its rows are
   * flagged in results and it never appears in best-method tables.
   */
  default boolean reference() {
    return false;
  }

  /**
   * Checks an entry's lists as a whole, beyond each value's type (for example that Scatterbrain lists exactly one
   * sparse kind and only that kind's sizes); {@code path} names the entry in messages.
   */
  default void checkEntry(Map<Param, List<Object>> lists, String path) {}

  /**
   * The configuration of one combination of listed values, and the parameter values it records (sizes read back
   * from the configuration, so a budget's derived sizes are recorded exactly; values left null are not recorded).
   */
  Resolved resolve(Combination c);

  /** A resolved configuration and the values of its parameters. */
  record Resolved(MethodConfig config, Map<Param, Object> values) {}
}
