package org.scatterbrain.jobs.sweep;

import static org.scatterbrain.jobs.sweep.HoconReader.longValue;
import static org.scatterbrain.jobs.sweep.HoconReader.object;
import static org.scatterbrain.jobs.sweep.HoconReader.positiveDoubles;
import static org.scatterbrain.jobs.sweep.HoconReader.positiveInts;
import static org.scatterbrain.jobs.sweep.HoconReader.string;
import static org.scatterbrain.jobs.sweep.HoconReader.unknownKeys;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A validated sweep definition, parsed once from HOCON ({@link #parse}): the typed values of every key, the input
 * sources (with the arrays of real heads, read once) and the method entries. Expanding it into trials is the next,
 * separate step ({@link SweepPlan#expand}). Every error names the key, the bad value and what is allowed, and is
 * raised before any Spark work. See {@code conf/sweeps/README.md} for the format.
 *
 * @param name sweep name (letters, digits, '-', '_'): the output folder
 * @param seed sweep seed; every input and trial seed derives from it and the trial's canonical config
 * @param inputs input sources
 * @param heads arrays of the real heads among the inputs
 * @param lengths sequence lengths n (queries = keys)
 * @param headDims head dims d (synthetic inputs; npy inputs take d from their files)
 * @param valueDims value dims dv (empty: dv = d)
 * @param temperatures inverse-temperature multipliers beta: the logit scale is beta / sqrt(d), or beta x the model's
 *     own scale for a real head whose heads.tsv records one
 * @param masks the {@code causal} axis: {@code false}, {@code true}, or {@code model} (a real head's own mask from
 *     its heads.tsv; none for synthetic inputs)
 * @param seeds replicate indices
 * @param budgets entries per query row (empty: methods list their own parameters)
 * @param methods method entries
 * @param registry the methods the entries were parsed against
 * @param trials how each trial runs (metrics, injected failures)
 */
public record SweepSpec(
    String name,
    long seed,
    List<InputSource> inputs,
    HeadStore heads,
    List<Integer> lengths,
    List<Integer> headDims,
    List<Integer> valueDims,
    List<Double> temperatures,
    List<Mask> masks,
    List<Integer> seeds,
    List<Integer> budgets,
    List<MethodSpec> methods,
    MethodRegistry registry,
    TrialSettings trials) {

  /** A value of the {@code causal} axis. */
  public enum Mask {
    /** Bidirectional attention. */
    FALSE,
    /** The causal (decoder) mask: query i sees keys 0..i. */
    TRUE,
    /** The input's own: causal for a real head its heads.tsv marks causal, else bidirectional. */
    MODEL;

    /** Whether cells of {@code source} are causal under this value. */
    public boolean causalFor(InputSource source) {
      return this == TRUE || (this == MODEL && source.modelCausal());
    }
  }

  /** Top-level keys of a sweep file: the sweep, and the regression benchmark's settings (which bin/sweep ignores). */
  public static final Set<String> TOP_LEVEL = Set.of(Keys.ROOT, "regression");

  private static String k(String... parts) {
    return Keys.ROOT + "." + String.join(".", parts);
  }

  /** Parses {@code root} with the built-in methods; see {@link #parse(Config, Path, MethodRegistry)}. */
  public static SweepSpec of(Config root, Path baseDir) {
    return parse(root, baseDir, MethodRegistry.BUILT_IN);
  }

  /**
   * Parses and validates {@code root} (the whole file; the sweep is under {@code sweep}) against {@code registry}'s
   * methods. Relative npy directories are resolved against {@code baseDir}.
   */
  public static SweepSpec parse(Config root, Path baseDir, MethodRegistry registry) {
    for (String key : new java.util.TreeSet<>(root.root().keySet())) {
      if (!TOP_LEVEL.contains(key)) {
        throw new SweepConfigException(key, root.root().get(key).unwrapped(),
            "only the top-level keys sweep and regression (a --set path must start with one of them)");
      }
    }
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
    InputsParser.Inputs inputs = InputsParser.parse(c, baseDir);
    Config axes = object(c, Keys.AXES, k(Keys.AXES));
    unknownKeys(axes.root(), Keys.AXES_KEYS, k(Keys.AXES));
    List<Integer> lengths = positiveInts(axes, Keys.N, k(Keys.AXES, Keys.N), true);
    List<Integer> headDims = positiveInts(axes, Keys.HEAD_DIM, k(Keys.AXES, Keys.HEAD_DIM), false);
    List<Integer> valueDims = positiveInts(axes, Keys.VALUE_DIM, k(Keys.AXES, Keys.VALUE_DIM), false);
    List<Double> temperatures = positiveDoubles(axes, Keys.TEMPERATURE, k(Keys.AXES, Keys.TEMPERATURE));
    List<Mask> masks = masks(axes);
    List<Integer> seeds = seeds(axes);
    List<Integer> budgets = positiveInts(axes, Keys.BUDGET, k(Keys.AXES, Keys.BUDGET), false);
    boolean synthetic = inputs.sources().stream().anyMatch(s -> !s.fixedDims());
    if (synthetic && headDims.isEmpty()) {
      throw new SweepConfigException(
          k(Keys.AXES, Keys.HEAD_DIM), null, "a non-empty list of positive integers (synthetic inputs need it)");
    }
    for (InputSource s : inputs.sources()) {
      for (int n : lengths) {
        if (n > s.maxLength()) {
          throw new SweepConfigException(
              k(Keys.AXES, Keys.N), n, "at most " + s.maxLength() + " for input " + s.id());
        }
        if (n < s.minLength()) {
          throw new SweepConfigException(
              k(Keys.AXES, Keys.N), n, "at least " + s.minLength() + " for input " + s.id() + " (a token per cluster)");
        }
      }
    }
    List<MethodSpec> methods = MethodsParser.parse(c, !budgets.isEmpty(), registry);
    TrialSettings.AttentionMetrics am = TrialSettings.AttentionMetrics.AUTO;
    long maxEntries = 1L << 22;
    if (c.hasPath(Keys.METRICS)) {
      Config mc = object(c, Keys.METRICS, k(Keys.METRICS));
      unknownKeys(mc.root(), Set.of(Keys.ATTENTION, Keys.ATTENTION_MAX_ENTRIES), k(Keys.METRICS));
      if (mc.hasPath(Keys.ATTENTION)) {
        String v = string(mc, Keys.ATTENTION, k(Keys.METRICS, Keys.ATTENTION));
        try {
          am = TrialSettings.AttentionMetrics.valueOf(v.toUpperCase(java.util.Locale.ROOT));
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
    String stall = "";
    if (c.hasPath(Keys.DEBUG)) {
      Config dc = object(c, Keys.DEBUG, k(Keys.DEBUG));
      unknownKeys(dc.root(), Set.of(Keys.FAIL_TRIALS_MATCHING, Keys.STALL_TRIALS_MATCHING), k(Keys.DEBUG));
      if (dc.hasPath(Keys.FAIL_TRIALS_MATCHING)) {
        fail = string(dc, Keys.FAIL_TRIALS_MATCHING, k(Keys.DEBUG, Keys.FAIL_TRIALS_MATCHING));
      }
      if (dc.hasPath(Keys.STALL_TRIALS_MATCHING)) {
        stall = string(dc, Keys.STALL_TRIALS_MATCHING, k(Keys.DEBUG, Keys.STALL_TRIALS_MATCHING));
      }
    }
    double trialSeconds = 0;
    if (c.hasPath(Keys.LIMITS)) {
      Config lc = object(c, Keys.LIMITS, k(Keys.LIMITS));
      unknownKeys(lc.root(), Set.of(Keys.TRIAL_SECONDS), k(Keys.LIMITS));
      if (lc.hasPath(Keys.TRIAL_SECONDS)) {
        ConfigValue v = lc.getValue(Keys.TRIAL_SECONDS);
        Object u = v.unwrapped();
        if (!"auto".equals(u)) {
          if (!(u instanceof Number x) || !(x.doubleValue() > 0) || !(x.doubleValue() <= 7 * 86400.0)) {
            throw new SweepConfigException(k(Keys.LIMITS, Keys.TRIAL_SECONDS), u,
                "'auto' or a number of seconds in (0, 604800]");
          }
          trialSeconds = x.doubleValue();
        }
      }
    }
    return new SweepSpec(name, seed, inputs.sources(), inputs.heads(), lengths, headDims, valueDims, temperatures,
        masks, seeds, budgets, List.copyOf(methods), registry,
        new TrialSettings(seed, am, maxEntries, fail, stall, trialSeconds));
  }

  /** {@code axes.causal}: a list of true, false and "model" (default ["model"]). */
  private static List<Mask> masks(Config axes) {
    String path = k(Keys.AXES, Keys.CAUSAL);
    if (!axes.hasPath(Keys.CAUSAL)) {
      return List.of(Mask.MODEL);
    }
    List<Mask> out = new java.util.ArrayList<>();
    for (ConfigValue v : HoconReader.listOf(axes.getValue(Keys.CAUSAL))) {
      Object u = v.unwrapped();
      if (Boolean.TRUE.equals(u) || "true".equals(u)) {
        out.add(Mask.TRUE);
      } else if (Boolean.FALSE.equals(u) || "false".equals(u)) {
        out.add(Mask.FALSE);
      } else if ("model".equals(u)) {
        out.add(Mask.MODEL);
      } else {
        throw new SweepConfigException(path, u, "true, false or \"model\" (a real head's own mask from heads.tsv)");
      }
    }
    if (out.isEmpty()) {
      throw new SweepConfigException(path, "[]", "a non-empty list of true, false, \"model\"");
    }
    return List.copyOf(HoconReader.distinct(out, path));
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
      if (!HoconReader.isIntegral(x) || x.longValue() <= 0 || x.longValue() > 1_000_000) {
        throw new SweepConfigException(path, x, "a count in 1..1000000 or a list of integers >= 0");
      }
      for (int s = 0; s < x.intValue(); s++) {
        out.add(s);
      }
      return List.copyOf(out);
    }
    for (ConfigValue e : HoconReader.listOf(v)) {
      Object u = e.unwrapped();
      if (!(u instanceof Number x) || !HoconReader.isIntegral(x) || x.longValue() < 0
          || x.longValue() > Integer.MAX_VALUE) {
        throw new SweepConfigException(path, u, "integers >= 0");
      }
      out.add(x.intValue());
    }
    if (out.isEmpty()) {
      throw new SweepConfigException(path, "[]", "a non-empty list");
    }
    return List.copyOf(HoconReader.distinct(out, path));
  }
}
