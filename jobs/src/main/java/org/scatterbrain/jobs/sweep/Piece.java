package org.scatterbrain.jobs.sweep;

import java.io.Serializable;
import java.util.List;

/**
 * The unit of work a sweep commits at once: some input groups, run by one task and written as one results file. A
 * killed sweep loses at most its running pieces; a retried task rewrites its own piece (the file name follows from
 * the piece's trials), so no trial is recorded twice.
 *
 * @param index position in the run's schedule (largest first)
 * @param groups the input groups
 */
public record Piece(int index, List<InputGroup> groups) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Copies. */
  public Piece {
    groups = List.copyOf(groups);
  }

  /** Number of trials. */
  public int trialCount() {
    return groups.stream().mapToInt(g -> g.trials().size()).sum();
  }

  /** Estimated flops. */
  public double cost() {
    return groups.stream().mapToDouble(InputGroup::cost).sum();
  }

  /** The results file name of this piece: its index and a hash of its trial ids (the same for every attempt). */
  public String fileName() {
    StringBuilder b = new StringBuilder();
    for (InputGroup g : groups) {
      for (Trial t : g.trials()) {
        b.append(t.trialId()).append(',');
      }
    }
    return String.format(java.util.Locale.ROOT, "part-%05d-%s.parquet", index, Canonical.id(b.toString()));
  }
}
