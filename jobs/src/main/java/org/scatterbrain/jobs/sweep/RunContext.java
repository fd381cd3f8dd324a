package org.scatterbrain.jobs.sweep;

import java.io.Serializable;

/**
 * Provenance of a run, stored on every row: which sweep and run, which code and libraries, where it ran.
 *
 * @param executorId Spark executor id ("driver" in local mode), filled in on the executor
 * @param host host name of the executor
 */
public record RunContext(
    String sweepName,
    String runId,
    String projectVersion,
    String gitCommit,
    String sparkVersion,
    String javaVersion,
    String ojalgoVersion,
    String kernel,
    String host,
    String executorId)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The same context as seen on this executor. */
  public RunContext onExecutor(String host, String executorId, String javaVersion, String kernel) {
    return new RunContext(
        sweepName, runId, projectVersion, gitCommit, sparkVersion, javaVersion, ojalgoVersion, kernel, host,
        executorId);
  }
}
