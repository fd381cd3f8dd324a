package org.scatterbrain.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SweepSpecTest {
  static final String BASE =
      """
      sweep {
        name = t
        seed = 1
        inputs = [ { kind = gaussian } ]
        axes { n = [64], head-dim = [16], temperature = [1], seeds = 2 }
        methods = [ { method = exact }, { method = performer, features = [8] } ]
      }
      """;

  /** Parses {@code hocon} and expands it once, as the job does (the plan step checks each method at each n). */
  static SweepSpec parse(String hocon) {
    SweepSpec spec = SweepSpec.of(ConfigFactory.parseString(hocon).resolve(), Path.of("").toAbsolutePath());
    SweepPlan.expand(spec);
    return spec;
  }

  /** The base config with {@code override} (HOCON, later keys win) merged on top, parsed and expanded. */
  static SweepSpec parseWith(String override) {
    SweepSpec spec = SweepSpec.of(
        ConfigFactory.parseString(override).withFallback(ConfigFactory.parseString(BASE)).resolve(),
        Path.of("").toAbsolutePath());
    SweepPlan.expand(spec);
    return spec;
  }

  static void assertRejected(String override, String... fragments) {
    SweepConfigException e = assertThrows(SweepConfigException.class, () -> parseWith(override));
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
  }

  @Test
  void parsesTheShippedQuickstart() {
    SweepSpec spec =
        SweepSpec.of(
            ConfigFactory.parseFile(Path.of("../conf/sweeps/quickstart.conf").toFile()).resolve(),
            Path.of("..").toAbsolutePath());
    assertEquals("quickstart", spec.name());
    assertEquals(8, spec.methods().size());
    assertEquals(320, SweepPlan.expand(spec).trialCount());
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {"quickstart", "temperature", "budget", "scaling", "minilm", "regression", "beyond", "beyond-regimes",
          "causal", "model"})
  void everyShippedSweepIsValid(String name) {
    SweepSpec spec =
        SweepSpec.of(
            ConfigFactory.parseFile(Path.of("../conf/sweeps/" + name + ".conf").toFile()).resolve(),
            Path.of("..").toAbsolutePath());
    assertEquals(name, spec.name());
    assertTrue(SweepPlan.expand(spec).trialCount() > 0);
  }

  @Test
  void parsesAMinimalSweep() {
    SweepSpec spec = parse(BASE);
    assertEquals(java.util.List.of(0, 1), spec.seeds());
    assertEquals(4, SweepPlan.expand(spec).trialCount());
  }

  @Test
  void rejectsUnknownTopLevelKey() {
    assertRejected("sweep.colour = red", "sweep.colour", "'red'", "known keys");
  }

  @Test
  void rejectsUnknownAxis() {
    assertRejected("sweep.axes.rank = [4]", "sweep.axes.rank", "known keys");
  }

  @Test
  void rejectsUnknownMethodParameter() {
    assertRejected(
        "sweep.methods = [ { method = local, features = [4] } ]", "sweep.methods[0].features", "parameters of local");
  }

  @Test
  void rejectsUnknownMethod() {
    assertRejected("sweep.methods = [ { method = linformer } ]", "sweep.methods[0].method", "'linformer'", "performer");
  }

  @Test
  void rejectsClusterSizeLargerThanN() {
    assertRejected(
        "sweep.methods = [ { method = smyrf, cluster-size = [128] } ]", "sweep.methods[0]", "clusterSize", "128", "n");
  }

  @Test
  void rejectsOddFeatureCountForAntitheticFeatures() {
    assertRejected(
        "sweep.methods = [ { method = performer, features = [15] } ]", "sweep.methods[0]", "features", "15", "even");
  }

  @Test
  void rejectsEmptyAxis() {
    assertRejected("sweep.axes.n = []", "sweep.axes.n", "non-empty");
  }

  @Test
  void rejectsNonPositiveLength() {
    assertRejected("sweep.axes.n = [0]", "sweep.axes.n", "got 0", "positive integers");
  }

  @Test
  void rejectsTemperatureOfTheWrongType() {
    assertRejected("sweep.axes.temperature = [hot]", "sweep.axes.temperature", "'hot'", "finite numbers > 0");
  }

  @Test
  void rejectsZeroSeeds() {
    assertRejected("sweep.axes.seeds = 0", "sweep.axes.seeds", "got 0");
  }

  @Test
  void rejectsMissingHeadDimForSyntheticInputs() {
    SweepConfigException e =
        assertThrows(
            SweepConfigException.class,
            () ->
                parse(
                    """
                    sweep { name = t, seed = 1, inputs = [ { kind = gaussian } ]
                      axes { n = [64], temperature = [1], seeds = 1 }
                      methods = [ { method = exact } ] }
                    """));
    assertTrue(e.getMessage().contains("sweep.axes.head-dim"), e.getMessage());
  }

  @Test
  void rejectsScatterbrainWithoutSparseKind() {
    assertRejected("sweep.methods = [ { method = scatterbrain, features = [8], window = [8] } ]",
        "sweep.methods[0].sparse", "smyrf, reformer, local");
  }

  @Test
  void rejectsScatterbrainParameterOfAnotherSparseKind() {
    assertRejected(
        "sweep.methods = [ { method = scatterbrain, sparse = local, features = [8], cluster-size = [8] } ]",
        "sweep.methods[0].cluster-size", "sparse = local");
  }

  @Test
  void rejectsSizeParameterWithBudgetAxis() {
    assertRejected("sweep.axes.budget = [32]", "sweep.methods[1].features", "budget axis");
  }

  @Test
  void rejectsUnknownInputKind() {
    assertRejected("sweep.inputs = [ { kind = uniform } ]", "sweep.inputs[0].kind", "'uniform'", "gaussian");
  }

  @Test
  void rejectsMissingNpyDirectory() {
    assertRejected(
        "sweep.inputs = [ { kind = npy, dir = no-such-dir } ]", "sweep.inputs[0].dir", "'no-such-dir'",
        "existing directory");
  }

  @Test
  void rejectsBadSweepName() {
    assertRejected("sweep.name = \"my sweep\"", "sweep.name", "'my sweep'", "letters, digits");
  }

  @Test
  void rejectsOddBucketCount() {
    assertRejected(
        "sweep.methods = [ { method = reformer, bucket-size = [16], buckets = [3] } ]", "sweep.methods[0].buckets",
        "got 3", "even");
  }

  @Test
  void rejectsBadAttentionMetricsMode() {
    assertRejected("sweep.metrics.attention = sometimes", "sweep.metrics.attention", "'sometimes'", "auto, always, never");
  }

  @Test
  void rejectsLengthBeyondARealHead() {
    assertRejected(
        "sweep.inputs = [ { kind = npy, dir = ../data/minilm-gpl3-n512, heads = [minilm_L0_H2_n512] } ]\n"
            + "sweep.axes.n = [1024]",
        "sweep.axes.n", "1024", "at most 512");
  }

  @Test
  void readsRealHeadsWithTheirOwnDims() {
    SweepSpec spec =
        parseWith(
            "sweep.inputs = [ { kind = npy, dir = ../data/minilm-gpl3-n512, heads = [minilm_L0_H2_n512] } ]\n"
                + "sweep.axes.n = [128]");
    SweepPlan plan = SweepPlan.expand(spec);
    assertEquals(32, plan.groups().get(0).input().d());
    assertEquals(2, plan.groups().size());
  }

  @Test
  void budgetDerivesEachMethodsParameters() {
    SweepSpec spec =
        parse(
            """
            sweep { name = t, seed = 1, inputs = [ { kind = gaussian } ]
              axes { n = [256], head-dim = [16], temperature = [1], seeds = 1, budget = [64] }
              methods = [ { method = performer }, { method = local }, { method = smyrf }, { method = nystrom },
                          { method = scatterbrain, sparse = local }, { method = scatterbrain, sparse = smyrf } ] }
            """);
    var trials = SweepPlan.expand(spec).groups().get(0).trials();
    for (Trial t : trials) {
      double entries = t.method().config().entriesPerRow(256, 256);
      assertTrue(entries <= 64 && entries >= 48, t.method().canonical() + " uses " + entries + " entries per row");
    }
    assertEquals(32, trials.get(0).method().value(Params.FEATURES));
    assertEquals(64, trials.get(1).method().value(Params.WINDOW));
    assertEquals(32, trials.get(2).method().value(Params.CLUSTER_SIZE));
    assertEquals(32, trials.get(3).method().value(Params.LANDMARKS));
    assertEquals(16, trials.get(4).method().value(Params.FEATURES));
    assertEquals(32, trials.get(4).method().value(Params.WINDOW));
  }
  @Test
  void causalAxisDefaultsToTheModelsOwnMask() {
    // synthetic inputs have no model: "model" means bidirectional, and the ids are those of today's sweeps
    SweepPlan plan = SweepPlan.expand(parse(BASE));
    assertTrue(plan.groups().stream().noneMatch(g -> g.input().causal()));
  }

  @Test
  void causalAxisGivesEachTrialTwoMasksWithDistinctIds() {
    SweepPlan plan = SweepPlan.expand(parseWith("sweep.axes.causal = [false, true]"));
    assertEquals(8, plan.trialCount());
    java.util.Set<String> ids = new java.util.HashSet<>();
    java.util.Map<Boolean, Integer> byMask = new java.util.HashMap<>();
    for (InputGroup g : plan.groups()) {
      for (Trial t : g.trials()) {
        assertTrue(ids.add(t.trialId()), "duplicate trial id " + t.trialId());
        byMask.merge(g.input().causal(), 1, Integer::sum);
      }
    }
    assertEquals(java.util.Map.of(false, 4, true, 4), byMask);
    // both masks of a cell draw the same synthetic inputs: the masks are compared on equal Q, K, V
    for (InputGroup g : plan.groups()) {
      InputGroup twin = plan.groups().stream().filter(h -> h.input().equals(g.input().withCausal(!g.input().causal())))
          .findFirst().orElseThrow();
      assertEquals(g.inputSeed(), twin.inputSeed());
    }
    // the bidirectional half keeps exactly the ids of a sweep without the axis
    java.util.Set<String> plain = new java.util.HashSet<>();
    SweepPlan.expand(parse(BASE)).groups().forEach(g -> g.trials().forEach(t -> plain.add(t.trialId())));
    java.util.Set<String> bidirectional = new java.util.HashSet<>();
    plan.groups().stream().filter(g -> !g.input().causal())
        .forEach(g -> g.trials().forEach(t -> bidirectional.add(t.trialId())));
    assertEquals(plain, bidirectional);
  }

  @Test
  void rejectsBadCausalValues() {
    assertRejected("sweep.axes.causal = [sometimes]", "sweep.axes.causal", "sometimes", "model");
    assertRejected("sweep.axes.causal = []", "sweep.axes.causal");
    assertRejected("sweep.axes.causal = [true, true]", "sweep.axes.causal");
  }

  @Test
  void rejectsMethodsWithoutACausalForm() {
    assertRejected("sweep.axes.causal = [true]\nsweep.methods = [ { method = nystrom, landmarks = [8] } ]",
        "sweep.methods[0]", "nystrom", "causal", "sweep.axes.causal = [false]");
    assertRejected("sweep.axes.causal = [true]\nsweep.axes.budget = [16]\n"
        + "sweep.methods = [ { method = hybrid, remainder = pool } ]",
        "hybrid", "causal");
  }

  @Test
  void headsTsvGivesEachHeadItsScaleAndMask(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path src = Path.of("../../shared/data/minilm-gpl3-n512").toAbsolutePath();
    if (!java.nio.file.Files.isDirectory(src)) {
      src = Path.of("../data/minilm-gpl3-n512").toAbsolutePath();
    }
    for (String w : new String[] {"q", "k", "v"}) {
      java.nio.file.Files.copy(src.resolve("minilm_L0_H2_n512_" + w + ".npy"), dir.resolve("dec_" + w + ".npy"));
      java.nio.file.Files.copy(src.resolve("minilm_L0_H2_n512_" + w + ".npy"), dir.resolve("enc_" + w + ".npy"));
    }
    java.nio.file.Files.writeString(dir.resolve("heads.tsv"),
        "file_prefix\tlayer\tscale\tcausal\ndec\t0\t0.0625\ttrue\nenc\t0\t\tfalse\n");
    SweepPlan plan = SweepPlan.expand(parseWith(
        "sweep.inputs = [ { kind = npy, dir = \"" + dir + "\", heads = [dec, enc] } ]\nsweep.axes.n = [64]\n"
            + "sweep.axes.temperature = [2]\nsweep.axes.seeds = 1"));
    InputKey dec = plan.groups().stream().map(InputGroup::input).filter(k -> k.source().id().contains("(dec@"))
        .findFirst().orElseThrow();
    InputKey enc = plan.groups().stream().map(InputGroup::input).filter(k -> k.source().id().contains("(enc@"))
        .findFirst().orElseThrow();
    assertTrue(dec.causal());
    assertTrue(!enc.causal());
    assertEquals(2 * 0.0625, dec.scale(), 0.0); // temperature multiplies the model's own scale
    assertEquals(2 / Math.sqrt(32), enc.scale(), 0.0); // blank: 1 / sqrt(d)
    // a recorded scale is part of the input's identity (results under another scale never mix); none: old ids
    assertTrue(dec.source().id().contains(",scale=0.0625)"), dec.source().id());
    assertTrue(!enc.source().id().contains("scale="), enc.source().id());

    java.nio.file.Files.writeString(dir.resolve("heads.tsv"), "file_prefix\tscale\tcausal\ndec\t-1\ttrue\n");
    SweepConfigException e = assertThrows(SweepConfigException.class, () -> parseWith(
        "sweep.inputs = [ { kind = npy, dir = \"" + dir + "\", heads = [dec] } ]\nsweep.axes.n = [64]"));
    assertTrue(e.getMessage().contains("heads.tsv line 2") && e.getMessage().contains("scale")
        && e.getMessage().contains("-1"), e.getMessage());
    java.nio.file.Files.writeString(dir.resolve("heads.tsv"), "file_prefix\tscale\tcausal\ndec\t0.1\tyes\n");
    e = assertThrows(SweepConfigException.class, () -> parseWith(
        "sweep.inputs = [ { kind = npy, dir = \"" + dir + "\", heads = [dec] } ]\nsweep.axes.n = [64]"));
    assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("causal")
        && e.getMessage().contains("yes"), e.getMessage());
  }
}
