package dev.renderloop.serve;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * Counters, gauges and histograms with labels, written in the Prometheus text exposition format (version 0.0.4).
 * Label values are escaped as the format requires; metric and label names are the caller's constants. Thread-safe;
 * a metric's series are created on first use, so keep label values from a small fixed set (domains, statuses,
 * error kinds), never from request content.
 */
public final class ServiceMetrics {
    /** The content type of {@link #prometheusText()}. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** Buckets (seconds) for request and render latencies: 5 ms to 2 minutes. */
    public static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120};

    private final Map<String, Metric> metrics = new ConcurrentSkipListMap<>();

    private sealed interface Metric permits Counter, Gauge, Histogram {
        void write(StringBuilder out);
    }

    /** A monotonically increasing count per label set. */
    public static final class Counter implements Metric {
        private final String name;
        private final String help;
        private final String[] labels;
        private final Map<List<String>, LongAdder> series = new ConcurrentHashMap<>();

        Counter(String name, String help, String[] labels) {
            this.name = name;
            this.help = help;
            this.labels = labels;
        }

        /** Adds 1 to the series with these label values (in the order the labels were declared). */
        public void inc(String... values) {
            add(1, values);
        }

        /** Adds {@code n} to the series with these label values. */
        public void add(long n, String... values) {
            series.computeIfAbsent(key(labels, values), k -> new LongAdder()).add(n);
        }

        /** The current count of one series (0 when it has none). */
        public long value(String... values) {
            LongAdder a = series.get(key(labels, values));
            return a == null ? 0 : a.sum();
        }

        @Override
        public void write(StringBuilder out) {
            header(out, name, help, "counter");
            series.forEach((k, v) -> out.append(name).append(labelText(labels, k, null, null)).append(' ').append(v.sum()).append('\n'));
        }
    }

    /** A value read when the metrics are written. */
    record Gauge(String name, String help, DoubleSupplier value) implements Metric {
        @Override
        public void write(StringBuilder out) {
            header(out, name, help, "gauge");
            out.append(name).append(' ').append(number(value.getAsDouble())).append('\n');
        }
    }

    /** Cumulative buckets, sum and count per label set. */
    public static final class Histogram implements Metric {
        private final String name;
        private final String help;
        private final double[] bounds;
        private final String[] labels;
        private final Map<List<String>, Series> series = new ConcurrentHashMap<>();

        private record Series(LongAdder[] buckets, DoubleAdder sum, LongAdder count) {}

        Histogram(String name, String help, double[] bounds, String[] labels) {
            this.name = name;
            this.help = help;
            this.bounds = bounds.clone();
            this.labels = labels;
        }

        /** Records one observation in the series with these label values. */
        public void observe(double value, String... values) {
            Series s = series.computeIfAbsent(key(labels, values), k -> {
                LongAdder[] b = new LongAdder[bounds.length];
                Arrays.setAll(b, i -> new LongAdder());
                return new Series(b, new DoubleAdder(), new LongAdder());
            });
            for (int i = 0; i < bounds.length; i++) {
                if (value <= bounds[i]) {
                    s.buckets()[i].increment();
                }
            }
            s.sum().add(value);
            s.count().increment();
        }

        /** Observations so far in one series. */
        public long count(String... values) {
            Series s = series.get(key(labels, values));
            return s == null ? 0 : s.count().sum();
        }

        @Override
        public void write(StringBuilder out) {
            header(out, name, help, "histogram");
            series.forEach((k, s) -> {
                for (int i = 0; i < bounds.length; i++) {
                    out.append(name).append("_bucket").append(labelText(labels, k, "le", number(bounds[i])))
                            .append(' ').append(s.buckets()[i].sum()).append('\n');
                }
                out.append(name).append("_bucket").append(labelText(labels, k, "le", "+Inf")).append(' ')
                        .append(s.count().sum()).append('\n');
                out.append(name).append("_sum").append(labelText(labels, k, null, null)).append(' ')
                        .append(number(s.sum().sum())).append('\n');
                out.append(name).append("_count").append(labelText(labels, k, null, null)).append(' ')
                        .append(s.count().sum()).append('\n');
            });
        }
    }

    /** Registers (or returns the registered) counter {@code name}. */
    public Counter counter(String name, String help, String... labels) {
        return (Counter) metrics.computeIfAbsent(name, n -> new Counter(n, help, labels));
    }

    /** Registers a gauge read from {@code value} at each scrape (replacing one of the same name). */
    public void gauge(String name, String help, DoubleSupplier value) {
        metrics.put(name, new Gauge(name, help, value));
    }

    /** Registers (or returns the registered) histogram {@code name}. */
    public Histogram histogram(String name, String help, double[] bounds, String... labels) {
        return (Histogram) metrics.computeIfAbsent(name, n -> new Histogram(n, help, bounds, labels));
    }

    /** Every metric in the Prometheus text format. */
    public String prometheusText() {
        StringBuilder out = new StringBuilder();
        for (Metric m : metrics.values()) {
            m.write(out);
        }
        return out.toString();
    }

    private static List<String> key(String[] labels, String[] values) {
        if (values.length != labels.length) {
            throw new IllegalArgumentException("expected " + labels.length + " label values " + Arrays.toString(labels)
                    + ", got " + values.length);
        }
        return List.of(values);
    }

    private static void header(StringBuilder out, String name, String help, String type) {
        out.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static String labelText(String[] labels, List<String> values, String extraName, String extraValue) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            parts.add(labels[i] + "=\"" + escape(values.get(i)) + "\"");
        }
        if (extraName != null) {
            parts.add(extraName + "=\"" + extraValue + "\"");
        }
        return parts.isEmpty() ? "" : "{" + String.join(",", parts) + "}";
    }

    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String number(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "+Inf" : "-Inf";
        }
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : String.format(Locale.ROOT, "%s", d);
    }
}
