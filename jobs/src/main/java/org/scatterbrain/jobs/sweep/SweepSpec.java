package org.scatterbrain.jobs.sweep;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.scatterbrain.core.io.NpyArray;
import org.scatterbrain.core.io.NpyReader;

/**
 * A validated sweep definition, parsed once from HOCON ({@link #of}). Every error names the key, the bad value and
 * what is allowed, and is raised before any Spark work. See {@code conf/sweeps/README.md} for the format.
 *
 * @param name sweep name (letters, digits, '-', '_'): the output folder
 * @param seed sweep seed; every input and trial seed derives from it and the trial's canonical config
 * @param inputs input sources
 * @param lengths sequence lengths n (queries = keys)
 * @param headDims head dims d (synthetic inputs; npy inputs take d from their files)
 * @param valueDims value dims dv (empty: dv = d)
 * @param temperatures inverse-temperature multipliers beta: the logit scale is beta / sqrt(d)
 * @param seeds replicate indices
 * @param budgets entries per query row (empty: methods list their own parameters)
 * @param methods method entries
 * @param attentionMetrics when to compute attention-matrix errors
 * @param attentionMaxEntries with "auto", compute them when n * n is at most this
 * @param failTrialsMatching debug: trials whose canonical text contains this fail on purpose (empty: none)
 */
