package dev.renderloop.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SuitesTest {
    @TempDir
    Path dir;

    @Test
    void bundledRdkit_hasAtLeastTwentyTasksOfItsDomain() {
        Suite s = Suites.bundled("rdkit");
        assertTrue(s.size() >= 20, "size " + s.size());
        assertTrue(s.tasks().stream().allMatch(t -> t.domain().equals("rdkit") && !t.description().isBlank()));
    }

    @Test
    void bundled_unknownDomain_namesTheBundledOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Suites.bundled("povray"));
        assertTrue(e.getMessage().contains("svg"), e.getMessage());
    }

    @Test
    void readJsonl_resolvesTargetsAgainstTheFile_andSkipsBlankLines() throws Exception {
        Files.createDirectories(dir.resolve("t"));
        Files.write(dir.resolve("t/a.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        Path file = Files.writeString(dir.resolve("s.jsonl"), """
                {"id": "a", "domain": "svg", "description": "a red square", "code": "<svg/>", "target": "t/a.png", "level": "easy"}

                {"id": "b", "domain": "svg", "code": "<svg/>"}
                """);
        Suite s = Suites.readJsonl(file);
        assertEquals(2, s.size());
        assertEquals(dir.resolve("t/a.png"), s.tasks().get(0).target().file());
        assertEquals("easy", s.tasks().get(0).level());
        assertEquals("", s.tasks().get(1).description());
        assertEquals(null, s.tasks().get(1).target());
    }

    @Test
    void readJsonl_badLines_nameFileAndLine() throws Exception {
        Path missing = Files.writeString(dir.resolve("m.jsonl"), "{\"id\": \"a\", \"domain\": \"svg\", \"code\": \"x\"}\n{\"id\": \"b\", \"code\": \"x\"}\n");
        var e = assertThrows(IllegalArgumentException.class, () -> Suites.readJsonl(missing));
        assertEquals("m.jsonl line 2: field 'domain' is missing or not a non-empty string", e.getMessage());
        Path garbage = Files.writeString(dir.resolve("g.jsonl"), "not json\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Suites.readJsonl(garbage)).getMessage().startsWith("g.jsonl line 1:"));
        Path array = Files.writeString(dir.resolve("a.jsonl"), "[1, 2]\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Suites.readJsonl(array)).getMessage().contains("not a JSON object"));
        Path dup = Files.writeString(dir.resolve("d.jsonl"), "{\"id\": \"a\", \"domain\": \"svg\", \"code\": \"x\"}\n{\"id\": \"a\", \"domain\": \"svg\", \"code\": \"y\"}\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Suites.readJsonl(dup)).getMessage().contains("task id a twice"));
    }

    @Test
    void readJsonl_targetFileThatDoesNotExist_isAnErrorNamingFileAndLine_evenWithADescription() throws Exception {
        Files.createDirectories(dir.resolve("t"));
        Files.write(dir.resolve("t/a.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        Path file = Files.writeString(dir.resolve("s.jsonl"), """
                {"id": "a", "domain": "svg", "description": "a red square", "code": "<svg/>", "target": "t/a.png"}
                {"id": "b", "domain": "svg", "description": "a blue circle", "code": "<svg/>", "target": "t/b.png"}
                """);
        var e = assertThrows(IllegalArgumentException.class, () -> Suites.readJsonl(file));
        assertEquals("s.jsonl line 2: target file " + dir.resolve("t/b.png") + " does not exist", e.getMessage());
    }

    @Test
    void readJsonl_badJson_saysTheLineOnce_withoutTheParsersLocationNoise() throws Exception {
        Path garbage = Files.writeString(dir.resolve("g.jsonl"), "{\"id\": \"a\", \"domain\": \"svg\", \"code\": \"x\"}\n{\"id\": \"b\",, }\n");
        String message = assertThrows(IllegalArgumentException.class, () -> Suites.readJsonl(garbage)).getMessage();
        assertTrue(message.startsWith("g.jsonl line 2: not valid JSON (column "), message);
        assertFalse(message.contains("line: 1"), message);
        assertFalse(message.contains("REDACTED"), message);
        assertFalse(message.contains("\n"), message);
    }

    @Test
    void readsTheManimBenchTrainingSplitWithManimAsDefaultDomain() throws Exception {
        java.nio.file.Path file = SharedManimBench.assume("train.jsonl");
        Suite suite = Suites.readJsonl(file, "manim");
        org.junit.jupiter.api.Assertions.assertEquals(316, suite.tasks().size());
        for (Task t : suite.tasks()) {
            org.junit.jupiter.api.Assertions.assertEquals("manim", t.domain());
            org.junit.jupiter.api.Assertions.assertTrue(t.code().contains("Scene"), t.id());
            org.junit.jupiter.api.Assertions.assertFalse(t.description().isBlank(), t.id());
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Suites.readJsonl(file));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("line 1: field 'domain'"), e.getMessage());
    }
}
