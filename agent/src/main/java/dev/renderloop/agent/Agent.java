package dev.renderloop.agent;

import dev.renderloop.policy.Candidate;
import dev.renderloop.policy.Conversation;
import dev.renderloop.policy.ImageContent;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.PolicyRequest;
import dev.renderloop.policy.PolicyResponse;
import dev.renderloop.policy.Purpose;
import dev.renderloop.render.CodeExtractor;
import dev.renderloop.render.ExtractedCode;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.RenderSettings;
import dev.renderloop.score.Metric;
import dev.renderloop.task.Task;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Runs a task under a {@link Strategy}: asks the policy, extracts the code, renders it, and repairs as the
 * strategy says. Every attempt is handed to the listener as soon as it is complete, so a run that is cut
 * short has recorded everything up to that point.
 *
 * <p>Thread-safe when its policy, engine, documentation and scorer are: one agent can run many tasks at once.
 */
public final class Agent {
    private final Policy policy;
    private final RenderEngine engine;
    private final AgentConfig config;
    private final ApiDocumentation docs;
    private final Policy critic;
    private final AttemptScorer scorer;

    private Agent(Builder b) {
        this.policy = Objects.requireNonNull(b.policy, "policy");
        this.engine = Objects.requireNonNull(b.engine, "engine");
        this.config = Objects.requireNonNull(b.config, "config");
        this.docs = b.docs;
        this.critic = b.critic;
        this.scorer = b.scorer;
    }

    /** A builder; policy, engine and config are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** Agent settings. */
    public static final class Builder {
        private Policy policy;
        private RenderEngine engine;
        private AgentConfig config;
        private ApiDocumentation docs;
        private Policy critic;
        private AttemptScorer scorer;

        public Builder policy(Policy p) {
            this.policy = p;
            return this;
        }

        public Builder engine(RenderEngine e) {
            this.engine = e;
            return this;
        }

        public Builder config(AgentConfig c) {
            this.config = c;
            return this;
        }

        /** The API documentation ritl-doc uses; without it ritl-doc refuses to run. */
        public Builder documentation(ApiDocumentation d) {
            this.docs = d;
            return this;
        }

        /** The vision-capable critic ritl-vis uses; without it ritl-vis refuses to run. */
        public Builder critic(Policy c) {
            this.critic = c;
            return this;
        }

        /** Scores each rendered attempt (e.g. VS against the reference); results land in {@link Attempt#scores()}. */
        public Builder scorer(AttemptScorer s) {
            this.scorer = s;
            return this;
        }

        public Agent build() {
            return new Agent(this);
        }
    }

    /**
     * Runs {@code task} under {@code strategy}.
     *
     * @throws IllegalArgumentException when the task has neither a description nor a target image, or the strategy
     *                                  needs a component this agent lacks (documentation, critic)
     * @throws PolicyUnavailableException when the policy (or critic) gives no answer for a reason of the environment
     *                                  (unreachable, unauthorized, ...); the attempts before it were given to the listener
     */
    public AgentRun run(Task task, Strategy strategy, Consumer<Attempt> listener) {
        if (task.description().isBlank() && (task.target() == null || !task.target().exists())) {
            throw new IllegalArgumentException("task " + task.id() + " has an empty description and no target image");
        }
        if (strategy == Strategy.RITL_DOC && docs == null) {
            throw new IllegalArgumentException("ritl-doc needs API documentation for " + task.domain() + " (none configured)");
        }
        if (strategy == Strategy.RITL_VIS && critic == null) {
            throw new IllegalArgumentException("ritl-vis needs a vision-capable critic policy (none configured)");
        }
        List<Attempt> attempts = new ArrayList<>();
        Consumer<Attempt> record = a -> {
            attempts.add(a);
            listener.accept(a);
        };

        Conversation prompt = Prompts.initial(task);
        Answer answer = ask(task, prompt, Purpose.GENERATE);
        String code = answer.code.code();
        List<ApiDoc> docsUsed = List.of();
        if (strategy == Strategy.RITL_DOC && !code.isBlank()) {
            record.accept(answer.attempt(0, "generate", null, List.of(), List.of()));
            docsUsed = lookup(code);
            prompt = Prompts.docRegenerate(task, code, docsUsed);
            Answer again = ask(task, prompt, Purpose.REPAIR);
            if (!again.code.code().isBlank()) {
                answer = again;
                code = again.code.code();
            } else {
                answer = again.keeping(answer.code);
            }
            RenderResult r = render(task, code);
            record.accept(answer.attempt(0, "doc-regenerate", r, scores(task, code, r), docsUsed));
        } else {
            RenderResult r = code.isBlank() ? null : render(task, code);
            record.accept(answer.attempt(0, "generate", r, scores(task, code, r), List.of()));
        }

        int repairs = 0;
        String accepted = null;
        RenderResult acceptedRender = null;
        while (true) {
            Attempt last = attempts.get(attempts.size() - 1);
            String feedbackTag;
            String feedback;
            if (last.rendered()) {
                if (strategy != Strategy.RITL_VIS) {
                    accepted = last.code().code();
                    acceptedRender = last.render();
                    break;
                }
                if (repairs >= config.maxRepairs()) {
                    break;
                }
                Critique c = critique(task, last.render());
                record.accept(c.attempt(repairs));
                if (c.pass) {
                    accepted = last.code().code();
                    acceptedRender = last.render();
                    break;
                }
                feedbackTag = "critique";
                feedback = c.text;
            } else {
                if (strategy == Strategy.VANILLA || repairs >= config.maxRepairs()) {
                    break;
                }
                feedbackTag = "error";
                feedback = last.render() == null ? (last.policyError() != null
                        ? "no answer: " + last.policyMessage() : "no code was found in the answer")
                        : errorFeedback(last.render());
            }
            repairs++;
            String previous = lastCode(attempts);
            List<ApiDoc> repairDocs = strategy == Strategy.RITL_DOC && !previous.isBlank() ? lookup(previous) : List.of();
            prompt = Prompts.repair(task, previous, feedbackTag, feedback, repairDocs);
            Answer fixed = ask(task, prompt, Purpose.REPAIR);
            String fixedCode = fixed.code.code();
            RenderResult r = fixedCode.isBlank() ? null : render(task, fixedCode);
            record.accept(fixed.attempt(repairs, "repair", r, scores(task, fixedCode, r), repairDocs));
        }
        if (accepted == null) {
            // No accepted answer: the last code that rendered for ritl-vis (the critique never passed), else the last code.
            for (int i = attempts.size() - 1; i >= 0 && strategy == Strategy.RITL_VIS; i--) {
                if (attempts.get(i).rendered()) {
                    accepted = attempts.get(i).code().code();
                    acceptedRender = attempts.get(i).render();
                    break;
                }
            }
            if (accepted == null) {
                accepted = lastCode(attempts);
                acceptedRender = lastRender(attempts);
            }
        }
        return new AgentRun(task.id(), task.domain(), strategy, policy.name(), attempts, accepted, acceptedRender, repairs);
    }

