package org.scatterbrain.jobs.spark;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.scatterbrain.jobs.sweep.SweepConfigException;

/**
 * An exclusive claim on a sweep's results folder while a run writes into it: the driver holds an OS file lock on
 * {@code <sweep folder>/.lock}. A second sweep into the same folder at the same time (which would compute every
 * trial a second time) is refused before it starts Spark, with who holds the lock. The lock goes with the process, so
 * a killed sweep never leaves a stale one. The file holds the holder's pid, host and start time for that message.
 */
final class OutputLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private OutputLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Claims {@code sweepDir} (created if needed), or throws {@link SweepConfigException} naming the holder. */
  static OutputLock claim(Path sweepDir) {
    Path file = sweepDir.resolve(".lock");
    for (Path p = sweepDir; p != null; p = p.getParent()) {
      if (Files.exists(p) && !Files.isDirectory(p)) {
        throw new SweepConfigException("--output: " + p + " exists and is not a folder; allowed: a folder (or a path "
            + "that does not exist yet) for " + sweepDir);
      }
    }
    FileChannel ch = null;
    try {
      Files.createDirectories(sweepDir);
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null;
      }
      if (l == null) {
        String holder = Files.readString(file, StandardCharsets.UTF_8).trim();
        ch.close();
        throw new SweepConfigException("--output: another sweep is writing into " + sweepDir
            + (holder.isEmpty() ? "" : " (" + holder + ")")
            + "; wait for it to finish (a rerun then computes only what is missing) or use another --output");
      }
      String me = "pid " + ProcessHandle.current().pid() + " on " + host() + " since "
          + Instant.now().truncatedTo(ChronoUnit.SECONDS);
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8)), 0);
      return new OutputLock(ch, l);
    } catch (IOException e) {
      try {
        if (ch != null) {
          ch.close();
        }
      } catch (IOException ignored) {
        // the original error says more
      }
      throw new SweepConfigException("--output: cannot write into " + sweepDir + " (" + ResultFiles.rootMessage(e)
          + "); allowed: a folder this user can write");
    }
  }

  private static String host() {
    String name = ManagementFactory.getRuntimeMXBean().getName();
    int at = name.indexOf('@');
    return at >= 0 ? name.substring(at + 1) : name;
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.truncate(0);
      channel.close();
    } catch (IOException e) {
      // the lock is released with the channel in any case
    }
  }
}
