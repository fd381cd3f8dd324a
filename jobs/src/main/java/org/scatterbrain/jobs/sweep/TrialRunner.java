package org.scatterbrain.jobs.sweep;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.scatterbrain.core.AttentionInputs;
import org.scatterbrain.core.Draws;
import org.scatterbrain.core.Estimate;
import org.scatterbrain.core.ExactAttention;
import org.scatterbrain.core.ExactReference;
import org.scatterbrain.core.metrics.ErrorMetrics;
import org.scatterbrain.core.metrics.ErrorReport;

/**
 * Runs the trials of one input group on the calling thread: builds the inputs and the exact reference once, then
 * every trial against them. Plain Java (no Spark), sequential estimators (a Spark task has one core). A trial that
 * throws (any exception or error, out-of-memory included, but not a task kill or a dying JVM), produces a non-finite
 * output or metric, or runs past its time limit becomes a {@code failed} row with the reason; nothing is lost.
 *
 * <p>The time limit ({@link TrialSettings#limitSeconds}) is enforced by a watchdog thread that interrupts the trial's
 * thread; every core kernel checks for the interrupt between blocks of work, so the estimate (or its metrics) stops
 * within one block, the trial is recorded as failed naming the limit, and the group goes on.
 */
public final class TrialRunner {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "trial-time-limit");
        t.setDaemon(true);
        return t;
      });

  private final TrialSettings settings;
  private final HeadStore heads;
  private final RunContext context;

  /** A runner of trials with {@code settings}, real heads from {@code heads}, stamping rows with {@code context}. */
  public TrialRunner(TrialSettings settings, HeadStore heads, RunContext context) {
    this.settings = settings;
    this.heads = heads;
    this.context = context;
  }

  /** A runner of {@code spec}'s trials on the driver. */
  public TrialRunner(SweepSpec spec, RunContext context) {
    this(spec.trials(), spec.heads(), context);
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
      inputs = key.source().create(key.n(), key.d(), key.dv(), key.temperature(), group.inputSeed(), heads)
          .withCausal(key.causal());
      reference = ExactAttention.reference(inputs, false);
    } catch (Throwable e) {
      rethrowIfFatal(e);
      double exactSeconds = (System.nanoTime() - t0) / 1e9;
      long now = System.currentTimeMillis();
      TrialResult.Cell cell = new TrialResult.Cell(null, exactSeconds);
      for (Trial t : group.trials()) {
        out.add(new TrialResult(t, group.inputSeed(),
            new TrialResult.Failed("input or exact reference failed: " + describe(e)),
            new TrialResult.Timing(0, 0, now, now), cell, context));
      }
      return new GroupRun(out, exactSeconds, 0);
    }
    TrialResult.Cell cell = new TrialResult.Cell(reference.meanEntropy(), (System.nanoTime() - t0) / 1e9);
    double estimatorSeconds = 0;
    for (Trial t : group.trials()) {
      TrialResult r = runTrial(t, group.inputSeed(), inputs, reference, cell);
      estimatorSeconds += r.timing().wallSeconds();
      out.add(r);
    }
    return new GroupRun(out, cell.exactWallSeconds(), estimatorSeconds);
  }

  private TrialResult runTrial(
      Trial t, long inputSeed, AttentionInputs inputs, ExactReference reference, TrialResult.Cell cell) {
    long start = System.currentTimeMillis();
    long wall0 = System.nanoTime();
    long cpu0 = THREADS.getCurrentThreadCpuTime();
    TrialResult.Outcome outcome;
    double wall = Double.NaN;
    double cpu = Double.NaN;
    double limit = settings.limitSeconds(cell.exactWallSeconds());
    Thread self = Thread.currentThread();
    AtomicBoolean timedOut = new AtomicBoolean();
    ScheduledFuture<?> alarm = WATCHDOG.schedule(() -> {
      timedOut.set(true);
      self.interrupt();
    }, (long) Math.ceil(limit * 1e6), TimeUnit.MICROSECONDS);
    try {
      String canonical = t.canonical(settings.sweepSeed());
      String fail = settings.failTrialsMatching();
      if (!fail.isEmpty() && canonical.contains(fail)) {
        throw new IllegalStateException("failure injected by sweep.debug.fail-trials-matching = '" + fail + "'");
      }
      String stall = settings.stallTrialsMatching();
      if (!stall.isEmpty() && canonical.contains(stall)) {
        Thread.sleep(TimeUnit.HOURS.toMillis(1));
      }
      Estimate e = t.method().config().create(false).estimate(inputs, Draws.create(t.seed()));
      wall = (System.nanoTime() - wall0) / 1e9;
      cpu = (THREADS.getCurrentThreadCpuTime() - cpu0) / 1e9;
      requireFinite(e.outputRowMajor(), inputs.valueDim());
      ErrorReport err =
          ErrorMetrics.compare(reference, e, settings.attentionMetricsFor(inputs.queryCount()), false);
      ResultChecks.requireFinite(err, e.memory());
      outcome = new TrialResult.Ok(err, e.memory(), e.emptyRows());
    } catch (Throwable e) {
      alarm.cancel(false);
      if (timedOut.get()) {
        Thread.interrupted(); // the watchdog's interrupt was for this trial only
        outcome = new TrialResult.Failed(String.format(Locale.ROOT,
            "TimeLimitExceeded: the trial ran longer than its limit of %s s (%s)",
            settings.trialSeconds() > 0 ? Canonical.number(limit) : String.format(Locale.ROOT, "%.3g", limit),
            settings.limitSource()));
      } else {
        rethrowIfFatal(e);
        outcome = new TrialResult.Failed(describe(e));
      }
    } finally {
      alarm.cancel(false);
    }
    if (timedOut.get()) {
      // the alarm fired after the trial finished but before it was cancelled: clear its interrupt
      Thread.interrupted();
    }
    if (Double.isNaN(wall)) {
      wall = (System.nanoTime() - wall0) / 1e9;
      cpu = (THREADS.getCurrentThreadCpuTime() - cpu0) / 1e9;
    }
    return new TrialResult(t, inputSeed, outcome,
        new TrialResult.Timing(wall, cpu, start, System.currentTimeMillis()), cell, context);
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
}
