package org.scatterbrain.jobs.regression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scatterbrain.jobs.sweep.SweepConfigException;

/** Baseline files, settings, JMH results and testbed names. */
class BaselineTest {
  @TempDir Path tmp;

  private static final Testbed TB =
      new Testbed("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", 2, "Linux amd64", "Debian 17.0.15", "simd-8",
          "4.0.1", "56.2.1");

  @Test
  void aBaselineReadsBackToTheSameDoubles() {
    // values that only read back exactly when written with all their digits
    List<Measurement> ms = List.of(
        new Measurement(Category.ACCURACY, "performer B=32", "cell 1", "output_rel_fro", 0.1 + 0.2, "features=16", ""),
        new Measurement(Category.ACCURACY, "performer B=32", "cell 1", "kl_mean", 1e-300, "features=16", ""),
        new Measurement(Category.ACCURACY, "performer B=32", "cell 2", "kl_mean", Math.nextUp(1.0), "features=16", ""),
        new Measurement(Category.MEMORY, "performer B=32", "cell 1", "memory_bytes", 123456789.0, "features=16", ""),
        new Measurement(Category.SPEED, "performer B=32", "probe", "time_ratio", 0.054321, "features=16", ""));
    Baseline b = new Baseline(TB, "2026-11-28T00:00:00Z", "abc", "0.1.0", "regression", "h", ms);
    Path f = tmp.resolve("sub").resolve(TB.fileName());
    b.write(f);
    assertEquals(b, Baseline.read(f));
  }

  @Test
  void aBaselineWithAMissingOrNonFiniteValueIsNotWritten() {
    Baseline b = new Baseline(TB, "t", "c", "v", "r", "h",
        List.of(new Measurement(Category.ACCURACY, "x", "c", "kl_mean", null, "", "trial failed: boom")));
    BaselineException e = assertThrows(BaselineException.class, () -> b.write(tmp.resolve("b.json")));
    assertTrue(e.getMessage().contains("trial failed: boom"), e.getMessage());
    Baseline nan = new Baseline(TB, "t", "c", "v", "r", "h",
        List.of(new Measurement(Category.ACCURACY, "x", "c", "kl_mean", Double.NaN, "", "")));
    e = assertThrows(BaselineException.class, () -> nan.write(tmp.resolve("b.json")));
    assertTrue(e.getMessage().contains("has no finite value (NaN)"), e.getMessage());
    assertTrue(!Files.exists(tmp.resolve("b.json")));
  }

  @Test
  void cpuModelsComeFromCpuinfoOnX86AndArm() {
    assertEquals("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", Testbed.fromCpuinfo(List.of("processor\t: 0",
        "model name\t: Intel(R) Xeon(R) Platinum  8375C CPU @ 2.90GHz", "cpu cores\t: 2")).replace("  ", " "));
    assertEquals("ARM implementer 0x41 part 0xd0c", Testbed.fromCpuinfo(List.of("processor\t: 0",
        "CPU implementer\t: 0x41", "CPU architecture: 8", "CPU part\t: 0xd0c")));
    assertEquals(null, Testbed.fromCpuinfo(List.of("processor\t: 0")));
  }

  private String readError(String text) throws IOException {
    Path f = tmp.resolve("bad.json");
    Files.writeString(f, text);
    return assertThrows(BaselineException.class, () -> Baseline.read(f)).getMessage();
  }

  @Test
  void corruptBaselinesNameTheFileAndTheProblem() throws IOException {
    assertTrue(readError("{ \"format\": ").contains("bad.json is not valid JSON"));
    assertTrue(readError("[1, 2]").contains("the file must be a JSON object"));
    assertTrue(readError("{\"format\": \"other/2\"}").contains("has format 'other/2'"));
    String good = "{\"format\":\"" + Baseline.FORMAT + "\",\"testbed\":{\"cpu_model\":\"c\",\"cores\":2,\"os\":\"o\","
        + "\"java\":\"j\",\"kernel\":\"k\",\"spark\":\"s\",\"ojalgo\":\"a\"},\"created\":\"t\",\"git_commit\":\"g\","
        + "\"project_version\":\"v\",\"sweep\":{\"name\":\"n\",\"plan_hash\":\"h\"},";
    assertTrue(readError(good + "\"metrics\":{}}").contains("metrics must be an array"));
    String m = readError(good + "\"metrics\":[{\"category\":\"accuracy\",\"variant\":\"v\",\"cell\":\"c\","
        + "\"params\":\"\",\"values\":{\"kl_mean\":\"high\"}}]}");
    assertTrue(m.contains("metrics[0].values.kl_mean must be a number"), m);
    m = readError(good + "\"metrics\":[{\"category\":\"weird\",\"variant\":\"v\",\"cell\":\"c\",\"params\":\"\","
        + "\"values\":{\"kl_mean\":1}}]}");
    assertTrue(m.contains("metrics[0].category") && m.contains("weird"), m);
    assertTrue(assertThrows(BaselineException.class, () -> Baseline.read(tmp.resolve("none.json"))).getMessage()
        .contains("does not exist"));
  }

