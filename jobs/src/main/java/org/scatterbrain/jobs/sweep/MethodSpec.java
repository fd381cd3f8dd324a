package org.scatterbrain.jobs.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One entry of {@code sweep.methods}: a method and the lists of values of its parameters (their cartesian product is
 * swept). With a budget axis, the method derives its sizes from each budget ({@link MethodCodec#resolve}).
 *
 * @param index position in {@code sweep.methods}, for messages
 * @param codec the method
 * @param lists parameter to its list of (checked) values
 */
public record MethodSpec(int index, MethodCodec codec, Map<Param, List<Object>> lists) {
  /** Copies. */
  public MethodSpec {
    lists = Map.copyOf(lists);
  }

  /** The method name. */
  public String method() {
    return codec.method();
  }

  /** The entry's path in messages, e.g. {@code sweep.methods[3]}. */
  public String path() {
    return Keys.ROOT + "." + Keys.METHODS + "[" + index + "]";
  }

  /**
   * Every combination of this entry's values at {@code budget} (null: sizes as listed; ignored by methods that are not
   * budgeted), with parameter values ordered as {@code order} lists them.
   */
  public List<TrialMethod> expand(Integer budget, List<Param> order) {
    Integer b = codec.budgeted() ? budget : null;
    List<TrialMethod> out = new ArrayList<>();
    for (Map<Param, Object> combo : combinations()) {
      Combination c = new Combination(path(), combo, b);
      MethodCodec.Resolved r;
      try {
        r = codec.resolve(c);
      } catch (SweepConfigException e) {
        throw e;
      } catch (IllegalArgumentException e) {
        throw new SweepConfigException(path() + " (" + codec.method() + " " + c + "): " + e.getMessage());
      }
      out.add(TrialMethod.of(codec, r, b, order));
    }
    return out;
  }

  /** Every combination, parameters taken in key order (so the expansion does not depend on the file's order). */
  private List<Map<Param, Object>> combinations() {
    TreeMap<String, Param> byKey = new TreeMap<>();
    for (Param p : lists.keySet()) {
      byKey.put(p.key(), p);
    }
    List<Map<Param, Object>> acc = new ArrayList<>();
    acc.add(Map.of());
    for (Param p : byKey.values()) {
      List<Map<Param, Object>> next = new ArrayList<>();
      for (Map<Param, Object> partial : acc) {
        for (Object value : lists.get(p)) {
          Map<Param, Object> m = new java.util.HashMap<>(partial);
          m.put(p, value);
          next.add(m);
        }
      }
      acc = next;
    }
    return acc;
  }
}
