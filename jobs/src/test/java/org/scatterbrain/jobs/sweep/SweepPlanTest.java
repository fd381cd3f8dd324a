package org.scatterbrain.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SweepPlanTest {
  private static final String SWEEP =
      """
      sweep { name = t, seed = 7, inputs = [ { kind = gaussian }, { kind = clustered, clusters = 4 } ]
        axes { n = [64, 128], head-dim = [16], temperature = [0.5, 2], seeds = 2 }
        methods = [ { method = exact }, { method = performer, features = [8, 16] }, { method = local, window = [8] } ] }
      """;

  private static Map<String, Trial> byId(SweepPlan plan) {
    return plan.groups().stream().flatMap(g -> g.trials().stream())
        .collect(Collectors.toMap(Trial::trialId, t -> t));
  }

  @Test
  void expandsTheFullGrid() {
    SweepPlan plan = SweepPlan.expand(SweepSpecTest.parse(SWEEP));
    assertEquals(2 * 2 * 2 * 2, plan.groups().size());
    assertEquals(16 * 4, plan.trialCount());
  }

  @Test
  void trialIdsAreUniqueAndSeedsDistinct() {
    SweepPlan plan = SweepPlan.expand(SweepSpecTest.parse(SWEEP));
    Map<String, Trial> ids = byId(plan);
    assertEquals(plan.trialCount(), ids.size());
    Set<Long> seeds = new HashSet<>();
    ids.values().forEach(t -> seeds.add(t.seed()));
    assertEquals(plan.trialCount(), seeds.size());
  }

  @Test
  void trialIdsDoNotDependOnOrderingOrName() {
    String reordered =
        """
        sweep { name = other, seed = 7, inputs = [ { kind = clustered, clusters = 4 }, { kind = gaussian } ]
          axes { seeds = [1, 0], temperature = [2, 0.5], head-dim = [16], n = [128, 64] }
          methods = [ { method = local, window = [8] }, { method = performer, features = [16, 8] }, { method = exact } ] }
        """;
    assertEquals(
        byId(SweepPlan.expand(SweepSpecTest.parse(SWEEP))).keySet(),
        byId(SweepPlan.expand(SweepSpecTest.parse(reordered))).keySet());
  }

  @Test
  void trialIdsDependOnTheSweepSeed() {
    Set<String> a = byId(SweepPlan.expand(SweepSpecTest.parse(SWEEP))).keySet();
    Set<String> b = byId(SweepPlan.expand(SweepSpecTest.parse(SWEEP.replace("seed = 7", "seed = 8")))).keySet();
    Set<String> common = new HashSet<>(a);
    common.retainAll(b);
    assertTrue(common.isEmpty());
  }

  @Test
  void inputsOfACellAreSharedAndSeedsDifferAcrossReplicates() {
    SweepPlan plan = SweepPlan.expand(SweepSpecTest.parse(SWEEP));
    for (InputGroup g : plan.groups()) {
      assertEquals(4, g.trials().size());
      for (Trial t : g.trials()) {
        assertEquals(g.input(), t.input());
      }
    }
    assertNotEquals(plan.groups().get(0).inputSeed(), plan.groups().get(1).inputSeed());
  }

  @Test
  void balanceAssignsEveryGroupOnceAndEvensTheLoad() {
    SweepPlan plan = SweepPlan.expand(SweepSpecTest.parse(SWEEP));
    List<List<InputGroup>> bins = plan.balance(3);
    assertEquals(3, bins.size());
    assertEquals(plan.groups().size(), bins.stream().mapToInt(List::size).sum());
    double[] load = bins.stream().mapToDouble(b -> b.stream().mapToDouble(InputGroup::cost).sum()).toArray();
    double max = java.util.Arrays.stream(load).max().orElseThrow();
    double min = java.util.Arrays.stream(load).min().orElseThrow();
    double largest = plan.groups().stream().mapToDouble(InputGroup::cost).max().orElseThrow();
    // longest-processing-time-first: bins differ by at most the largest single group
    assertTrue(max - min <= largest, "loads " + java.util.Arrays.toString(load));
  }

  @Test
  void antitheticAndPlainFeaturesAreDifferentTrials() {
    SweepPlan plan =
        SweepPlan.expand(
            SweepSpecTest.parseWith("sweep.methods = [ { method = performer, features = [8], antithetic = [true, false] } ]"));
    List<Trial> trials = plan.groups().get(0).trials();
    assertEquals(2, trials.size());
    assertNotEquals(trials.get(0).trialId(), trials.get(1).trialId());
    assertEquals(Boolean.FALSE, trials.get(1).method().value(Params.ANTITHETIC));
    // the default (antithetic) keeps the canonical text, and so the trial id, it had before the column existed
    assertTrue(!trials.get(0).method().canonical().contains("antithetic"), trials.get(0).method().canonical());
  }

  @Test
  void sameInputListedTwiceIsRejected() {
    SweepConfigException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            SweepConfigException.class,
            () -> SweepSpecTest.parseWith("sweep.inputs = [ { kind = gaussian }, { kind = gaussian } ]"));
    assertTrue(e.getMessage().contains("listed twice"), e.getMessage());
  }

  @Test
  void withoutDropsFinishedTrials() {
    SweepPlan plan = SweepPlan.expand(SweepSpecTest.parse(SWEEP));
    Set<String> done = new HashSet<>(byId(plan).keySet());
    String keep = plan.groups().get(3).trials().get(1).trialId();
    done.remove(keep);
    SweepPlan rest = plan.without(t -> done.contains(t.trialId()));
    assertEquals(1, rest.trialCount());
    assertEquals(keep, rest.groups().get(0).trials().get(0).trialId());
  }
}
