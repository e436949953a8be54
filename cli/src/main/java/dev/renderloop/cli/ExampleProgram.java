package dev.renderloop.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A program bundled with the CLI (written for this project) that the demo and the perf commands render.
 *
 * @param domain renderer key
 * @param name   file name, e.g. {@code bar_chart.py}
 * @param code   program text
 */
record ExampleProgram(String domain, String name, String code) {

    /**
     * The programs the demo and the benchmarks render for {@code domain}: its bundled examples, else
     * the reference code of its bundled suite; empty when it has neither.
     */
    static List<ExampleProgram> forDomain(String domain) {
        List<ExampleProgram> examples = of(domain);
        return examples.isEmpty() ? suite(domain) : examples;
    }

    /** The reference code of {@code domain}'s bundled suite, in suite order; empty without one. */
    static List<ExampleProgram> suite(String domain) {
        if (!dev.renderloop.task.Suites.BUNDLED.contains(domain)) {
            return List.of();
        }
        try {
            return dev.renderloop.task.Suites.bundled(domain).tasks().stream()
                    .map(t -> new ExampleProgram(domain, t.id(), t.code())).toList();
        } catch (IllegalArgumentException noSuite) {
            return List.of();
        }
    }

    /** The bundled example programs of {@code domain}, in a fixed order; empty for a domain without examples. */
    static List<ExampleProgram> of(String domain) {
        String base = "examples/" + domain + "/";
        InputStream index = ExampleProgram.class.getResourceAsStream(base + "index.txt");
        if (index == null) {
            return List.of();
        }
        List<ExampleProgram> programs = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(index, StandardCharsets.UTF_8))) {
            for (String name : r.lines().map(String::strip).filter(s -> !s.isEmpty()).toList()) {
                try (InputStream in = Objects.requireNonNull(ExampleProgram.class.getResourceAsStream(base + name), base + name)) {
                    programs.add(new ExampleProgram(domain, name, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return programs;
    }
}
