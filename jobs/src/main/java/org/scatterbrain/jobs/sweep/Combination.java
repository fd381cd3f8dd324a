package org.scatterbrain.jobs.sweep;

import java.util.Map;

/**
 * One combination of a sweep entry's listed values, plus the budget (null without a budget axis), as a {@link
 * MethodCodec} resolves it.
 */
public final class Combination {
  private final String path;
  private final Map<Param, Object> values;
  private final Integer budget;

  Combination(String path, Map<Param, Object> values, Integer budget) {
    this.path = path;
    this.values = values;
    this.budget = budget;
  }

  /** The budget in entries per row, or null without a budget axis. */
  public Integer budget() {
    return budget;
  }

  /** The listed value of {@code p}, or {@code dflt} when the entry does not list it. */
  @SuppressWarnings("unchecked")
  public <T> T get(Param p, T dflt) {
    Object v = values.get(p);
    return v == null ? dflt : (T) v;
  }

  /** The listed value of a required parameter (a size without a budget axis, or a choice without default). */
  @SuppressWarnings("unchecked")
  public <T> T require(Param p) {
    Object v = values.get(p);
    if (v == null) {
      throw new SweepConfigException(path + "." + p.key(), null,
          p.size() ? "a list of " + p.allowed() + " (or a budget axis)" : "a list of " + p.allowed());
    }
    return (T) v;
  }

  @Override
  public String toString() {
    return values + (budget == null ? "" : ", budget " + budget);
  }
}
