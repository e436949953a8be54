package dev.renderloop.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.Renderer;
import dev.renderloop.task.Suites;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build on the bundled svg and smiles suites (in-process renderers: no Python needed). */
class DatasetBuilderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path shared;
    private static RenderEngine engine;
    private static BuildReport report;
    private static Path out;

    @TempDir
    Path dir;

    @BeforeAll
    static void buildOnce() throws IOException {
        engine = RenderEngine.builder().cacheDir(shared.resolve("cache")).scratchDir(shared).build();
        out = shared.resolve("ds");
        report = build(engine, out, BuildOptions.defaults(), "svg", "smiles");
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    static BuildReport build(RenderEngine e, Path dir, BuildOptions options, String... sources) throws IOException {
        DatasetBuilder.Builder b = DatasetBuilder.builder().engine(e).out(dir).options(options).command("renderloop data build --from test");
        for (String s : sources) {
            b.source(Corpus.load(s, null, null));
        }
        return b.build().build();
    }

    @Test
    void countsCoverEveryProgramAndEveryTask() {
        for (String domain : List.of("svg", "smiles")) {
            BuildReport.DomainCounts c = report.domains().get(domain);
            assertEquals(Suites.bundled(domain).size(), c.programs(), domain);
            assertEquals(c.programs(), c.rendered(), domain + ": every bundled reference renders");
            int dropped = report.referenceRejections().getOrDefault(domain, java.util.Map.of()).values().stream().mapToInt(i -> i).sum();
            assertEquals(c.rendered() - dropped, c.kept(), domain);
            assertEquals(c.kept(), c.textToCode(), domain + ": every bundled task has a description");
            assertEquals(c.kept(), c.imageToCode(), domain);
            assertTrue(c.optimisation() > c.kept(), domain + ": several defects per program kept: " + c);
            int keptDefects = report.defectKinds().get(domain).values().stream().mapToInt(k -> k.keptError() + k.keptVisible()).sum();
            assertEquals(c.optimisation(), keptDefects, domain);
        }
        assertEquals(report.domains().values().stream().mapToInt(c -> c.textToCode() + c.imageToCode() + c.optimisation()).sum(),
                report.pairs());
        // both verdicts occur: defects that break the render and defects that render differently
        assertTrue(report.defectKinds().get("svg").values().stream().anyMatch(k -> k.keptVisible() > 0));
        assertTrue(report.defectKinds().get("smiles").values().stream().anyMatch(k -> k.keptError() > 0), report.defectKinds().toString());
        assertTrue(report.defectKinds().get("smiles").keySet().containsAll(List.of("smiles_atom", "smiles_bond")));
    }

    @Test
    void rowsHaveExactlyTheChatLayout() throws IOException {
        for (String config : Export.CONFIGS) {
            List<JsonNode> rows = jsonl(out.resolve(config + ".jsonl"));
            assertFalse(rows.isEmpty(), config);
            for (JsonNode row : rows) {
                List<String> fields = new ArrayList<>();
                row.fieldNames().forEachRemaining(fields::add);
                assertEquals(List.of("messages", "images"), fields);
                JsonNode m = row.get("messages");
                assertEquals(3, m.size());
                assertEquals("system", m.get(0).get("role").asText());
                assertEquals("user", m.get(1).get("role").asText());
                assertEquals("assistant", m.get(2).get("role").asText());
                assertTrue(m.get(2).get("content").asText().startsWith("```"), m.get(2).toString());
                int placeholders = m.get(1).get("content").asText().split("<image>", -1).length - 1;
                assertEquals(row.get("images").size(), placeholders, "one <image> per image");
                for (JsonNode image : row.get("images")) {
                    assertTrue(Files.isRegularFile(out.resolve(image.asText())), image.asText());
                    assertFalse(image.asText().startsWith("/"), "relative paths");
                }
            }
            assertEquals(rows.size(), jsonl(out.resolve(config + ".meta.jsonl")).size(), config);
        }
        assertTrue(jsonl(out.resolve("text2code.jsonl")).stream().allMatch(r -> r.get("images").isEmpty()));
    }

    @Test
    void optimisationRowsAnswerWithTheReferenceAndRecordTheDefect() throws IOException {
        List<JsonNode> rows = jsonl(out.resolve("optimise.jsonl"));
        List<JsonNode> meta = jsonl(out.resolve("optimise.meta.jsonl"));
        for (int i = 0; i < rows.size(); i++) {
            JsonNode m = meta.get(i);
            String reference = Suites.bundled(m.get("domain").asText()).tasks().stream()
                    .filter(t -> t.id().equals(m.get("id").asText())).findFirst().orElseThrow().code();
            assertTrue(rows.get(i).get("messages").get(2).get("content").asText().contains(reference));
            assertFalse(m.get("defect_kind").isNull());
            String verdict = m.get("defect_verdict").asText();
            if (verdict.equals("kept_error")) {
                assertFalse(m.get("defect_error_kind").isNull());
                assertTrue(rows.get(i).get("messages").get(1).get("content").asText().contains("rendering it fails"));
            } else {
                assertEquals("kept_visible", verdict);
                assertTrue(m.get("defect_score").asDouble() < 0.95, m.toString());
                assertTrue(Files.isRegularFile(out.resolve(m.get("defect_image").asText())));
            }
        }
    }

    @Test
    void parquetReadsBackInDuckDbAsTheJsonl() throws Exception {
        for (String config : Export.CONFIGS) {
            List<JsonNode> rows = jsonl(out.resolve(config + ".jsonl"));
            try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT to_json(messages)::VARCHAR, to_json(images)::VARCHAR FROM read_parquet("
                         + Export.literal(out.resolve(config + ".parquet").toAbsolutePath()) + ")")) {
                Iterator<JsonNode> expected = rows.iterator();
                int n = 0;
                while (r.next()) {
                    JsonNode e = expected.next();
                    assertEquals(e.get("messages"), JSON.readTree(r.getString(1)), config + " row " + n);
                    assertEquals(e.get("images"), JSON.readTree(r.getString(2)), config + " row " + n);
                    n++;
                }
                assertEquals(rows.size(), n, config);
            }
            try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet("
                         + Export.literal(out.resolve(config + ".parquet").toAbsolutePath()) + "))")) {
                List<String> columns = new ArrayList<>();
                while (r.next()) {
                    columns.add(r.getString(1) + " " + r.getString(2));
                }
                assertEquals(List.of("messages STRUCT(\"role\" VARCHAR, \"content\" VARCHAR)[]", "images VARCHAR[]"), columns);
            }
        }
    }

    @Test
    void cardAndSamplesPageSayWhatWasBuilt() throws IOException {
        String card = Files.readString(out.resolve("README.md"));
        assertTrue(card.startsWith("---\nlicense: other\n"), card);
        assertTrue(card.contains("renderloop data build --from test"));
        assertTrue(card.contains("| bundled:svg | " + Suites.bundled("svg").size() + " | " + Corpus.BUNDLED_LICENCE + " |"));
        BuildReport.DomainCounts svg = report.domains().get("svg");
        assertTrue(card.contains("| svg | " + svg.programs() + " | " + svg.rendered() + " | " + svg.kept() + " | "), card);
        assertTrue(card.contains("config_name: optimise"));
        assertTrue(card.contains("| smiles | smiles_atom |"), card);
        String html = Files.readString(out.resolve("samples.html"));
        assertTrue(html.contains("<img alt=\"target\" src=\"images/bundled_svg-"), html.substring(0, Math.min(2000, html.length())));
        assertTrue(html.contains("class=\"add\""));
        assertTrue(html.contains("class=\"err\""), "a defect that fails shows its error");
        assertFalse(html.contains("<script"));
        JsonNode json = JSON.readTree(out.resolve("report.json").toFile());
        assertEquals(report.pairs(), json.get("pairs").asInt());
    }

    @Test
    void sameSeedSameDataset_otherSeedOtherDefects() throws IOException {
        Path again = dir.resolve("again");
        build(engine, again, BuildOptions.defaults(), "svg", "smiles");
        for (String config : Export.CONFIGS) {
            assertEquals(Files.readString(out.resolve(config + ".jsonl")), Files.readString(again.resolve(config + ".jsonl")), config);
        }
        Path other = dir.resolve("other");
        build(engine, other, BuildOptions.defaults().withSeed(1), "svg", "smiles");
        assertEquals(Files.readString(out.resolve("text2code.jsonl")), Files.readString(other.resolve("text2code.jsonl")));
        assertNotEquals(Files.readString(out.resolve("optimise.jsonl")), Files.readString(other.resolve("optimise.jsonl")));
    }

    @Test
    void aBuildInterruptedMidwayResumesToTheSameDataset() throws IOException {
        Path resumed = dir.resolve("resumed");
        AtomicInteger calls = new AtomicInteger();
        try (RenderEngine dying = RenderEngine.builder().noCache().scratchDir(dir).renderer(new Renderer() {
            @Override
            public String domain() {
                return "svg";
            }

            @Override
            public Availability availability() {
                return Availability.yes("test");
            }

            @Override
            public String version() {
                return "test";
            }

            @Override
            public RenderResult render(RenderRequest request, Path outputDir) {
                if (calls.incrementAndGet() > 40) {
                    throw new IllegalStateException("simulated kill");
                }
                return engine.render(request);
            }

            @Override
            public void close() {
            }
        }).build()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> build(dying, resumed, BuildOptions.defaults().withConcurrency(1), "svg"));
            assertEquals("simulated kill", e.getMessage());
        }
        assertFalse(Files.exists(resumed.resolve("optimise.jsonl")), "nothing exported from a build that did not finish");
        BuildReport second = build(engine, resumed, BuildOptions.defaults(), "svg");
        int total = second.domains().get("svg").programs() + second.defectKinds().get("svg").values().stream().mapToInt(k -> k.tried()).sum();
        assertTrue(second.rendersNow() < total - 30, "only what was missing is rendered: " + second.rendersNow() + " of " + total);
        Path fresh = dir.resolve("fresh");
        build(engine, fresh, BuildOptions.defaults(), "svg");
        for (String config : Export.CONFIGS) {
            assertEquals(Files.readString(fresh.resolve(config + ".jsonl")), Files.readString(resumed.resolve(config + ".jsonl")), config);
        }
    }

    @Test
    void resumingWithOtherOptionsIsRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> build(engine, out, BuildOptions.defaults().withDefectsPerProgram(1), "svg", "smiles"));
        assertTrue(e.getMessage().contains("other sources or options"), e.getMessage());
    }

    @Test
    void duplicatesAndFailuresAreDroppedWithTheReason() throws IOException {
        String square = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 100\"><rect x=\"10\" y=\"10\" width=\"80\" height=\"80\" fill=\"#1e88e5\"/></svg>";
        StringBuilder dots = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 100\">");
        for (int i = 0; i < 10; i++) {
            dots.append("<circle cx=\"").append(10 + 8 * i).append("\" cy=\"").append(20 + 6 * i).append("\" r=\"4\" fill=\"#43a047\"/>");
        }
        String many = dots + "</svg>";
        String[] codes = {
            square,
            square.replace("><", ">\n  <") + "\n<!-- the same, reformatted -->",                                   // exact (tokens)
            many,
            many.replaceFirst("r=\"4\"", "r=\"5\""),                                                                 // near code
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 100\"><path d=\"M10 10 H90 V90 H10 Z\" fill=\"#1e88e5\"/></svg>", // same picture
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 100\"><circle cx=\"50\" cy=\"50\" r=\"30\" fill=\"#e53935\"/></svg>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect",                                                   // does not parse
        };
        Path corpus = dir.resolve("corpus.jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < codes.length; i++) {
            lines.append(JSON.writeValueAsString(java.util.Map.of("id", "p" + i, "domain", "svg", "description", "picture " + i, "code", codes[i])))
                    .append('\n');
        }
        Files.writeString(corpus, lines);
        BuildReport r = build(engine, dir.resolve("dups"), BuildOptions.defaults().withDefectsPerProgram(0), corpus.toString());
        assertEquals(java.util.Map.of("duplicate_code_exact", 1, "duplicate_code_near", 1, "duplicate_render", 1, "render_syntax_error", 1),
                r.referenceRejections().get("svg"));
        assertEquals(3, r.domains().get("svg").kept());
        assertTrue(Files.readString(dir.resolve("dups/README.md")).contains("| svg | render_syntax_error | 1 |"));
        assertTrue(Files.readString(dir.resolve("dups/README.md")).contains("not stated: a user corpus"));
    }

    @Test
    void badSourcesAreClearErrors() throws IOException {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Corpus.load("nosuch", null, null)).getMessage().contains("unknown suite"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Corpus.load(dir.resolve("x.parquet").toString(), null, null))
                .getMessage().contains("no corpus file"));
        Path bad = dir.resolve("bad.parquet");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("COPY (SELECT 'a' AS id, 'svg' AS dom) TO " + Export.literal(bad.toAbsolutePath()) + " (FORMAT parquet)");
        } catch (java.sql.SQLException e) {
            throw new IOException(e);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Corpus.load(bad.toString(), null, null)).getMessage()
                .contains("has no column 'domain'"));
        Path notParquet = dir.resolve("text.parquet");
        Files.writeString(notParquet, "not parquet");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Corpus.load(notParquet.toString(), null, null)).getMessage()
                .contains("cannot read parquet corpus"));
        assertThrows(IllegalArgumentException.class, () -> new BuildOptions(0, 3, 1.5, 0.9, 0.98, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> DatasetBuilder.builder().engine(engine).out(dir).build());
    }

    @Test
    void aParquetCorpusIsASource() throws Exception {
        Path corpus = dir.resolve("corpus.parquet");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("COPY (SELECT * FROM (VALUES ('a', 'smiles', 'ethanol', 'CCO'), ('b', 'smiles', 'benzene', 'c1ccccc1')) "
                    + "t(id, domain, description, code)) TO " + Export.literal(corpus.toAbsolutePath()) + " (FORMAT parquet)");
        }
        BuildReport r = build(engine, dir.resolve("pq"), BuildOptions.defaults().withDefectsPerProgram(1), corpus.toString());
        assertEquals(2, r.domains().get("smiles").kept());
        assertEquals(2, r.domains().get("smiles").textToCode());
    }

    @Test
    void anUnavailableDomainIsRefusedBeforeAnythingIsWritten() throws IOException {
        Path corpus = dir.resolve("c.jsonl");
        Files.writeString(corpus, "{\"id\": \"a\", \"domain\": \"nosuchdomain\", \"code\": \"x\"}\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> build(engine, dir.resolve("u"), BuildOptions.defaults(), corpus.toString()));
        assertTrue(e.getMessage().contains("nosuchdomain cannot render here"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("u")));
    }

    private static List<JsonNode> jsonl(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }
}
