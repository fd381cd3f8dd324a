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

  /** Estimated seconds of a piece, as the plan sizes them. */
  private static double seconds(Piece p) {
    return p.cost() / SweepPlan.FLOPS_PER_SECOND;
  }

  private static SweepPlan equalGroups() {
    // 60 groups of equal cost (12 heads x 5 seeds in minilm.conf): here 60 synthetic cells of one shape
    return SweepPlan.expand(SweepSpecTest.parse(
        """
        sweep { name = p, seed = 7, inputs = [ { kind = gaussian } ]
          axes { n = [512], head-dim = [32], temperature = [1], seeds = 60 }
          methods = [ { method = exact }, { method = performer, features = [64] }, { method = local, window = [64] } ] }
        """));
  }

  @Test
  void automaticPiecesCoverEveryGroupOnceLargestFirstAndNoneTiny() {
    SweepPlan plan = SweepPlan.expand(SweepSpecTest.parse(SWEEP.replace("n = [64, 128]", "n = [64, 128, 1024, 2048]")));
    List<Piece> pieces = plan.pieces(2, 0, 0, 0);
    List<InputGroup> seen = pieces.stream().flatMap(p -> p.groups().stream()).toList();
    assertEquals(plan.groups().size(), seen.size());
    assertEquals(Set.copyOf(plan.groups()), Set.copyOf(seen));
    for (int i = 0; i < pieces.size(); i++) {
      assertEquals(i, pieces.get(i).index());
      Piece p = pieces.get(i);
      // a piece below the floor only when it is one group, or the last piece (what is left)
      assertTrue(seconds(p) >= SweepPlan.MIN_PIECE_SECONDS / 2 || p.groups().size() == 1 || i == pieces.size() - 1,
          "piece " + i + ": " + seconds(p) + " s in " + p.groups().size() + " groups");
    }
    // groups are taken largest first
    List<Double> costs = seen.stream().map(InputGroup::cost).toList();
    for (int i = 1; i < costs.size(); i++) {
      assertTrue(costs.get(i) <= costs.get(i - 1), "group " + i);
    }
  }

  @Test
  void equalGroupsMakeFewPiecesThatShrinkTowardTheEnd() {
    SweepPlan plan = equalGroups();
    double total = plan.groups().stream().mapToDouble(InputGroup::cost).sum() / SweepPlan.FLOPS_PER_SECOND;
    double group = plan.groups().get(0).cost() / SweepPlan.FLOPS_PER_SECOND;
    List<Piece> pieces = plan.pieces(2, 0, 0, 0);
    // a quarter of each slot's share (the floor when that is smaller), then quarter pieces for the last slot-round
    double target = Math.max(SweepPlan.MIN_PIECE_SECONDS, total / 8);
    assertTrue(Math.abs(seconds(pieces.get(0)) - target) <= group / 2 + 1e-9,
        "first piece " + seconds(pieces.get(0)) + " s, target " + target + " s");
    assertTrue(seconds(pieces.get(pieces.size() - 1)) < seconds(pieces.get(0)), "the last piece is smaller");
    // every group in its own piece would be 60 pieces; the first and the tail pieces hold several each
    assertTrue(pieces.size() < plan.groups().size() / 2, pieces.size() + " pieces");
  }

  @Test
  void explicitPieceSecondsAndPartitionsAreHonoured() {
    SweepPlan plan = equalGroups();
    double group = plan.groups().get(0).cost() / SweepPlan.FLOPS_PER_SECOND;
    for (Piece p : plan.pieces(2, 0, 0, 3 * group)) {
      assertEquals(3, p.groups().size());
    }
    // an explicit size is a ceiling: 2.5 groups' worth holds two
    for (Piece p : plan.pieces(2, 0, 0, 2.5 * group)) {
      assertEquals(2, p.groups().size());
    }
    assertEquals(7, plan.pieces(2, 7, 0, 0).size());
    for (Piece p : plan.pieces(2, 0, 2, 0)) {
      assertTrue(p.groups().size() <= 2);
    }
  }
}
