package org.scatterbrain.jobs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scatterbrain.core.io.NpyWriter;

/**
 * The bad-input corpus: every case is a sweep file, npy folder or command line a user can get wrong, and each must end
 * with exit code 2, one line naming the key, option or file at fault (no stack trace), before Spark starts, and with
 * the output folder exactly as it was. The cases are generated from one valid sweep by changing one thing each.
 */
class BadInputCorpusTest {
  private static final String BASE = """
      sweep {
        name = corpus
        seed = 1
        inputs = [ { kind = gaussian }, { kind = npy, dir = "%s", heads = [good] } ]
        axes { n = [16], head-dim = [8], temperature = [1], seeds = 1 }
        methods = [ { method = exact }, { method = performer, features = [4] }, { method = local, window = [4] } ]
      }
      """;

  @TempDir Path tmp;
  private Path npy;
  private Path base;
  private Path output;

  /** One bad input: its name, the command line (with {@code BASE} for the valid sweep file) and the expected text. */
  private record Case(String name, List<String> args, String expected) {}

  private final List<Case> cases = new ArrayList<>();

  private void files() throws IOException {
    npy = Files.createDirectories(tmp.resolve("heads"));
    writeHead("good", 16, 8, 8, 0);
    writeHead("nan", 16, 8, 8, Double.NaN);
    writeHead("inf", 16, 8, 8, Double.POSITIVE_INFINITY);
    writeHead("short", 16, 8, 8, 0);
    NpyWriter.write(npy.resolve("short_v.npy"), new double[15 * 8], 15, 8);
    writeHead("narrow", 16, 8, 8, 0);
    NpyWriter.write(npy.resolve("narrow_k.npy"), new double[16 * 7], 16, 7);
    writeHead("missing", 16, 8, 8, 0);
    Files.delete(npy.resolve("missing_k.npy"));
    writeHead("garbage", 16, 8, 8, 0);
    Files.writeString(npy.resolve("garbage_q.npy"), "not an npy file");
    writeHead("truncated", 16, 8, 8, 0);
    byte[] full = Files.readAllBytes(npy.resolve("truncated_q.npy"));
    Files.write(npy.resolve("truncated_q.npy"), java.util.Arrays.copyOf(full, full.length / 2));
    writeHead("empty", 16, 8, 8, 0);
    Files.write(npy.resolve("empty_q.npy"), new byte[0]);
    writeHead("huge", 16, 8, 8, 1e200);
    // folders whose heads.tsv is wrong in one way each (the head itself is fine)
    tsvFolder("tsv-scale", "file_prefix\tscale\tcausal\ngood\t-0.5\ttrue\n");
    tsvFolder("tsv-scale-word", "file_prefix\tscale\ngood\tbig\n");
    tsvFolder("tsv-scale-inf", "file_prefix\tscale\ngood\tInfinity\n");
    tsvFolder("tsv-causal", "file_prefix\tcausal\ngood\tyes\n");
    tsvFolder("tsv-cells", "file_prefix\tscale\tcausal\ngood\t0.25\n");
    tsvFolder("tsv-no-prefix", "head\tscale\ngood\t0.25\n");
    tsvFolder("tsv-twice", "file_prefix\tscale\ngood\t0.25\ngood\t0.5\n");
    tsvFolder("tsv-typo", "file_prefix\tscale\tcausal\ngod\t0.25\ttrue\n");
    base = tmp.resolve("base.conf");
    Files.writeString(base, BASE.formatted(npy));
    Files.writeString(tmp.resolve("not-hocon.conf"), "sweep { name = [");
    Files.writeString(tmp.resolve("a-file"), "x");
    output = Files.createDirectories(tmp.resolve("results"));
  }

