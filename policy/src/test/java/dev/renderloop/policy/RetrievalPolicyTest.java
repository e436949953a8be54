package dev.renderloop.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.task.Suite;
import dev.renderloop.task.Suites;
import dev.renderloop.task.Task;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetrievalPolicyTest {

    private static PolicyRequest request(Task task, Conversation c, Purpose purpose, int n) {
        return new PolicyRequest(task, c, purpose, n, Sampling.greedy(10));
    }

    private static PolicyRequest request(Task task) {
        return request(task, Conversation.of("sys", Message.user(task.description())), Purpose.GENERATE, 1);
    }

    private static String retrievedId(PolicyResponse r) {
        String note = r.candidates().get(0).note();
        return note.substring("retrieved ".length(), note.indexOf(' ', "retrieved ".length()));
    }

    @Test
    void neverAnswersWithTheTaskItselfAndStaysInTheDomain() {
        List<Task> corpus = new ArrayList<>(Suites.bundled("svg").tasks());
        corpus.addAll(Suites.bundled("html").tasks());
        try (Policy p = Policies.retrieval(corpus)) {
            for (Task t : Suites.bundled("svg").tasks()) {
                PolicyResponse r = p.respond(request(t));
                assertTrue(r.ok(), t.id() + ": " + r.error());
                String id = retrievedId(r);
                assertNotEquals(t.id(), id);
                assertTrue(Suites.bundled("svg").tasks().stream().anyMatch(x -> x.id().equals(id)), id);
                assertTrue(r.text().startsWith("```svg\n"));
            }
        }
    }

    @Test
    void bm25FindsTheTaskWhoseDescriptionMatches() {
        Suite suite = Suites.bundled("svg");
        Task target = suite.tasks().get(5);
        Task query = new Task("query", "svg", target.description(), "", null, null);
        try (Policy p = Policies.retrieval(suite.tasks())) {
            PolicyResponse r = p.respond(request(query));
            assertEquals(target.id(), retrievedId(r));
            assertTrue(r.candidates().get(0).note().contains("bm25"));
            assertEquals("```svg\n" + target.code() + (target.code().endsWith("\n") ? "" : "\n") + "```\n", r.text());
        }
    }

    @Test
    void imageOnlyTasksAreMatchedByThumbnail() {
        Suite suite = Suites.bundled("svg");
        Task target = suite.tasks().get(3);
        Task query = new Task("image-only", "svg", "", "", target.target(), null);
        try (Policy p = Policies.retrieval(suite.tasks())) {
            PolicyResponse r = p.respond(request(query));
            assertEquals(target.id(), retrievedId(r));
            assertTrue(r.candidates().get(0).note().contains("thumbnail-l2 0.0000"), r.candidates().get(0).note());
        }
    }

    @Test
    void repairsMoveDownTheRanking() {
        Suite suite = Suites.bundled("svg");
        Task query = new Task("query", "svg", suite.tasks().get(5).description(), "", null, null);
        try (Policy p = Policies.retrieval(suite.tasks())) {
            Conversation first = Conversation.of("sys", Message.user(query.description()));
            String a = retrievedId(p.respond(request(query, first, Purpose.GENERATE, 1)));
            Conversation repair = first.plus(Message.assistant("..."), Message.user("it failed"));
            String b = retrievedId(p.respond(request(query, repair, Purpose.REPAIR, 1)));
            assertNotEquals(a, b);
            PolicyResponse three = p.respond(request(query, first, Purpose.GENERATE, 3));
            assertEquals(3, three.candidates().stream().map(Candidate::note).distinct().count());
        }
    }

    @Test
    void nothingToMatchIsAnUnsupportedAnswerNotACrash() {
        try (Policy p = Policies.retrieval(Suites.bundled("svg").tasks())) {
            PolicyResponse other = p.respond(request(new Task("q", "tikz", "a red circle", "", null, null)));
            assertEquals(PolicyErrorKind.UNSUPPORTED, other.errorKind());
            PolicyResponse empty = p.respond(request(new Task("q", "svg", "   ", "", null, null)));
            assertEquals(PolicyErrorKind.UNSUPPORTED, empty.errorKind());
            PolicyResponse critique = p.respond(request(Suites.bundled("svg").tasks().get(0),
                    Conversation.of("sys", Message.user("x")), Purpose.CRITIQUE, 1));
            assertEquals(PolicyErrorKind.UNSUPPORTED, critique.errorKind());
        }
        assertThrows(IllegalArgumentException.class, () -> Policies.retrieval(List.of()));
    }
}
