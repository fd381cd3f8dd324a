package org.scatterbrain.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TrialRunnerTest {
  private static final RunContext CONTEXT =
      new RunContext("t", "run", "v", "c", "spark", "java", "ojalgo", "k", "host", "driver");

  private static List<TrialResult> runFirstGroup(String override) {
    SweepSpec spec = SweepSpecTest.parseWith(override);
    SweepPlan plan = SweepPlan.expand(spec);
    return new TrialRunner(spec, CONTEXT).run(plan.groups().get(0)).results();
  }

  @Test
  void exactTrialHasZeroErrorAndOthersAreMeasured() {
    List<TrialResult> r =
        runFirstGroup("sweep.methods = [ { method = exact }, { method = performer, features = [8] } ]");
    assertEquals(2, r.size());
    TrialResult exact = r.get(0);
    assertEquals(TrialResult.OK, exact.status());
    // the exact estimator and the reference are the same streamed computation
    assertEquals(0.0, exact.ok().errors().outputRelativeFrobenius(), 0.0);
    assertEquals(0.0, exact.ok().errors().attention().klMean(), 1e-12);
    TrialResult performer = r.get(1);
    assertEquals(TrialResult.OK, performer.status());
    assertTrue(performer.ok().errors().outputRelativeFrobenius() > 0);
    assertNotNull(performer.ok().errors().attention());
    assertFalse(performer.ok().errors().attention().hasSupportMass());
    assertTrue(performer.cell().exactMeanEntropy() > 0 && performer.cell().exactMeanEntropy() <= Math.log(64));
  }

  @Test
  void injectedFailureIsRecordedAndTheRestComplete() {
    List<TrialResult> r =
        runFirstGroup(
            "sweep.methods = [ { method = exact }, { method = performer, features = [8] }, { method = local, window = [8] } ]\n"
                + "sweep.debug.fail-trials-matching = \"method=performer\"");
    assertEquals(3, r.size());
    assertEquals(TrialResult.OK, r.get(0).status());
    assertEquals(TrialResult.FAILED, r.get(1).status());
    assertTrue(r.get(1).error().contains("failure injected"), r.get(1).error());
    assertTrue(r.get(1).outcome() instanceof TrialResult.Failed);
    assertEquals(TrialResult.OK, r.get(2).status());
    assertTrue(r.get(2).ok().errors().attention().hasSupportMass());
  }

  @Test
  void attentionMetricsFollowTheMode() {
    List<TrialResult> r =
        runFirstGroup(
            "sweep.methods = [ { method = local, window = [8] } ]\nsweep.metrics.attention = never");
    assertNull(r.get(0).ok().errors().attention());
    assertTrue(r.get(0).ok().errors().outputRelativeFrobenius() > 0);
  }

  @Test
  void aTrialPastItsTimeLimitIsAFailedRowAndTheGroupGoesOn() {
    long t0 = System.nanoTime();
    List<TrialResult> r =
        runFirstGroup(
            "sweep.methods = [ { method = exact }, { method = local, window = [8] }, { method = performer, features = [8] } ]\n"
                + "sweep.debug.stall-trials-matching = \"method=local\"\nsweep.limits.trial-seconds = 0.5");
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(TrialResult.OK, r.get(0).status());
    assertEquals(TrialResult.FAILED, r.get(1).status());
    assertTrue(r.get(1).error().startsWith("TimeLimitExceeded: the trial ran longer than its limit of 0.5 s "
        + "(sweep.limits.trial-seconds = 0.5)"), r.get(1).error());
    assertTrue(r.get(1).timing().wallSeconds() >= 0.5 && r.get(1).timing().wallSeconds() < 5, r.get(1).timing().toString());
    assertEquals(TrialResult.OK, r.get(2).status(), "the next trial runs normally: " + r.get(2).error());
    assertFalse(Thread.currentThread().isInterrupted(), "the limit's interrupt does not leak");
    assertTrue(seconds < 30, "the stalled trial was stopped (took " + seconds + " s)");
  }

  @Test
  void anEstimateIsStoppedAtItsTimeLimitByTheKernelsChecks() {
    // a real estimate (exact attention at n = 2048, about a second of work in kernels that check for the interrupt
    // between blocks) with a limit far below its run time
    List<TrialResult> r = runFirstGroup(
        "sweep.axes.n = [2048]\nsweep.methods = [ { method = exact } ]\nsweep.metrics.attention = never\n"
            + "sweep.limits.trial-seconds = 0.001");
    assertEquals(TrialResult.FAILED, r.get(0).status());
    assertTrue(r.get(0).error().startsWith("TimeLimitExceeded"), r.get(0).error());
  }
}
