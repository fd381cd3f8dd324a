package org.scatterbrain.core.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Param;
import org.scatterbrain.core.EstimatorCatalog;

/** The JMH benchmark's method list is the catalog's list of benchmarked estimators (JMH needs it as literals). */
class EstimatorBenchmarkTest {
  @Test
  void benchmarkedMethodsAreTheCatalogs() throws NoSuchFieldException {
    Param p = EstimatorBenchmark.class.getField("method").getAnnotation(Param.class);
    assertEquals(EstimatorCatalog.benchmarked(), List.of(p.value()));
    for (String m : p.value()) {
      assertEquals(EstimatorCatalog.named(m).benchmark(), EstimatorBenchmark.config(m));
    }
  }
}
