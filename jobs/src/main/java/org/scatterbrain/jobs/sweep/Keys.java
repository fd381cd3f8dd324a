package org.scatterbrain.jobs.sweep;

import java.util.Set;

/** HOCON keys of a sweep definition (all under {@value #ROOT}), in one place. */
public final class Keys {
  private Keys() {}

  public static final String ROOT = "sweep";
  public static final String NAME = "name";
  public static final String SEED = "seed";
  public static final String INPUTS = "inputs";
  public static final String AXES = "axes";
  public static final String METHODS = "methods";
  public static final String METRICS = "metrics";
  public static final String DEBUG = "debug";
  public static final String LIMITS = "limits";

  public static final Set<String> TOP = Set.of(NAME, SEED, INPUTS, AXES, METHODS, METRICS, DEBUG, LIMITS);

  // inputs
  public static final String KIND = "kind";
  public static final String NORM = "norm";
  public static final String CLUSTERS = "clusters";
  public static final String SPREAD = "spread";
  public static final String DIR = "dir";
  public static final String HEADS = "heads";
  public static final String SELF_ATTENTION = "self-attention";
  public static final String CONTIGUOUS = "contiguous";

  // axes
  public static final String N = "n";
  public static final String HEAD_DIM = "head-dim";
  public static final String VALUE_DIM = "value-dim";
  public static final String TEMPERATURE = "temperature";
  public static final String SEEDS = "seeds";
  public static final String BUDGET = "budget";
  public static final String CAUSAL = "causal";
  public static final Set<String> AXES_KEYS =
      Set.of(N, HEAD_DIM, VALUE_DIM, TEMPERATURE, SEEDS, BUDGET, CAUSAL);

  // methods (their parameters' keys are declared with the parameters: Params and each method's codec)
  public static final String METHOD = "method";

  // metrics
  public static final String ATTENTION = "attention";
  public static final String ATTENTION_MAX_ENTRIES = "attention-max-entries";

  // debug
  public static final String FAIL_TRIALS_MATCHING = "fail-trials-matching";
  public static final String STALL_TRIALS_MATCHING = "stall-trials-matching";

  // limits
  public static final String TRIAL_SECONDS = "trial-seconds";
}
