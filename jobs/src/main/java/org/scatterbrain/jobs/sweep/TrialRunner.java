package org.scatterbrain.jobs.sweep;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.Draws;
import org.scatterbrain.core.Estimate;
import org.scatterbrain.core.Estimators;
import org.scatterbrain.core.ExactAttention;
import org.scatterbrain.core.ExactReference;
import org.scatterbrain.core.metrics.AttentionErrors;
import org.scatterbrain.core.metrics.ErrorMetrics;
import org.scatterbrain.core.metrics.ErrorReport;

/**
 * Runs the trials of one input group on the calling thread: builds the inputs and the exact reference once, then
 * every trial against them. Plain Java (no Spark), sequential estimators (a Spark task has one core). A trial that
 * throws (any exception or error, out-of-memory included, but not a task kill or a dying JVM) or produces
 * non-finite output becomes a {@code failed} row with the message; nothing is lost.
 */
public final class TrialRunner {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final SweepSpec spec;
  private final RunContext context;

  /** A runner for {@code spec}'s trials, stamping rows with {@code context}. */
  public TrialRunner(SweepSpec spec, RunContext context) {
    this.spec = spec;
    this.context = context;
  }

  /** Counts of what a group run did, for progress and overhead accounting. */
  public record GroupRun(List<TrialResult> results, double exactSeconds, double estimatorSeconds) {}

  /** Runs every trial of {@code group}. Never throws for a trial's failure. */
  public GroupRun run(InputGroup group) {
    InputKey key = group.input();
    List<TrialResult> out = new ArrayList<>();
    long t0 = System.nanoTime();
    AttentionInputs inputs;
    ExactReference reference;
    try {
      inputs = key.source().create(key.n(), key.d(), key.dv(), key.temperature(), group.inputSeed());
      reference = ExactAttention.reference(inputs, false);
    } catch (Throwable e) {
      rethrowIfFatal(e);
      double exactSeconds = (System.nanoTime() - t0) / 1e9;
      long now = System.currentTimeMillis();
      for (Trial t : group.trials()) {
        out.add(failed(t, group.inputSeed(), "input or exact reference failed: " + describe(e), 0, 0, exactSeconds, now, now));
      }
      return new GroupRun(out, exactSeconds, 0);
    }
    double exactSeconds = (System.nanoTime() - t0) / 1e9;
    double entropy = reference.meanEntropy();
    double estimatorSeconds = 0;
    for (Trial t : group.trials()) {
      TrialResult r = runTrial(t, group.inputSeed(), inputs, reference, entropy, exactSeconds);
      estimatorSeconds += r.wallTimeSeconds();
      out.add(r);
    }
    return new GroupRun(out, exactSeconds, estimatorSeconds);
  }

  private TrialResult runTrial(
      Trial t, long inputSeed, AttentionInputs inputs, ExactReference reference, double entropy, double exactSeconds) {
    long start = System.currentTimeMillis();
    long wall0 = System.nanoTime();
    long cpu0 = THREADS.getCurrentThreadCpuTime();
    try {
      if (!spec.failTrialsMatching().isEmpty() && t.canonical(spec.seed()).contains(spec.failTrialsMatching())) {
        throw new IllegalStateException(
            "failure injected by sweep.debug.fail-trials-matching = '" + spec.failTrialsMatching() + "'");
      }
      Estimate e = Estimators.create(t.method().config()).estimate(inputs, Draws.create(t.seed()));
      double wall = (System.nanoTime() - wall0) / 1e9;
      double cpu = (THREADS.getCurrentThreadCpuTime() - cpu0) / 1e9;
      requireFinite(e.outputRowMajor(), inputs.valueDim());
      ErrorReport err = ErrorMetrics.compare(reference, e, spec.attentionMetricsFor(inputs.queryCount()), false);
      AttentionErrors a = err.attention();
      long end = System.currentTimeMillis();
      return new TrialResult(
          t,
          inputSeed,
          TrialResult.OK,
          null,
          wall,
          cpu,
          e.memory().allocatedBytes() >= 0 ? e.memory().allocatedBytes() : null,
          e.emptyRows(),
          err.outputRelativeFrobenius(),
          err.outputMaxAbs(),
          a == null ? null : a.relativeFrobenius(),
          a == null ? null : a.maxAbs(),
          a == null ? null : a.klMean(),
          a == null ? null : a.klMax(),
          a == null ? null : a.tvMean(),
          a == null ? null : a.tvMax(),
          a == null || !a.hasSupportMass() ? null : a.supportMass(),
          entropy,
          exactSeconds,
          e.memory().entriesPerRow(),
          e.memory().entries(),
          e.memory().storedBytes(),
          start,
          end,
          context);
    } catch (Throwable e) {
      rethrowIfFatal(e);
      double wall = (System.nanoTime() - wall0) / 1e9;
      double cpu = (THREADS.getCurrentThreadCpuTime() - cpu0) / 1e9;
      return failed(t, inputSeed, describe(e), wall, cpu, exactSeconds, start, System.currentTimeMillis());
    }
  }

  /**
   * Errors a trial must not swallow: a Spark task kill (interrupt), and a dying JVM (virtual machine errors other
   * than running out of heap, which one oversized trial can cause and the next can survive).
   */
  private static void rethrowIfFatal(Throwable e) {
    if (Thread.currentThread().isInterrupted() || e instanceof InterruptedException) {
      throw new IllegalStateException("trial interrupted (task killed)", e);
    }
    if (e instanceof VirtualMachineError && !(e instanceof OutOfMemoryError) && !(e instanceof StackOverflowError)) {
      throw (VirtualMachineError) e;
    }
  }

  private static void requireFinite(double[] out, int dv) {
    for (int x = 0; x < out.length; x++) {
      if (!Double.isFinite(out[x])) {
        throw new ArithmeticException(
            "output entry (" + x / dv + ", " + x % dv + ") is " + out[x] + " (non-finite output)");
      }
    }
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private TrialResult failed(
      Trial t, long inputSeed, String error, double wall, double cpu, double exactSeconds, long start, long end) {
    return new TrialResult(
        t, inputSeed, TrialResult.FAILED, error, wall, cpu, null, null, null, null, null, null, null, null, null, null, null,
        null, exactSeconds, null, null, null, start, end, context);
  }
}