  @Test
  void testbedFileNamesAreReadableAndChangeWithAnyField() {
    assertTrue(TB.fileName().matches("intel-xeon-platinum-8375c-2c-[0-9a-f]{10}\\.json"), TB.fileName());
    Testbed otherJvm = new Testbed(TB.cpuModel(), 2, TB.os(), "Debian 17.0.16", TB.kernel(), TB.spark(), TB.ojalgo());
    assertTrue(!TB.fileName().equals(otherJvm.fileName()));
    assertEquals(Map.of("cpu_model", TB.cpuModel(), "cores", 2, "os", "Linux amd64", "java", "Debian 17.0.15",
        "kernel", "simd-8", "spark", "4.0.1", "ojalgo", "56.2.1"), TB.asMap());
  }

  @Test
  void settingsDefaultAndValidateWithTheKeyNamed() {
    assertEquals(RegressionSettings.defaults(), RegressionSettings.of(ConfigFactory.parseString("sweep {}")));
    RegressionSettings s = RegressionSettings.of(ConfigFactory.parseString(
        "regression { accuracy { relative-tolerance = 1e-8 }, speed { rounds = 9, tolerance = 1 } }"));
    assertEquals(1e-8, s.relativeTolerance());
    assertEquals(9, s.rounds());
    assertEquals(1.0, s.timingTolerance(Category.SPEED));
    assertEquals(0.5, s.timingTolerance(Category.JMH));
    String m = assertThrows(SweepConfigException.class, () -> RegressionSettings.of(
        ConfigFactory.parseString("regression.speed.rounds = 0"))).getMessage();
    assertTrue(m.startsWith("regression.speed.rounds: got 0; allowed: an integer in [1, 1000]"), m);
    m = assertThrows(SweepConfigException.class, () -> RegressionSettings.of(
        ConfigFactory.parseString("regression.speed.tolerence = 1"))).getMessage();
    assertTrue(m.contains("regression.speed.tolerence") && m.contains("tolerance"), m);
    m = assertThrows(SweepConfigException.class, () -> RegressionSettings.of(
        ConfigFactory.parseString("regression.speed.warmup-rounds = 0"))).getMessage();
    assertTrue(m.startsWith("regression.speed.warmup-rounds: got 0; allowed: an integer in [1, 1000]"), m);
    m = assertThrows(SweepConfigException.class, () -> RegressionSettings.of(
        ConfigFactory.parseString("regression.accuracy.relative-tolerance = lots"))).getMessage();
    assertTrue(m.contains("regression.accuracy.relative-tolerance: got 'lots'"), m);
  }

  private static Path fixture() {
    return Path.of("src/test/resources/jmh/estimators-n1024-2forks.json");
  }

  @Test
  void jmhScoresBecomeRatiosToExactAttentionWithOneRatioPerFork() {
    JmhResults.Ratios r = JmhResults.read(List.of(fixture()));
    assertEquals(List.of("EstimatorBenchmark.estimate method=performer", "EstimatorBenchmark.estimate method=local"),
        r.ratios().stream().map(Measurement::variant).toList());
    Measurement performer = r.ratios().get(0);
    assertEquals("n=1024", performer.cell());
    // 39.041197964102565 ms/op over 0.012615115971320347 s/op
    assertEquals(39.041197964102565e-3 / 0.012615115971320347, performer.value(), 1e-12);
    List<Double> forks = r.forkRatios().get(performer.key());
    assertEquals(2, forks.size());
    assertEquals(((71.986432 + 13.919111933333333) / 2e3) / ((0.019568678272727274 + 0.009409021136363636) / 2),
        forks.get(0), 1e-12);
    assertTrue(r.skipped().isEmpty());
    // a second file adds its forks: a slowdown must show in all four
    JmhResults.Ratios two = JmhResults.read(List.of(fixture(), fixture()));
    assertEquals(4, two.forkRatios().get(performer.key()).size());
    assertEquals(performer, two.ratios().get(0));
  }

  @Test
  void badJmhFilesAreClearErrors() throws IOException {
    Path notJson = tmp.resolve("x.json");
    Files.writeString(notJson, "Benchmark Mode Cnt Score");
    assertTrue(assertThrows(JmhResults.BadJmhFile.class, () -> JmhResults.read(List.of(notJson))).getMessage()
        .contains("x.json are not valid JSON"));
    Files.writeString(notJson, "{}");
    assertTrue(assertThrows(JmhResults.BadJmhFile.class, () -> JmhResults.read(List.of(notJson))).getMessage()
        .contains("-rf json"));
    String text = Files.readString(fixture()).replace("\"ms/op\"", "\"furlongs/op\"");
    Files.writeString(notJson, text);
    assertTrue(assertThrows(JmhResults.BadJmhFile.class, () -> JmhResults.read(List.of(notJson))).getMessage()
        .contains("unsupported score unit 'furlongs/op'"));
    // without the calibration benchmark nothing can be compared: say so instead of inventing a ratio
    Files.writeString(notJson, Files.readString(fixture()).replace("ExactAttentionBenchmark.streamed", "Other.x"));
    JmhResults.Ratios r = JmhResults.read(List.of(notJson));
    assertEquals(3, r.skipped().size());
  }
}