    private static String lastCode(List<Attempt> attempts) {
        for (int i = attempts.size() - 1; i >= 0; i--) {
            if (!attempts.get(i).step().equals("critique") && !attempts.get(i).code().code().isBlank()) {
                return attempts.get(i).code().code();
            }
        }
        return "";
    }

    private static RenderResult lastRender(List<Attempt> attempts) {
        for (int i = attempts.size() - 1; i >= 0; i--) {
            Attempt a = attempts.get(i);
            if (!a.step().equals("critique") && !a.code().code().isBlank()) {
                return a.render();
            }
        }
        return null;
    }

    private String errorFeedback(RenderResult r) {
        String tail = r.errorTail(config.errorLines());
        String kind = r.errorKind() == null ? "error" : r.errorKind().name().toLowerCase(Locale.ROOT);
        return tail.isBlank() ? kind : tail;
    }

    private List<ApiDoc> lookup(String code) {
        List<ApiDoc> all = docs.lookup(code);
        return all.size() > config.maxDocNames() ? all.subList(0, config.maxDocNames()) : all;
    }

    private RenderResult render(Task task, String code) {
        return engine.render(new RenderRequest(task.domain(), code, RenderSettings.defaultsFor(task.domain())));
    }

    private List<Metric> scores(Task task, String code, RenderResult r) {
        return scorer == null || code.isBlank() ? List.of() : scorer.score(task, code, r);
    }

    /** A policy answer with its extracted code, before rendering. */
    private record Answer(Conversation prompt, PolicyResponse response, ExtractedCode code) {
        Attempt attempt(int round, String step, RenderResult render, List<Metric> scores, List<ApiDoc> docs) {
            Candidate c = response.ok() ? response.candidates().get(0) : null;
            return new Attempt(round, step, prompt, response.text(), code, response.errorKind(), response.error(), render,
                    scores, docs, response.usage().promptTokens(), response.usage().completionTokens(), response.millis(),
                    c == null ? "" : c.note());
        }

        Answer keeping(ExtractedCode previous) {
            return new Answer(prompt, response, previous);
        }
    }

    private Answer ask(Task task, Conversation prompt, Purpose purpose) {
        PolicyResponse response = checked(policy, policy.respond(new PolicyRequest(task, prompt, purpose, 1, config.sampling())));
        ExtractedCode code = CodeExtractor.extract(task.domain(), response.text());
        return new Answer(prompt, response, code);
    }

    /** {@code response}, unless it failed for a reason of the environment (then the run stops: not the model's outcome). */
    private static PolicyResponse checked(Policy from, PolicyResponse response) {
        if (!response.ok() && response.errorKind().environmental()) {
            throw new PolicyUnavailableException(response.errorKind(), from.name(), response.error());
        }
        return response;
    }

    /** The critic's verdict on a render. */
    private record Critique(Conversation prompt, PolicyResponse response, boolean pass, String text) {
        Attempt attempt(int round) {
            return new Attempt(round, "critique", prompt, response.text(), new ExtractedCode("", false, ExtractedCode.Source.NONE, 0),
                    response.errorKind(), response.error(), null, List.of(), List.of(), response.usage().promptTokens(),
                    response.usage().completionTokens(), response.millis(), pass ? "verdict: pass" : "verdict: fail");
        }
    }

    private Critique critique(Task task, RenderResult render) {
        List<ImageContent> frames = new ArrayList<>();
        List<Path> paths = render.frames();
        int wanted = Math.min(4, paths.size());
        for (int i = 0; i < wanted; i++) {
            // Evenly spaced frames, first and last included when there are several.
            int index = wanted == 1 ? paths.size() - 1 : (int) Math.round(i * (paths.size() - 1) / (double) (wanted - 1));
            try {
                frames.add(ImageContent.png(Files.readAllBytes(paths.get(index))));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read rendered frame " + paths.get(index), e);
            }
        }
        Conversation prompt = Prompts.critique(task, frames);
        PolicyResponse response = checked(critic, critic.respond(new PolicyRequest(task, prompt, Purpose.CRITIQUE, 1, config.sampling())));
        String text = response.text().strip();
        // A critic that cannot answer never passes a render silently: its failure is recorded and repaired against.
        boolean pass = response.ok() && text.toUpperCase(Locale.ROOT).startsWith("PASS");
        return new Critique(prompt, response, pass, response.ok() ? text : "the critic gave no verdict: " + response.error());
    }
}
