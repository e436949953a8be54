package dev.renderloop.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.policy.Candidate;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.PolicyErrorKind;
import dev.renderloop.policy.PolicyRequest;
import dev.renderloop.policy.PolicyResponse;
import dev.renderloop.policy.Sampling;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.task.Task;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Policy failures of the environment stop the loop; failures that are the model's (or the prompt's) are repaired. */
class PolicyFailureTest {
    @TempDir
    Path dir;

    private static final Task TASK = new Task("t", "svg", "a red square",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\" fill=\"red\"/></svg>", null, null);

    /** Answers the first request with broken code, then fails every later one with {@code kind}. */
    private static Policy failingAfterFirst(PolicyErrorKind kind, AtomicInteger requests) {
        return new Policy() {
            @Override
            public String name() {
                return "openai:m@http://127.0.0.1:9/v1";
            }

            @Override
            public PolicyResponse respond(PolicyRequest request) {
                if (requests.getAndIncrement() == 0) {
                    return PolicyResponse.of(List.of(Candidate.ofText("```svg\n<svg <<<\n```", "")), null, 1, 1);
                }
                return PolicyResponse.failure(kind, "Connection refused", null, 1, 4);
            }
        };
    }

    private static Agent agent(Policy p, RenderEngine engine) {
        return Agent.builder().policy(p).engine(engine).config(new AgentConfig(3, Sampling.greedy(64), 10, 30)).build();
    }

    @Test
    void environmentalKindsAreTheUnreachableAndRefusedOnes() {
        for (PolicyErrorKind k : List.of(PolicyErrorKind.TRANSPORT, PolicyErrorKind.UNAUTHORIZED, PolicyErrorKind.UNKNOWN_MODEL,
                PolicyErrorKind.TIMEOUT, PolicyErrorKind.SERVER_ERROR, PolicyErrorKind.RATE_LIMITED)) {
            assertTrue(k.environmental(), k.wireName());
        }
        for (PolicyErrorKind k : List.of(PolicyErrorKind.CONTEXT_TOO_LONG, PolicyErrorKind.BAD_REQUEST, PolicyErrorKind.EMPTY_CHOICES,
                PolicyErrorKind.MALFORMED_RESPONSE, PolicyErrorKind.UNSUPPORTED)) {
            assertFalse(k.environmental(), k.wireName());
        }
    }

    @Test
    void anUnreachableServerStopsTheRepairLoopAtOnce() {
        AtomicInteger requests = new AtomicInteger();
        List<Attempt> seen = new ArrayList<>();
        try (RenderEngine engine = RenderEngine.builder().noCache().scratchDir(dir).workers(1).build()) {
            PolicyUnavailableException e = assertThrows(PolicyUnavailableException.class,
                    () -> agent(failingAfterFirst(PolicyErrorKind.TRANSPORT, requests), engine).run(TASK, Strategy.RITL, seen::add));
            assertEquals(PolicyErrorKind.TRANSPORT, e.kind());
            assertTrue(e.getMessage().contains("transport") && e.getMessage().contains("Connection refused"), e.getMessage());
        }
        assertEquals(2, requests.get(), "no repairs of answers that never came");
        assertEquals(1, seen.size(), "the first, real answer was recorded");
    }

    @Test
    void aPromptTooLongIsTheModelsOutcomeAndIsRecorded() {
        AtomicInteger requests = new AtomicInteger();
        try (RenderEngine engine = RenderEngine.builder().noCache().scratchDir(dir).workers(1).build()) {
            AgentRun run = agent(failingAfterFirst(PolicyErrorKind.CONTEXT_TOO_LONG, requests), engine).run(TASK, Strategy.RITL, a -> { });
            assertFalse(run.success());
            assertEquals(4, run.attempts().size(), "generate and three repairs, each recorded");
            assertEquals(PolicyErrorKind.CONTEXT_TOO_LONG, run.attempts().get(3).policyError());
        }
    }
}
