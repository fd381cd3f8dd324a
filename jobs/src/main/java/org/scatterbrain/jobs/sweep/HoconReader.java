package org.scatterbrain.jobs.sweep;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed reading of HOCON values with full paths in every error ({@link SweepConfigException}: key, value as written,
 * what is allowed). Lists also accept a single value ({@code n = 512} is {@code n = [512]}); a value listed twice is
 * an error naming both positions.
 */
public final class HoconReader {
  private HoconReader() {}

  /** {@code parent.key}. */
  public static String path(String parent, String key) {
    return parent + "." + key;
  }

  /** Rejects a key of {@code obj} (at {@code path}) that is not in {@code allowed}, naming it and the known keys. */
  public static void unknownKeys(ConfigObject obj, Set<String> allowed, String path) {
    for (String key : new TreeSet<>(obj.keySet())) {
      if (!allowed.contains(key)) {
        throw new SweepConfigException(
            path + "." + key, obj.get(key).unwrapped(), "known keys of " + path + ": " + new TreeSet<>(allowed));
      }
    }
  }

  /** The object at {@code key} of {@code c} (full path {@code path}); missing or not an object is an error. */
  public static Config object(Config c, String key, String path) {
    if (!c.hasPath(key)) {
      throw new SweepConfigException(path, null, "an object");
    }
    if (c.getValue(key).valueType() != ConfigValueType.OBJECT) {
      throw new SweepConfigException(path, c.getValue(key).unwrapped(), "an object");
    }
    return c.getConfig(key);
  }

  /**
   * The objects of the non-empty list at {@code key} (full path {@code path}); each must be an object with the key
   * {@code required} ({@code what} names the list in messages, e.g. "inputs").
   */
  public static List<Config> objects(Config c, String key, String path, String required, String what) {
    if (!c.hasPath(key) || c.getValue(key).valueType() != ConfigValueType.LIST) {
      throw new SweepConfigException(path, c.hasPath(key) ? c.getValue(key).unwrapped() : null,
          "a non-empty list of " + what);
    }
    List<Config> out = new ArrayList<>();
    ConfigList list = c.getList(key);
    for (int i = 0; i < list.size(); i++) {
      ConfigValue v = list.get(i);
      if (v.valueType() != ConfigValueType.OBJECT) {
        throw new SweepConfigException(path + "[" + i + "]", v.unwrapped(), "an object with a '" + required + "'");
      }
      out.add(((ConfigObject) v).toConfig());
    }
    if (out.isEmpty()) {
      throw new SweepConfigException(path, "[]", "a non-empty list of " + what);
    }
    return out;
  }

  /** A string. */
  public static String string(Config c, String key, String path) {
    if (!c.hasPath(key)) {
      throw new SweepConfigException(path, null, "a string");
    }
    ConfigValue v = c.getValue(key);
    if (v.valueType() != ConfigValueType.STRING) {
      throw new SweepConfigException(path, v.unwrapped(), "a string");
    }
    return (String) v.unwrapped();
  }

  /** An integer. */
  public static long longValue(Config c, String key, String path) {
    if (!c.hasPath(key)) {
      throw new SweepConfigException(path, null, "an integer");
    }
    ConfigValue v = c.getValue(key);
    if (v.valueType() != ConfigValueType.NUMBER || !isIntegral((Number) v.unwrapped())) {
      throw new SweepConfigException(path, v.unwrapped(), "an integer");
    }
    return ((Number) v.unwrapped()).longValue();
  }

  /** A number. */
  public static double number(Config c, String key, String path) {
    ConfigValue v = c.getValue(key);
    if (v.valueType() != ConfigValueType.NUMBER) {
      throw new SweepConfigException(path, v.unwrapped(), "a number");
    }
    return ((Number) v.unwrapped()).doubleValue();
  }

  /** A boolean, false when absent. */
  public static boolean flag(Config c, String key, String parent) {
    if (!c.hasPath(key)) {
      return false;
    }
    ConfigValue v = c.getValue(key);
    if (v.valueType() != ConfigValueType.BOOLEAN) {
      throw new SweepConfigException(parent + "." + key, v.unwrapped(), "true or false");
    }
    return (Boolean) v.unwrapped();
  }

  /** Whether {@code x} is a whole number that fits in a long. */
  public static boolean isIntegral(Number x) {
    double d = x.doubleValue();
    return d == Math.rint(d) && Math.abs(d) < 9.2e18;
  }

  /** The elements of a list value, or the value itself as a one-element list. */
  public static List<ConfigValue> listOf(ConfigValue v) {
    if (v.valueType() == ConfigValueType.LIST) {
      return new ArrayList<>((ConfigList) v);
    }
    return List.of(v);
  }

  /** Rejects the second occurrence of an equal value in {@code values}, naming both positions. */
  public static <T> List<T> distinct(List<T> values, String path) {
    Map<T, Integer> first = new HashMap<>();
    for (int i = 0; i < values.size(); i++) {
      Integer before = first.putIfAbsent(values.get(i), i);
      if (before != null) {
        throw new SweepConfigException(path + "[" + i + "]", values.get(i),
            "each value once (it is also " + path + "[" + before + "])");
      }
    }
    return values;
  }

  /** A non-empty list of distinct positive integers (optional unless {@code required}: then empty when absent). */
  public static List<Integer> positiveInts(Config c, String key, String path, boolean required) {
    if (!c.hasPath(key)) {
      if (required) {
        throw new SweepConfigException(path, null, "a non-empty list of positive integers");
      }
      return List.of();
    }
    List<Integer> out = new ArrayList<>();
    for (ConfigValue v : listOf(c.getValue(key))) {
      Object u = v.unwrapped();
      if (!(u instanceof Number x) || !isIntegral(x) || x.longValue() <= 0 || x.longValue() > Integer.MAX_VALUE) {
        throw new SweepConfigException(path, u, "positive integers");
      }
      out.add(x.intValue());
    }
    if (out.isEmpty()) {
      throw new SweepConfigException(path, "[]", "a non-empty list of positive integers");
    }
    return List.copyOf(distinct(out, path));
  }

  /** A non-empty list of distinct finite numbers > 0. */
  public static List<Double> positiveDoubles(Config c, String key, String path) {
    if (!c.hasPath(key)) {
      throw new SweepConfigException(path, null, "a non-empty list of positive numbers");
    }
    List<Double> out = new ArrayList<>();
    for (ConfigValue v : listOf(c.getValue(key))) {
      Object u = v.unwrapped();
      if (!(u instanceof Number x) || !(x.doubleValue() > 0) || !Double.isFinite(x.doubleValue())) {
        throw new SweepConfigException(path, u, "finite numbers > 0");
      }
      out.add(x.doubleValue());
    }
    if (out.isEmpty()) {
      throw new SweepConfigException(path, "[]", "a non-empty list of positive numbers");
    }
    return List.copyOf(distinct(out, path));
  }
}
