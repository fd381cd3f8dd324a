package org.scatterbrain.jobs.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Trial ids never change: every shipped sweep (and two sweeps covering every method parameter) gives exactly the
 * trial ids, seeds and canonical texts of the fixture {@code trial-ids/trial-ids.tsv.gz}, which the code before the
 * method registry computed. So existing results resume and the regression baseline still applies. The ids are read
 * from the trial listing of {@code bin/sweep --plan --trials} ({@link PlanReport}).
 */
class TrialIdsTest {
  private static Map<String, TreeSet<String>> fixture() throws IOException {
    Map<String, TreeSet<String>> bySweep = new TreeMap<>();
    try (InputStream in = TrialIdsTest.class.getResourceAsStream("/trial-ids/trial-ids.tsv.gz");
        BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("#")) {
          continue;
        }
        int tab = line.indexOf('\t');
        bySweep.computeIfAbsent(line.substring(0, tab), k -> new TreeSet<>()).add(line.substring(tab + 1));
      }
    }
    return bySweep;
  }

  /** The trial lines ({@code id \t seed \t canonical}) that the plan listing prints for {@code file}. */
  private static TreeSet<String> listed(Path file) {
    SweepSpec spec = SweepSpec.of(ConfigFactory.parseFile(file.toFile()).resolve(), Path.of("..").toAbsolutePath());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PlanReport.print(SweepPlan.expand(spec), new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
    List<String> lines = new ArrayList<>(bytes.toString(StandardCharsets.UTF_8).lines().toList());
    int header = lines.indexOf("trial_id\tseed\tcanonical");
    assertTrue(header >= 0, "no trial listing in the plan output");
    return new TreeSet<>(lines.subList(header + 1, lines.size()));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "../conf/sweeps/quickstart.conf", "../conf/sweeps/temperature.conf", "../conf/sweeps/budget.conf",
      "../conf/sweeps/scaling.conf", "../conf/sweeps/minilm.conf", "../conf/sweeps/regression.conf",
      "src/test/resources/trial-ids/coverage.conf", "src/test/resources/trial-ids/coverage-budget.conf"})
  void trialIdsOfEverySweepAreUnchanged(String file) throws IOException {
    Path path = Path.of(file);
    String name = ConfigFactory.parseFile(path.toFile()).getString("sweep.name");
    TreeSet<String> expected = fixture().get(name);
    assertTrue(expected != null && !expected.isEmpty(), "no fixture ids for sweep " + name);
    TreeSet<String> actual = listed(path);
    TreeSet<String> missing = new TreeSet<>(expected);
    missing.removeAll(actual);
    TreeSet<String> extra = new TreeSet<>(actual);
    extra.removeAll(expected);
    assertTrue(missing.isEmpty() && extra.isEmpty(), () -> name + ": " + missing.size() + " trials of the fixture not "
        + "planned any more, e.g. " + first(missing) + "; " + extra.size() + " new, e.g. " + first(extra));
    assertEquals(expected.size(), actual.size());
  }

  private static String first(TreeSet<String> s) {
    return s.isEmpty() ? "-" : s.first();
  }
}
