package org.scatterbrain.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.scatterbrain.jobs.spark.SweepJob;

/**
 * {@code bin/extract-heads} end to end, then a sweep on what it wrote: (1) the tool's own tests
 * ({@code tools/extract/test_extract_heads.py}: tiny GPT-2, Llama (RoPE, grouped-query heads), BERT, Gemma 3 and
 * others built offline from a config, each head's dump reproducing the model's attention output to 1e-4); (2) a tiny
 * GPT-2 whose softmax scale differs per layer (scaled by the inverse layer index) saved to a folder, extracted by
 * {@code bin/extract-heads}, and swept with {@code causal = [model]}: every cell is causal and uses the scale the
 * model recorded in heads.tsv, and a causal window as wide as the sequence reproduces the exact causal reference.
 * Python runs in {@link PythonEnv}'s environment of {@code tools/extract/requirements.txt}; the test is skipped,
 * saying so, only when python3 itself is missing.
 */
class ExtractHeadsIT {
  private static final String REQUIREMENTS = "tools/extract/requirements.txt";
  private static final int N = 40;

  @TempDir Path tmp;

  @Test
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void toolTestsPassAndASweepRunsOnItsOutputWithTheModelsScaleAndMask() throws Exception {
    Path root = PythonEnv.root();
    String python = PythonEnv.python("ExtractHeadsIT", REQUIREMENTS).toString();

    Run unit = run(root, tmp.resolve("unittest.log"), 20, python, "-m", "unittest", "discover", "-s", "tools/extract",
        "-p", "test_*.py", "-v");
    assertEquals(0, unit.exit(), () -> "tools/extract tests failed:\n" + unit.output());

    // a tiny GPT-2 (learned positions, causal) with per-layer scales 1/sqrt(d)/(layer+1), saved as a model folder
    Path model = tmp.resolve("tiny-gpt2");
    Path text = tmp.resolve("text.txt");
    Run build = run(root, tmp.resolve("build.log"), 5, python, "-c",
        "import sys; sys.path.insert(0, 'tools/extract'); import test_extract_heads as t; "
            + "t.build_model(sys.argv[1], 'gpt2', scale_attn_by_inverse_layer_idx=True); "
            + "open(sys.argv[2], 'w', encoding='utf-8').write(t.TEXT)",
        model.toString(), text.toString());
    assertEquals(0, build.exit(), build::output);

    Path heads = tmp.resolve("heads");
    Run extract = run(root, tmp.resolve("extract.log"), 10, root.resolve("bin/extract-heads").toString(),
        model.toString(), "--text", text.toString(), "--n", String.valueOf(N), "--out", heads.toString(),
        "--name", "tiny", "--heads", "0,3");
    assertEquals(0, extract.exit(), extract::output);
    Map<String, Double> scales = new HashMap<>();
    List<String> tsv = Files.readAllLines(heads.resolve("heads.tsv"), StandardCharsets.UTF_8);
    List<String> header = List.of(tsv.get(0).split("\t"));
    for (String line : tsv.subList(1, tsv.size())) {
      String[] cells = line.split("\t");
      assertEquals("true", cells[header.indexOf("causal")], line);
      scales.put(cells[header.indexOf("file_prefix")], Double.parseDouble(cells[header.indexOf("scale")]));
    }
    assertEquals(4, scales.size(), tsv.toString()); // 2 layers x heads 0 and 3
    assertTrue(scales.values().stream().distinct().count() == 2, "layer scales should differ: " + scales);

    Path conf = tmp.resolve("extracted.conf");
    Files.writeString(conf, """
        sweep {
          name = extracted
          seed = 5
          inputs = [ { kind = npy, dir = "%s", heads = ["*"] } ]
          axes { n = [%d], temperature = [1], seeds = 1, causal = [model] }
          methods = [
            { method = exact }
            { method = local, window = [8, %d] }
            { method = performer, features = [16] }
            { method = scatterbrain, sparse = local, features = [8], window = [8] }
          ]
        }
        """.formatted(heads, N, N));
    Path results = tmp.resolve("results");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
    SparkSession spark = SparkSession.builder().master("local[2]").appName("ExtractHeadsIT")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
    try {
      String[] args = {conf.toString(), "--output", results.toString(), "--progress-seconds", "0"};
      assertEquals(0, SweepJob.run(args, spark, out, out), () -> log.toString(StandardCharsets.UTF_8));
      List<Row> rows = spark.read().parquet(results.resolve("extracted").toString())
          .select("input_id", "method", "variant", "status", "causal", "scale", "output_rel_fro").collectAsList();
      assertEquals(4 * 5, rows.size());
      for (Row r : rows) {
        String id = r.getString(0);
        assertEquals("ok", r.getString(3), r.toString());
        assertTrue(r.getBoolean(4), "not causal: " + r);
        String prefix = scales.keySet().stream().filter(id::contains).findFirst().orElseThrow(
            () -> new AssertionError("no heads.tsv row for " + id));
        // the sweep's logit scale is the model's (temperature 1), as recorded with 10 significant digits
        assertEquals(scales.get(prefix), r.getDouble(5), 1e-9 * scales.get(prefix), r.toString());
        if (r.getString(1).equals("local") && r.getString(2).contains(String.valueOf(N))) {
          // the whole past of every query: the exact causal reference up to round-off on N keys
          assertTrue(r.getDouble(6) < 1e-12, r.toString());
        }
      }
    } finally {
      spark.stop();
    }
  }

  private record Run(int exit, String output) {}

  private static Run run(Path dir, Path logFile, int minutes, String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(logFile.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    boolean done = p.waitFor(minutes, TimeUnit.MINUTES);
    if (!done) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    String output = Files.readString(logFile, StandardCharsets.UTF_8);
    return new Run(done ? p.exitValue() : -1, done ? output : output + "\n(timed out after " + minutes + " min)");
  }
}