public record SweepSpec(
    String name,
    long seed,
    List<InputSource> inputs,
    List<Integer> lengths,
    List<Integer> headDims,
    List<Integer> valueDims,
    List<Double> temperatures,
    List<Integer> seeds,
    List<Integer> budgets,
    List<MethodSpec> methods,
    AttentionMetrics attentionMetrics,
    long attentionMaxEntries,
    String failTrialsMatching)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** When attention-matrix errors are computed. */
  public enum AttentionMetrics {
    AUTO,
    ALWAYS,
    NEVER
  }

  /** Whether a trial at sequence length n computes attention-matrix errors. */
  public boolean attentionMetricsFor(int n) {
    return switch (attentionMetrics) {
      case ALWAYS -> true;
      case NEVER -> false;
      case AUTO -> (long) n * n <= attentionMaxEntries;
    };
  }

  private static String k(String... parts) {
    return Keys.ROOT + "." + String.join(".", parts);
  }

  /**
   * Parses and validates {@code root} (the whole config; the sweep is under {@code sweep}). Relative npy directories
   * are resolved against {@code baseDir}.
   */
  public static SweepSpec of(Config root, Path baseDir) {
    if (!root.hasPath(Keys.ROOT)) {
      throw new SweepConfigException(Keys.ROOT, null, "an object with name, seed, inputs, axes, methods");
    }
    Config c;
    try {
      c = root.getConfig(Keys.ROOT);
    } catch (ConfigException.WrongType e) {
      throw new SweepConfigException(Keys.ROOT, root.getValue(Keys.ROOT).unwrapped(), "an object");
    }
    unknownKeys(c.root(), Keys.TOP, Keys.ROOT);
    String name = string(c, Keys.NAME, k(Keys.NAME));
    if (!name.matches("[A-Za-z0-9_-]+")) {
      throw new SweepConfigException(k(Keys.NAME), name, "letters, digits, '-' and '_'");
    }
    long seed = longValue(c, Keys.SEED, k(Keys.SEED));
    List<InputSource> inputs = inputs(c, baseDir);
    Config axes = object(c, Keys.AXES, k(Keys.AXES));
    unknownKeys(axes.root(), Keys.AXES_KEYS, k(Keys.AXES));
    List<Integer> lengths = positiveInts(axes, Keys.N, k(Keys.AXES, Keys.N), true);
    List<Integer> headDims = positiveInts(axes, Keys.HEAD_DIM, k(Keys.AXES, Keys.HEAD_DIM), false);
    List<Integer> valueDims = positiveInts(axes, Keys.VALUE_DIM, k(Keys.AXES, Keys.VALUE_DIM), false);
    List<Double> temperatures = positiveDoubles(axes, Keys.TEMPERATURE, k(Keys.AXES, Keys.TEMPERATURE));
    List<Integer> seeds = seeds(axes);
    List<Integer> budgets = positiveInts(axes, Keys.BUDGET, k(Keys.AXES, Keys.BUDGET), false);
    boolean synthetic = inputs.stream().anyMatch(s -> !s.fixedDims());
    if (synthetic && headDims.isEmpty()) {
      throw new SweepConfigException(
          k(Keys.AXES, Keys.HEAD_DIM), null, "a non-empty list of positive integers (synthetic inputs need it)");
    }
    for (InputSource s : inputs) {
      for (int n : lengths) {
        if (n > s.maxLength()) {
          throw new SweepConfigException(
              k(Keys.AXES, Keys.N), n, "at most " + s.maxLength() + " for input " + s.id());
        }
      }
    }
    List<MethodSpec> methods = methods(c, !budgets.isEmpty());
    AttentionMetrics am = AttentionMetrics.AUTO;
    long maxEntries = 1L << 22;
    if (c.hasPath(Keys.METRICS)) {
      Config mc = object(c, Keys.METRICS, k(Keys.METRICS));
      unknownKeys(mc.root(), Set.of(Keys.ATTENTION, Keys.ATTENTION_MAX_ENTRIES), k(Keys.METRICS));
      if (mc.hasPath(Keys.ATTENTION)) {
        String v = string(mc, Keys.ATTENTION, k(Keys.METRICS, Keys.ATTENTION));
        try {
          am = AttentionMetrics.valueOf(v.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new SweepConfigException(k(Keys.METRICS, Keys.ATTENTION), v, "auto, always, never");
        }
      }
      if (mc.hasPath(Keys.ATTENTION_MAX_ENTRIES)) {
        maxEntries = longValue(mc, Keys.ATTENTION_MAX_ENTRIES, k(Keys.METRICS, Keys.ATTENTION_MAX_ENTRIES));
        if (maxEntries < 0) {
          throw new SweepConfigException(
              k(Keys.METRICS, Keys.ATTENTION_MAX_ENTRIES), maxEntries, "an integer >= 0");
        }
      }
    }
    String fail = "";
    if (c.hasPath(Keys.DEBUG)) {
      Config dc = object(c, Keys.DEBUG, k(Keys.DEBUG));
      unknownKeys(dc.root(), Set.of(Keys.FAIL_TRIALS_MATCHING), k(Keys.DEBUG));
      if (dc.hasPath(Keys.FAIL_TRIALS_MATCHING)) {
        fail = string(dc, Keys.FAIL_TRIALS_MATCHING, k(Keys.DEBUG, Keys.FAIL_TRIALS_MATCHING));
      }
    }
    SweepSpec spec =
        new SweepSpec(
            name, seed, List.copyOf(inputs), lengths, headDims, valueDims, temperatures, seeds, budgets,
            List.copyOf(methods), am, maxEntries, fail);
    // resolve every method at every budget and length now, so impossible values fail before Spark starts
    SweepPlan.expand(spec);
    return spec;
  }

  /** Rejects a key of {@code obj} (at {@code path}) that is not in {@code allowed}, naming it and the known keys. */
  public static void unknownKeys(ConfigObject obj, Set<String> allowed, String path) {
    for (String key : obj.keySet()) {
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

  private static String string(Config c, String key, String path) {
    if (!c.hasPath(key)) {
      throw new SweepConfigException(path, null, "a string");
    }
    ConfigValue v = c.getValue(key);
    if (v.valueType() != ConfigValueType.STRING) {
      throw new SweepConfigException(path, v.unwrapped(), "a string");
    }
    return (String) v.unwrapped();
  }

  private static long longValue(Config c, String key, String path) {
    if (!c.hasPath(key)) {
      throw new SweepConfigException(path, null, "an integer");
    }
    ConfigValue v = c.getValue(key);
    if (v.valueType() != ConfigValueType.NUMBER || !isIntegral((Number) v.unwrapped())) {
      throw new SweepConfigException(path, v.unwrapped(), "an integer");
    }
    return ((Number) v.unwrapped()).longValue();
  }

  private static boolean isIntegral(Number x) {
    double d = x.doubleValue();
    return d == Math.rint(d) && Math.abs(d) < 9.2e18;
  }

  private static List<ConfigValue> listOf(ConfigValue v) {
    if (v.valueType() == ConfigValueType.LIST) {
      return new ArrayList<>((ConfigList) v);
    }
    return List.of(v);
  }

  private static List<Integer> positiveInts(Config c, String key, String path, boolean required) {
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
    return List.copyOf(out);
  }

  private static List<Double> positiveDoubles(Config c, String key, String path) {
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
    return List.copyOf(out);
  }

  private static List<Integer> seeds(Config axes) {
    String path = k(Keys.AXES, Keys.SEEDS);
    if (!axes.hasPath(Keys.SEEDS)) {
      throw new SweepConfigException(path, null, "a count (seeds = 3 means 0, 1, 2) or a list of integers >= 0");
    }
    ConfigValue v = axes.getValue(Keys.SEEDS);
    List<Integer> out = new ArrayList<>();
    if (v.valueType() == ConfigValueType.NUMBER) {
      Number x = (Number) v.unwrapped();
      if (!isIntegral(x) || x.longValue() <= 0 || x.longValue() > 1_000_000) {
        throw new SweepConfigException(path, x, "a count in 1..1000000 or a list of integers >= 0");
      }
      for (int s = 0; s < x.intValue(); s++) {
        out.add(s);
      }
      return List.copyOf(out);
    }
    for (ConfigValue e : listOf(v)) {
      Object u = e.unwrapped();
      if (!(u instanceof Number x) || !isIntegral(x) || x.longValue() < 0 || x.longValue() > Integer.MAX_VALUE) {
        throw new SweepConfigException(path, u, "integers >= 0");
      }
      if (out.contains(x.intValue())) {
        throw new SweepConfigException(path, u, "distinct seed indices");
      }
      out.add(x.intValue());
    }
    if (out.isEmpty()) {
      throw new SweepConfigException(path, "[]", "a non-empty list");
    }
    return List.copyOf(out);
  }

  private static List<InputSource> inputs(Config c, Path baseDir) {
    String path = k(Keys.INPUTS);
    if (!c.hasPath(Keys.INPUTS) || c.getValue(Keys.INPUTS).valueType() != ConfigValueType.LIST) {
      throw new SweepConfigException(
          path, c.hasPath(Keys.INPUTS) ? c.getValue(Keys.INPUTS).unwrapped() : null, "a non-empty list of inputs");
    }
    List<InputSource> out = new ArrayList<>();
    ConfigList list = c.getList(Keys.INPUTS);
    for (int i = 0; i < list.size(); i++) {
      String p = path + "[" + i + "]";
      ConfigValue v = list.get(i);
      if (v.valueType() != ConfigValueType.OBJECT) {
        throw new SweepConfigException(p, v.unwrapped(), "an object with a 'kind'");
      }
      Config ic = ((ConfigObject) v).toConfig();
      String kind = string(ic, Keys.KIND, p + "." + Keys.KIND);
      switch (kind) {
        case "gaussian" -> {
          unknownKeys(ic.root(), Set.of(Keys.KIND, Keys.NORM, Keys.SELF_ATTENTION), p);
          out.add(new InputSource.Gaussian(norm(ic, p), flag(ic, Keys.SELF_ATTENTION, p)));
        }
        case "clustered" -> {
          unknownKeys(
              ic.root(),
              Set.of(Keys.KIND, Keys.NORM, Keys.CLUSTERS, Keys.SPREAD, Keys.SELF_ATTENTION, Keys.CONTIGUOUS),
              p);
          long clusters = longValue(ic, Keys.CLUSTERS, p + "." + Keys.CLUSTERS);
          if (clusters < 1 || clusters > 1_000_000) {
            throw new SweepConfigException(p + "." + Keys.CLUSTERS, clusters, "an integer in 1..1000000");
          }
          double spread = ic.hasPath(Keys.SPREAD) ? number(ic, Keys.SPREAD, p + "." + Keys.SPREAD) : 0.5;
          if (!(spread >= 0) || !Double.isFinite(spread)) {
            throw new SweepConfigException(p + "." + Keys.SPREAD, spread, "a finite number >= 0");
          }
          out.add(
              new InputSource.Clustered(
                  (int) clusters, spread, norm(ic, p), flag(ic, Keys.SELF_ATTENTION, p), flag(ic, Keys.CONTIGUOUS, p)));
        }
        case "npy" -> {
          unknownKeys(ic.root(), Set.of(Keys.KIND, Keys.DIR, Keys.HEADS), p);
          out.addAll(npyHeads(ic, p, baseDir));
        }
        default -> throw new SweepConfigException(p + "." + Keys.KIND, kind, "gaussian, clustered, npy");
      }
    }
    if (out.isEmpty()) {
      throw new SweepConfigException(path, "[]", "a non-empty list of inputs");
    }
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (InputSource src : out) {
      if (!ids.add(src.id())) {
        throw new SweepConfigException(path, src.id(), "each input once (this one is listed twice)");
      }
    }
    return out;
  }

  private static boolean flag(Config c, String key, String parent) {
    if (!c.hasPath(key)) {
      return false;
    }
    ConfigValue v = c.getValue(key);
    if (v.valueType() != ConfigValueType.BOOLEAN) {
      throw new SweepConfigException(parent + "." + key, v.unwrapped(), "true or false");
    }
    return (Boolean) v.unwrapped();
  }

  private static double number(Config c, String key, String path) {
    ConfigValue v = c.getValue(key);
    if (v.valueType() != ConfigValueType.NUMBER) {
      throw new SweepConfigException(path, v.unwrapped(), "a number");
    }
    return ((Number) v.unwrapped()).doubleValue();
  }

  private static InputSource.Norm norm(Config ic, String p) {
    if (!ic.hasPath(Keys.NORM)) {
      return InputSource.Norm.UNIT_LOGIT;
    }
    ConfigValue v = ic.getValue(Keys.NORM);
    if (v.valueType() == ConfigValueType.STRING && "unit-logit".equals(v.unwrapped())) {
      return InputSource.Norm.UNIT_LOGIT;
    }
    if (v.valueType() == ConfigValueType.NUMBER) {
      double x = ((Number) v.unwrapped()).doubleValue();
      if (x > 0 && Double.isFinite(x)) {
        return new InputSource.Norm(x);
      }
    }
    throw new SweepConfigException(p + "." + Keys.NORM, v.unwrapped(), "'unit-logit' or a finite number > 0");
  }

  private static List<InputSource> npyHeads(Config ic, String p, Path baseDir) {
    String dirText = string(ic, Keys.DIR, p + "." + Keys.DIR);
    Path dir = baseDir.resolve(dirText).toAbsolutePath().normalize();
    if (!Files.isDirectory(dir)) {
      throw new SweepConfigException(p + "." + Keys.DIR, dirText, "an existing directory (resolved to " + dir + ")");
    }
    List<String> heads = new ArrayList<>();
    if (ic.hasPath(Keys.HEADS)) {
      for (ConfigValue v : listOf(ic.getValue(Keys.HEADS))) {
        if (v.valueType() != ConfigValueType.STRING) {
          throw new SweepConfigException(p + "." + Keys.HEADS, v.unwrapped(), "file prefixes (strings) or \"*\"");
        }
        heads.add((String) v.unwrapped());
      }
    } else {
      heads.add("*");
    }
    if (heads.contains("*")) {
      heads.clear();
      try (Stream<Path> files = Files.list(dir)) {
        files
            .map(f -> f.getFileName().toString())
            .filter(f -> f.endsWith("_q.npy"))
            .map(f -> f.substring(0, f.length() - "_q.npy".length()))
            .sorted()
            .forEach(heads::add);
      } catch (IOException e) {
        throw new SweepConfigException(p + "." + Keys.DIR + ": cannot list " + dir + ": " + e.getMessage());
      }
      if (heads.isEmpty()) {
        throw new SweepConfigException(p + "." + Keys.DIR, dirText, "a directory holding <head>_q.npy, _k.npy, _v.npy");
      }
    }
    Map<String, InputSource> out = new LinkedHashMap<>();
    for (String head : heads) {
      try {
        NpyArray q = NpyReader.read(dir.resolve(head + "_q.npy"));
        NpyArray kk = NpyReader.read(dir.resolve(head + "_k.npy"));
        NpyArray v = NpyReader.read(dir.resolve(head + "_v.npy"));
        if (q.cols() != kk.cols() || q.rows() != kk.rows() || v.rows() != kk.rows()) {
          throw new SweepConfigException(
              p + "." + Keys.HEADS + ": head " + head + " has Q " + q.rows() + "x" + q.cols() + ", K " + kk.rows()
                  + "x" + kk.cols() + ", V " + v.rows() + "x" + v.cols()
                  + "; allowed: Q and K of equal shape, V with as many rows");
        }
        double[] qd = q.data();
        double[] kd = kk.data();
        double[] vd = v.data();
        out.put(
            head,
            new InputSource.Npy(head, contentHash(qd, kd, vd), q.rows(), q.cols(), v.cols(), qd, kd, vd));
      } catch (IOException e) {
        throw new SweepConfigException(p + "." + Keys.HEADS, head, "heads with readable _q/_k/_v .npy files in "
            + dir + " (" + e.getMessage() + ")");
      }
    }
    return new ArrayList<>(out.values());
  }

  /** 8 hex digits of SHA-256 over the arrays' bits: the content identity of a real head. */
  private static String contentHash(double[]... arrays) {
    StringBuilder b = new StringBuilder();
    for (double[] a : arrays) {
      long h = 1125899906842597L;
      for (double x : a) {
        h = 31 * h + Double.doubleToLongBits(x);
      }
      b.append(h).append(',').append(a.length).append(';');
    }
    return Canonical.id(b.toString()).substring(0, 8);
  }

  private static List<MethodSpec> methods(Config c, boolean budgeted) {
    String path = k(Keys.METHODS);
    if (!c.hasPath(Keys.METHODS) || c.getValue(Keys.METHODS).valueType() != ConfigValueType.LIST) {
      throw new SweepConfigException(
          path, c.hasPath(Keys.METHODS) ? c.getValue(Keys.METHODS).unwrapped() : null, "a non-empty list of methods");
    }
    ConfigList list = c.getList(Keys.METHODS);
    List<MethodSpec> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String p = path + "[" + i + "]";
      ConfigValue v = list.get(i);
      if (v.valueType() != ConfigValueType.OBJECT) {
        throw new SweepConfigException(p, v.unwrapped(), "an object with a 'method'");
      }
      Config mc = ((ConfigObject) v).toConfig();
      String method = string(mc, Keys.METHOD, p + "." + Keys.METHOD);
      Set<String> params = MethodSpec.PARAMETERS.get(method);
      if (params == null) {
        throw new SweepConfigException(p + "." + Keys.METHOD, method, new TreeSet<>(MethodSpec.PARAMETERS.keySet()).toString());
      }
      Map<String, List<Object>> lists = new LinkedHashMap<>();
      for (String key : mc.root().keySet()) {
        if (key.equals(Keys.METHOD)) {
          continue;
        }
        if (!params.contains(key)) {
          throw new SweepConfigException(
              p + "." + key, mc.getValue(key).unwrapped(), "parameters of " + method + ": " + new TreeSet<>(params));
        }
        if (budgeted && MethodSpec.SIZE_PARAMETERS.contains(key)) {
          throw new SweepConfigException(
              p + "." + key, mc.getValue(key).unwrapped(),
              "no size parameter when the sweep has a budget axis (the budget sets it)");
        }
        lists.put(key, values(mc.getValue(key), p + "." + key, key));
      }
      if ("scatterbrain".equals(method)) {
        checkScatterbrain(lists, p);
      }
      out.add(new MethodSpec(i, method, lists));
    }
    if (out.isEmpty()) {
      throw new SweepConfigException(path, "[]", "a non-empty list of methods");
    }
    return out;
  }

  private static void checkScatterbrain(Map<String, List<Object>> lists, String p) {
    List<Object> sparse = lists.get(Keys.SPARSE);
    if (sparse == null || sparse.size() != 1) {
      throw new SweepConfigException(
          p + "." + Keys.SPARSE, sparse, "exactly one of smyrf, reformer, local (one method entry per sparse kind)");
    }
    String kind = (String) sparse.get(0);
    Set<String> allowed =
        switch (kind) {
          case "local" -> Set.of(Keys.SPARSE, Keys.FEATURES, Keys.WINDOW);
          case "smyrf" -> Set.of(Keys.SPARSE, Keys.FEATURES, Keys.CLUSTER_SIZE, Keys.HASH_ROUNDS);
          case "reformer" -> Set.of(Keys.SPARSE, Keys.FEATURES, Keys.BUCKET_SIZE, Keys.BUCKETS, Keys.HASH_ROUNDS);
          default -> throw new SweepConfigException(p + "." + Keys.SPARSE, kind, "smyrf, reformer, local");
        };
    for (String key : lists.keySet()) {
      if (!allowed.contains(key)) {
        throw new SweepConfigException(
            p + "." + key, lists.get(key), "parameters of scatterbrain with sparse = " + kind + ": " + new TreeSet<>(allowed));
      }
    }
  }

  private static List<Object> values(ConfigValue v, String path, String key) {
    List<Object> out = new ArrayList<>();
    for (ConfigValue e : listOf(v)) {
      Object u = e.unwrapped();
      switch (key) {
        case Keys.ANTITHETIC, Keys.DEDUPLICATE -> {
          if (!(u instanceof Boolean)) {
            throw new SweepConfigException(path, u, "true or false");
          }
          out.add(u);
        }
        case Keys.SPARSE -> {
          if (!(u instanceof String s) || !Set.of("smyrf", "reformer", "local").contains(s)) {
            throw new SweepConfigException(path, u, "smyrf, reformer, local");
          }
          out.add(u);
        }
        case Keys.BUCKETS -> {
          if (!(u instanceof Number x) || !isIntegral(x) || x.longValue() < 0 || x.longValue() % 2 != 0
              || x.longValue() > Integer.MAX_VALUE) {
            throw new SweepConfigException(path, u, "even integers >= 2, or 0 for n / bucket-size");
          }
          out.add(x.intValue());
        }
        default -> {
          if (!(u instanceof Number x) || !isIntegral(x) || x.longValue() <= 0 || x.longValue() > Integer.MAX_VALUE) {
            throw new SweepConfigException(path, u, "positive integers");
          }
          out.add(x.intValue());
        }
      }
    }
    if (out.isEmpty()) {
      throw new SweepConfigException(path, "[]", "a non-empty list");
    }
    return out;
  }
}
