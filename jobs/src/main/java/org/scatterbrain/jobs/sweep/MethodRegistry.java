package org.scatterbrain.jobs.sweep;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The methods a sweep can use, by name, and the union of their parameters in canonical order (the built-in {@link
 * Params#ALL} first, then new parameters in the order the methods declare them). Immutable; {@link #BUILT_IN} is what
 * the jobs use, {@link #with} adds methods (a test can add a test-only method this way).
 */
public final class MethodRegistry implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The built-in methods ({@link BuiltInMethods}). */
  public static final MethodRegistry BUILT_IN = new MethodRegistry(List.of(BuiltInMethods.values()));

  private final Map<String, MethodCodec> codecs;
  private final List<String> names;
  private final List<Param> params;

  private MethodRegistry(Collection<? extends MethodCodec> all) {
    Map<String, MethodCodec> byName = new LinkedHashMap<>();
    List<Param> ordered = new ArrayList<>(Params.ALL);
    Map<String, Param> byKey = new HashMap<>();
    Map<String, Param> byColumn = new HashMap<>();
    for (Param p : Params.ALL) {
      byKey.put(p.key(), p);
      byColumn.put(p.column(), p);
    }
    for (MethodCodec c : all) {
      if (!c.method().matches("[a-z][a-z0-9-]*")) {
        throw new IllegalArgumentException("method name '" + c.method() + "' must be lower-case letters, digits, '-'");
      }
      if (byName.putIfAbsent(c.method(), c) != null) {
        throw new IllegalArgumentException("method " + c.method() + " is registered twice");
      }
      for (Param p : c.params()) {
        Param known = byKey.get(p.key());
        Param sameColumn = byColumn.get(p.column());
        if ((known != null && !known.equals(p)) || (sameColumn != null && !sameColumn.equals(p))) {
          throw new IllegalArgumentException("method " + c.method() + " declares parameter " + p.key() + " (column "
              + p.column() + ") differently from another method: a parameter is declared once and shared");
        }
        if (known == null) {
          byKey.put(p.key(), p);
          byColumn.put(p.column(), p);
          ordered.add(p);
        }
      }
    }
    this.codecs = Map.copyOf(byName);
    this.params = List.copyOf(ordered);
    this.names = List.copyOf(byName.keySet());
  }

  /** This registry plus {@code more}. */
  public MethodRegistry with(MethodCodec... more) {
    List<MethodCodec> all = new ArrayList<>();
    for (String n : names) {
      all.add(codecs.get(n));
    }
    all.addAll(List.of(more));
    return new MethodRegistry(all);
  }

  /** The method called {@code name}, or null. */
  public MethodCodec codec(String name) {
    return codecs.get(name);
  }

  /** The method called {@code name}; throws naming the known methods if there is none. */
  public MethodCodec require(String name) {
    MethodCodec c = codecs.get(name);
    if (c == null) {
      throw new IllegalArgumentException("unknown method '" + name + "'; known methods: " + names());
    }
    return c;
  }

  /** Method names, sorted. */
  public Set<String> names() {
    return new TreeSet<>(names);
  }

  /** Every method, in registration order. */
  public List<MethodCodec> codecs() {
    List<MethodCodec> out = new ArrayList<>();
    for (String n : names) {
      out.add(codecs.get(n));
    }
    return out;
  }

  /** Every parameter of every method, in canonical (and result column) order. */
  public List<Param> params() {
    return params;
  }
}
