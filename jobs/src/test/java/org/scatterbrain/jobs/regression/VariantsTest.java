package org.scatterbrain.jobs.regression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.scatterbrain.jobs.sweep.InputGroup;
import org.scatterbrain.jobs.sweep.SweepPlan;
import org.scatterbrain.jobs.sweep.SweepSpec;

/** Regression cell names: a causal cell and its bidirectional twin are two cells; bidirectional names are unchanged. */
class VariantsTest {
  @Test
  void causalCellsHaveTheirOwnNames() {
    SweepSpec spec = SweepSpec.of(ConfigFactory.parseString("""
        sweep { name = v, seed = 1, inputs = [ { kind = gaussian, norm = unit-logit, self-attention = true } ]
          axes { n = [64], head-dim = [16], temperature = [8], seeds = 1, causal = [false, true] }
          methods = [ { method = exact } ] }
        """).resolve(), Path.of("").toAbsolutePath());
    List<InputGroup> groups = SweepPlan.expand(spec).groups();
    List<String> names = groups.stream().map(g -> Variants.cell(g.input())).sorted().toList();
    assertEquals(List.of("gaussian(norm=unit-logit,self-attention) n=64 d=16 beta=8 seed=0",
        "gaussian(norm=unit-logit,self-attention) n=64 d=16 beta=8 seed=0 causal"), names);
    assertNotEquals(names.get(0), names.get(1));
  }
}
