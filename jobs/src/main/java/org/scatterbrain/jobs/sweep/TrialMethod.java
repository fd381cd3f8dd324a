package org.scatterbrain.jobs.sweep;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.scatterbrain.core.MethodConfig;

/**
 * One method with every parameter resolved: its core configuration, and the values of its parameters in canonical
 * order (what the result columns record and the trial id hashes). The names of a method everywhere (results,
 * summary, regression report, speed probe) come from here: {@link #label} and {@link #variant}.
 *
 * @param method method name
 * @param reference whether it is a reference (an oracle), never a candidate for best method
 * @param config the core configuration
 * @param values parameter values in canonical order; null values are left out
 */
public record TrialMethod(String method, boolean reference, MethodConfig config, List<Value> values)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * One parameter's value; {@code listed} when the method's sweep entry can set it (a value the method fixes, such as
   * Scatterbrain's deduplication, is recorded but not part of the variant name).
   */
  public record Value(Param param, Object value, boolean listed) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** Validates and copies. */
  public TrialMethod {
    values = List.copyOf(values);
  }

  /**
   * The method of {@code codec}'s resolution {@code r} at {@code budget} (null: none), with values ordered as
   * {@code order} lists the parameters.
   */
  static TrialMethod of(MethodCodec codec, MethodCodec.Resolved r, Integer budget, List<Param> order) {
    List<Value> out = new ArrayList<>();
    Map<Param, Object> v = r.values();
    for (Param p : order) {
      Object x = p.equals(Params.BUDGET) ? budget : v.get(p);
      if (x != null) {
        out.add(new Value(p, x, codec.params().contains(p)));
      }
    }
    for (Param p : v.keySet()) {
      if (!order.contains(p)) {
        throw new IllegalStateException("method " + codec.method() + " records " + p.key() + ", which the registry "
            + "does not know");
      }
    }
    return new TrialMethod(codec.method(), codec.reference(), r.config(), out);
  }

  /** The value of {@code p}, or null. */
  public Object value(Param p) {
    for (Value v : values) {
      if (v.param().equals(p)) {
        return v.value();
      }
    }
    return null;
  }

  /** The value of the parameter with result column {@code column}, or null. */
  public Object valueOfColumn(String column) {
    for (Value v : values) {
      if (v.param().column().equals(column)) {
        return v.value();
      }
    }
    return null;
  }

  /** The budget (entries per row), or null. */
  public Integer budget() {
    return (Integer) value(Params.BUDGET);
  }

  /** Canonical text of the method and its parameters (part of the trial id). */
  public String canonical() {
    StringBuilder b = new StringBuilder("method=").append(method);
    for (Value v : values) {
      String c = v.param().canonical(v.value());
      if (c != null) {
        b.append(';').append(c);
      }
    }
    return b.toString();
  }

  /** The method label: the name, with its qualifier (Scatterbrain's sparse kind), e.g. {@code scatterbrain-local}. */
  public String label() {
    StringBuilder b = new StringBuilder(method);
    for (Value v : values) {
      if (v.param().qualifier() && !v.value().equals(v.param().idDefault())) {
        b.append('-').append(v.param().type().canonical(v.value()));
      }
    }
    return b.toString();
  }

  /**
   * The variant name: the label and the parameters a sweep entry set that the budget does not derive, e.g. {@code
   * scatterbrain-smyrf h=2}, {@code performer plain}; without a budget also the sizes, e.g. {@code performer F=32}.
   * The budget itself is part of the cell (results, summaries and the regression report show it beside the
   * variant), so distinct configurations of a cell have distinct variant names.
   */
  public String variant() {
    return variant(budget() == null);
  }

  /**
   * The variant name with or without the sizes: {@link #variant()} shows them only without a budget; the regression
   * benchmark never does, so that a change of size at the same claimed configuration is compared with its baseline
   * (and shows as the accuracy it costs) rather than appearing as a new variant.
   */
  public String variant(boolean withSizes) {
    StringJoiner j = new StringJoiner(" ");
    j.add(label());
    for (Value v : values) {
      Param p = v.param();
      if (!v.listed() || p.equals(Params.BUDGET) || (p.size() && !withSizes)) {
        continue;
      }
      String s = p.show(v.value());
      if (s != null) {
        j.add(s);
      }
    }
    return j.toString();
  }

  /** The sizes of the method, e.g. {@code features=16 window=32} (empty for exact). */
  public String sizes() {
    StringJoiner j = new StringJoiner(" ");
    for (Value v : values) {
      if (v.param().size()) {
        j.add(v.param().key() + "=" + v.param().type().canonical(v.value()));
      }
    }
    return j.toString();
  }
}
