package dev.renderloop.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ServiceMetricsTest {
    @Test
    void countersGaugesAndHistogramsWriteThePrometheusTextFormat() {
        ServiceMetrics m = new ServiceMetrics();
        ServiceMetrics.Counter c = m.counter("renders_total", "Renders.", "domain", "status");
        c.inc("svg", "ok");
        c.add(2, "svg", "ok");
        c.inc("svg", "quote\"and\\slash");
        m.gauge("depth", "Queue depth.", () -> 3);
        ServiceMetrics.Histogram h = m.histogram("seconds", "Latency.", new double[] {0.1, 1}, "domain");
        h.observe(0.05, "svg");
        h.observe(0.5, "svg");
        h.observe(5, "svg");
        String text = m.prometheusText();
        assertTrue(text.contains("# TYPE renders_total counter\n"), text);
        assertTrue(text.contains("renders_total{domain=\"svg\",status=\"ok\"} 3\n"), text);
        assertTrue(text.contains("renders_total{domain=\"svg\",status=\"quote\\\"and\\\\slash\"} 1\n"), text);
        assertTrue(text.contains("# TYPE depth gauge\ndepth 3\n"), text);
        assertTrue(text.contains("seconds_bucket{domain=\"svg\",le=\"0.1\"} 1\n"), text);
        assertTrue(text.contains("seconds_bucket{domain=\"svg\",le=\"1\"} 2\n"), text);
        assertTrue(text.contains("seconds_bucket{domain=\"svg\",le=\"+Inf\"} 3\n"), text);
        assertTrue(text.contains("seconds_sum{domain=\"svg\"} 5.55\n"), text);
        assertTrue(text.contains("seconds_count{domain=\"svg\"} 3\n"), text);
        assertEquals(3, c.value("svg", "ok"));
        assertEquals(3, h.count("svg"));
    }

    @Test
    void theWrongNumberOfLabelValuesIsRefused() {
        ServiceMetrics.Counter c = new ServiceMetrics().counter("x_total", "X.", "a");
        assertThrows(IllegalArgumentException.class, () -> c.inc("1", "2"));
    }
}