  /** A folder {@code name} next to the npy folder with the head "good" and the given heads.tsv. */
  private void tsvFolder(String name, String tsv) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(name));
    for (String w : List.of("q", "k", "v")) {
      Files.copy(npy.resolve("good_" + w + ".npy"), dir.resolve("good_" + w + ".npy"));
    }
    Files.writeString(dir.resolve("heads.tsv"), tsv);
  }

  private void writeHead(String name, int n, int d, int dv, double special) throws IOException {
    java.util.SplittableRandom r = new java.util.SplittableRandom(name.hashCode());
    double[] q = new double[n * d];
    double[] k = new double[n * d];
    double[] v = new double[n * dv];
    for (double[] a : List.of(q, k, v)) {
      for (int i = 0; i < a.length; i++) {
        a[i] = r.nextDouble() - 0.5;
      }
    }
    if (special != 0) {
      q[3] = special;
    }
    NpyWriter.write(npy.resolve(name + "_q.npy"), q, n, d);
    NpyWriter.write(npy.resolve(name + "_k.npy"), k, n, d);
    NpyWriter.write(npy.resolve(name + "_v.npy"), v, n, dv);
  }

  /** A case changing the valid sweep with {@code --set} overrides. */
  private void set(String name, String expected, String... overrides) {
    List<String> args = new ArrayList<>(List.of("BASE"));
    for (String o : overrides) {
      args.add("--set");
      args.add(o);
    }
    cases.add(new Case(name, args, expected));
  }

  /** A case with a different command line. */
  private void cli(String name, String expected, String... args) {
    cases.add(new Case(name, List.of(args), expected));
  }

  private void corpus() {
    // the file and its top level
    cli("no sweep file", "Missing required parameter");
    cli("missing sweep file", "does not exist", "no-such.conf");
    cli("a folder as the sweep file", "is not a file", "DIR");
    cli("HOCON syntax error", "not-hocon.conf", "NOT_HOCON");
    set("unknown top-level key", "colour", "colour=red");
    set("sweep not an object", "sweep", "sweep=3");
    set("unknown key in sweep", "sweep.colour", "sweep.colour=red");
    set("name missing", "sweep.name", "sweep.name=null");
    set("name with a space", "sweep.name", "sweep.name=\"a b\"");
    set("name a list", "sweep.name", "sweep.name=[a]");
    set("seed missing", "sweep.seed", "sweep.seed=null");
    set("seed not a number", "sweep.seed", "sweep.seed=abc");
    set("seed fractional", "sweep.seed", "sweep.seed=1.5");
    // inputs
    set("inputs missing", "sweep.inputs", "sweep.inputs=null");
    set("inputs empty", "sweep.inputs", "sweep.inputs=[]");
    set("inputs not a list", "sweep.inputs", "sweep.inputs=gaussian");
    set("input not an object", "sweep.inputs[0]", "sweep.inputs=[gaussian]");
    set("input without kind", "sweep.inputs[0].kind", "sweep.inputs=[{norm=1}]");
    set("unknown input kind", "sweep.inputs[0].kind", "sweep.inputs=[{kind=uniform}]");
    set("unknown input key", "sweep.inputs[0].colour", "sweep.inputs=[{kind=gaussian,colour=red}]");
    set("negative norm", "sweep.inputs[0].norm", "sweep.inputs=[{kind=gaussian,norm=-1}]");
    set("zero norm", "sweep.inputs[0].norm", "sweep.inputs=[{kind=gaussian,norm=0}]");
    set("norm a word", "sweep.inputs[0].norm", "sweep.inputs=[{kind=gaussian,norm=big}]");
    set("self-attention a word", "sweep.inputs[0].self-attention", "sweep.inputs=[{kind=gaussian,self-attention=yes}]");
    set("zero clusters", "sweep.inputs[0].clusters", "sweep.inputs=[{kind=clustered,clusters=0}]");
    set("too many clusters", "sweep.inputs[0].clusters", "sweep.inputs=[{kind=clustered,clusters=2000000}]");
    set("clusters a word", "sweep.inputs[0].clusters", "sweep.inputs=[{kind=clustered,clusters=many}]");
    set("clusters missing", "sweep.inputs[0].clusters", "sweep.inputs=[{kind=clustered}]");
    set("negative spread", "sweep.inputs[0].spread", "sweep.inputs=[{kind=clustered,clusters=2,spread=-1}]");
    set("spread a word", "sweep.inputs[0].spread", "sweep.inputs=[{kind=clustered,clusters=2,spread=wide}]");
    set("contiguous a number", "sweep.inputs[0].contiguous", "sweep.inputs=[{kind=clustered,clusters=2,contiguous=1}]");
    set("more clusters than n", "clusters", "sweep.inputs=[{kind=clustered,clusters=64}]");
    set("an input listed twice", "listed twice", "sweep.inputs=[{kind=gaussian},{kind=gaussian}]");
    set("npy without dir", "sweep.inputs[0].dir", "sweep.inputs=[{kind=npy}]");
    set("npy dir missing", "sweep.inputs[0].dir", "sweep.inputs=[{kind=npy,dir=no-such-dir}]");
    set("npy dir a file", "sweep.inputs[0].dir", "sweep.inputs=[{kind=npy,dir=\"FILE\"}]");
    set("npy head missing", "sweep.inputs[0].heads", "sweep.inputs=[{kind=npy,dir=\"NPY\",heads=[nope]}]");
    set("npy head a number", "sweep.inputs[0].heads", "sweep.inputs=[{kind=npy,dir=\"NPY\",heads=[3]}]");
    set("npy head listed twice", "sweep.inputs[0].heads[1]", "sweep.inputs=[{kind=npy,dir=\"NPY\",heads=[good,good]}]");
    set("npy NaN", "nan_q.npy", "sweep.inputs=[{kind=npy,dir=\"NPY\",heads=[nan]}]");
    set("npy infinity", "inf_q.npy", "sweep.inputs=[{kind=npy,dir=\"NPY\",heads=[inf]}]");
    set("npy V rows", "head short", "sweep.inputs=[{kind=npy,dir=\"NPY\",heads=[short]}]");
    set("npy K columns", "head narrow", "sweep.inputs=[{kind=npy,dir=\"NPY\",heads=[narrow]}]");
    set("npy K file missing", "missing_k.npy", "sweep.inputs=[{kind=npy,dir=\"NPY\",heads=[missing]}]");
    set("npy not npy", "garbage_q.npy", "sweep.inputs=[{kind=npy,dir=\"NPY\",heads=[garbage]}]");
    set("npy truncated", "truncated_q.npy", "sweep.inputs=[{kind=npy,dir=\"NPY\",heads=[truncated]}]");
    set("npy empty file", "empty_q.npy", "sweep.inputs=[{kind=npy,dir=\"NPY\",heads=[empty]}]");
    set("npy logits overflow", "sweep.axes.temperature", "sweep.inputs=[{kind=npy,dir=\"NPY\",heads=[huge]}]");
    // an npy folder's heads.tsv: the file, the line and the column
    set("heads.tsv scale negative", "heads.tsv line 2 column scale",
        "sweep.inputs=[{kind=npy,dir=\"TSV-scale\",heads=[good]}]");
    set("heads.tsv scale a word", "heads.tsv line 2 column scale",
        "sweep.inputs=[{kind=npy,dir=\"TSV-scale-word\",heads=[good]}]");
    set("heads.tsv scale infinite", "heads.tsv line 2 column scale",
        "sweep.inputs=[{kind=npy,dir=\"TSV-scale-inf\",heads=[good]}]");
    set("heads.tsv causal a word", "heads.tsv line 2 column causal",
        "sweep.inputs=[{kind=npy,dir=\"TSV-causal\",heads=[good]}]");
    set("heads.tsv a cell missing", "heads.tsv line 2 has 2 cells",
        "sweep.inputs=[{kind=npy,dir=\"TSV-cells\",heads=[good]}]");
    set("heads.tsv without file_prefix", "no file_prefix column",
        "sweep.inputs=[{kind=npy,dir=\"TSV-no-prefix\",heads=[good]}]");
    set("heads.tsv a head twice", "heads.tsv line 3 column file_prefix",
        "sweep.inputs=[{kind=npy,dir=\"TSV-twice\",heads=[good]}]");
    set("heads.tsv a prefix with no head", "heads.tsv line 2 column file_prefix",
        "sweep.inputs=[{kind=npy,dir=\"TSV-typo\",heads=[good]}]");
    // the causal axis and methods without a causal form
    set("causal a word", "sweep.axes.causal", "sweep.axes.causal=[sometimes]");
    set("causal empty", "sweep.axes.causal", "sweep.axes.causal=[]");
    set("causal listed twice", "sweep.axes.causal", "sweep.axes.causal=[true,true]");
    set("nystrom on causal cells", "nystrom has no causal form", "sweep.axes.causal=[true]",
        "sweep.methods=[{method=nystrom,landmarks=[4]}]");
    set("pooled hybrid on causal cells", "hybrid has no causal form", "sweep.axes.causal=[true]",
        "sweep.methods=[{method=hybrid,remainder=pool,window=[2],globals=[1],groups=[2],samples=[2]}]");
    set("n beyond a head", "sweep.axes.n", "sweep.axes.n=[17]");
    // axes
    set("axes missing", "sweep.axes", "sweep.axes=null");
    set("unknown axis", "sweep.axes.rank", "sweep.axes.rank=[4]");
    set("n missing", "sweep.axes.n", "sweep.axes.n=null");
    set("n empty", "sweep.axes.n", "sweep.axes.n=[]");
    set("n zero", "sweep.axes.n", "sweep.axes.n=[0]");
    set("n negative", "sweep.axes.n", "sweep.axes.n=[-16]");
    set("n fractional", "sweep.axes.n", "sweep.axes.n=[16.5]");
    set("n a word", "sweep.axes.n", "sweep.axes.n=[long]");
    set("n listed twice", "sweep.axes.n[1]", "sweep.axes.n=[16,16]");
    set("n overflowing an int", "sweep.axes.n", "sweep.axes.n=[3000000000]");
    set("n too large for arrays", "a Java array", "sweep.inputs=[{kind=gaussian}]", "sweep.axes.n=[1073741824]");
    set("head-dim missing", "sweep.axes.head-dim", "sweep.axes.head-dim=null");
    set("head-dim zero", "sweep.axes.head-dim", "sweep.axes.head-dim=[0]");
    set("value-dim zero", "sweep.axes.value-dim", "sweep.axes.value-dim=[0]");
    set("temperature missing", "sweep.axes.temperature", "sweep.axes.temperature=null");
    set("temperature zero", "sweep.axes.temperature", "sweep.axes.temperature=[0]");
    set("temperature negative", "sweep.axes.temperature", "sweep.axes.temperature=[-1]");
    set("temperature a word", "sweep.axes.temperature", "sweep.axes.temperature=[hot]");
    set("temperature listed twice", "sweep.axes.temperature[1]", "sweep.axes.temperature=[1,1.0]");
    set("temperature overflowing logits", "sweep.axes.temperature",
        "sweep.inputs=[{kind=gaussian,norm=1e3}]", "sweep.axes.temperature=[1e308]");
    set("seeds zero", "sweep.axes.seeds", "sweep.axes.seeds=0");
    set("seeds too many", "sweep.axes.seeds", "sweep.axes.seeds=2000000");
    set("seed index negative", "sweep.axes.seeds", "sweep.axes.seeds=[-1]");
    set("seed index twice", "sweep.axes.seeds[1]", "sweep.axes.seeds=[0,0]");
    set("budget zero", "sweep.axes.budget", "sweep.axes.budget=[0]",
        "sweep.methods=[{method=exact},{method=performer}]");
    set("budget a word", "sweep.axes.budget", "sweep.axes.budget=[big]");
    set("budget too small", "budget 4", "sweep.axes.budget=[4]",
        "sweep.methods=[{method=scatterbrain,sparse=local}]");
    set("size parameter with a budget", "sweep.methods[1].features", "sweep.axes.budget=[8]");
    // methods
    set("methods missing", "sweep.methods", "sweep.methods=null");
    set("methods empty", "sweep.methods", "sweep.methods=[]");
    set("methods not a list", "sweep.methods", "sweep.methods=exact");
    set("method not an object", "sweep.methods[0]", "sweep.methods=[exact]");
    set("method missing", "sweep.methods[0].method", "sweep.methods=[{features=4}]");
    set("unknown method", "sweep.methods[0].method", "sweep.methods=[{method=linformer}]");
    set("unknown parameter", "sweep.methods[0].window", "sweep.methods=[{method=performer,features=4,window=4}]");
    set("features zero", "sweep.methods[0].features", "sweep.methods=[{method=performer,features=0}]");
    set("features odd antithetic", "features", "sweep.methods=[{method=performer,features=5}]");
    set("features a word", "sweep.methods[0].features", "sweep.methods=[{method=performer,features=many}]");
    set("features listed twice", "sweep.methods[0].features[1]", "sweep.methods=[{method=performer,features=[4,4]}]");
    set("antithetic a word", "sweep.methods[0].antithetic", "sweep.methods=[{method=performer,features=4,antithetic=yes}]");
    set("cluster larger than n", "clusterSize", "sweep.methods=[{method=smyrf,cluster-size=32}]");
    set("hash rounds zero", "sweep.methods[0].hash-rounds", "sweep.methods=[{method=smyrf,cluster-size=4,hash-rounds=0}]");
    set("deduplicate a number", "sweep.methods[0].deduplicate", "sweep.methods=[{method=smyrf,cluster-size=4,deduplicate=1}]");
    set("odd bucket count", "sweep.methods[0].buckets", "sweep.methods=[{method=reformer,bucket-size=4,buckets=3}]");
    set("negative bucket count", "sweep.methods[0].buckets", "sweep.methods=[{method=reformer,bucket-size=4,buckets=-2}]");
    set("window wider than n", "window", "sweep.methods=[{method=local,window=17}]");
    set("window missing", "sweep.methods[0].window", "sweep.methods=[{method=local}]");
    set("landmarks beyond n", "landmarks", "sweep.methods=[{method=nystrom,landmarks=17}]");
    set("pinv iterations negative", "sweep.methods[0].pinv-iterations",
        "sweep.methods=[{method=nystrom,landmarks=4,pinv-iterations=-1}]");
    set("pinv iterations too many", "sweep.methods[0].pinv-iterations",
        "sweep.methods=[{method=nystrom,landmarks=4,pinv-iterations=101}]");
    set("scatterbrain without sparse", "sweep.methods[0].sparse", "sweep.methods=[{method=scatterbrain,features=4,window=4}]");
    set("scatterbrain two sparse kinds", "sweep.methods[0].sparse",
        "sweep.methods=[{method=scatterbrain,sparse=[local,smyrf],features=4,window=4}]");
    set("scatterbrain unknown sparse", "sweep.methods[0].sparse", "sweep.methods=[{method=scatterbrain,sparse=band}]");
    set("scatterbrain other kind's size", "sweep.methods[0].cluster-size",
        "sweep.methods=[{method=scatterbrain,sparse=local,features=4,window=4,cluster-size=4}]");
    set("a method listed twice", "repeats sweep.methods[0]",
        "sweep.methods=[{method=local,window=4},{method=local,window=4}]");
    set("overlapping entries", "repeats sweep.methods[0]",
        "sweep.methods=[{method=local,window=[4,8]},{method=local,window=[8,12]}]");
    // metrics, debug, limits
    set("unknown metrics key", "sweep.metrics.speed", "sweep.metrics.speed=fast");
    set("attention mode", "sweep.metrics.attention", "sweep.metrics.attention=sometimes");
    set("attention max entries negative", "sweep.metrics.attention-max-entries", "sweep.metrics.attention-max-entries=-1");
    set("unknown debug key", "sweep.debug.crash", "sweep.debug.crash=true");
    set("fail-trials-matching a number", "sweep.debug.fail-trials-matching", "sweep.debug.fail-trials-matching=[1]");
    set("unknown limits key", "sweep.limits.memory", "sweep.limits.memory=1g");
    set("trial seconds zero", "sweep.limits.trial-seconds", "sweep.limits.trial-seconds=0");
    set("trial seconds negative", "sweep.limits.trial-seconds", "sweep.limits.trial-seconds=-5");
    set("trial seconds a word", "sweep.limits.trial-seconds", "sweep.limits.trial-seconds=soon");
    // the command line
    cli("unknown option", "--bogus", "BASE", "--bogus");
    cli("negative partitions", "--partitions", "BASE", "--partitions", "-1");
    cli("partitions a word", "--partitions", "BASE", "--partitions", "many");
    cli("negative wave groups", "--wave-groups", "BASE", "--wave-groups", "-3");
    cli("negative piece seconds", "--piece-seconds", "BASE", "--piece-seconds", "-1");
    cli("negative progress seconds", "--progress-seconds", "BASE", "--progress-seconds", "-10");
    cli("bad run id", "--run-id", "BASE", "--run-id", "a b");
    cli("output a file", "--output", "BASE", "--output", "FILE");
    cli("output below a file", "--output", "BASE", "--output", "FILE/sub");
    cli("output not writable", "--output", "BASE", "--output", "/proc/scatterbrain-corpus");
    cli("bad master", "--master", "BASE", "--master", "bogus://x");
    cli("--set without =", "--set", "BASE", "--set", "sweep.axes.n");
    cli("--set syntax error", "--set sweep.axes.n=[16", "BASE", "--set", "sweep.axes.n=[16");
    cli("--set unknown path", "foo", "BASE", "--set", "foo.bar=1");
    cli("--set empty key", "--set", "BASE", "--set", "=3");
  }

  @Test
  void everyBadInputIsOneLineWithExitCode2AndChangesNothing() throws IOException {
    files();
    corpus();
    assertTrue(cases.size() >= 100, "the corpus has " + cases.size() + " cases");
    List<String> failures = new ArrayList<>();
    for (Case c : cases) {
      List<String> args = new ArrayList<>();
      for (String a : c.args()) {
        args.add(switch (a) {
          case "BASE" -> base.toString();
          case "DIR" -> tmp.toString();
          case "NOT_HOCON" -> tmp.resolve("not-hocon.conf").toString();
          case "FILE" -> tmp.resolve("a-file").toString();
          case "FILE/sub" -> tmp.resolve("a-file").resolve("sub").toString();
          default -> a.replace("\"NPY\"", "\"" + npy + "\"").replace("\"FILE\"", "\"" + tmp.resolve("a-file") + "\"")
              .replaceAll("\"TSV-([a-z-]+)\"", "\"" + tmp.toString().replace("\\", "\\\\") + "/tsv-$1\"");
        });
      }
      if (!args.contains("--output")) {
        args.add("--output");
        args.add(output.toString());
      }
      List<String> before = listing(output);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = SweepJob.run(args.toArray(String[]::new), null, new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      String msg = err.toString(StandardCharsets.UTF_8).trim();
      String why = c.name() + " (" + String.join(" ", c.args()) + "): exit " + code + ", stderr: " + msg;
      if (code != 2) {
        failures.add(why + " [expected exit 2]");
      } else if (!msg.contains(c.expected())) {
        failures.add(why + " [expected the message to name '" + c.expected() + "']");
      } else if (msg.lines().count() != 1 || msg.contains("\tat ") || !msg.startsWith("error: ")) {
        failures.add(why + " [expected one line 'error: ...']");
      } else if (!before.equals(listing(output)) || Files.exists(tmp.resolve("a-file").resolveSibling("sub"))) {
        failures.add(why + " [the output folder changed]");
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " cases failed:\n"
        + String.join("\n", failures));
    assertEquals(List.of(), listing(output), "nothing was written");
    assertFalse(Files.exists(Path.of("/proc/scatterbrain-corpus")));
  }

  private static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  @Test
  void aSecondSweepIntoAFolderInUseIsRefusedNamingTheFirst() throws IOException {
    files();
    Path sweepDir = output.resolve("corpus");
    try (OutputLock held = OutputLock.claim(sweepDir)) {
      List<String> before = listing(output);
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = SweepJob.run(new String[] {base.toString(), "--output", output.toString()}, null,
          new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      String msg = err.toString(StandardCharsets.UTF_8).trim();
      assertEquals(2, code, msg);
      assertTrue(msg.startsWith("error: --output: another sweep is writing into " + sweepDir + " (pid "), msg);
      assertEquals(before, listing(output), "nothing written");
    }
  }
}
