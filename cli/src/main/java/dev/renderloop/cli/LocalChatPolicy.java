package dev.renderloop.cli;

import dev.renderloop.model.ChatMessage;
import dev.renderloop.model.ChatModel;
import dev.renderloop.model.ChatTemplateException;
import dev.renderloop.model.Completion;
import dev.renderloop.model.ModelFormatException;
import dev.renderloop.model.SamplingParams;
import dev.renderloop.policy.Candidate;
import dev.renderloop.policy.LocalPolicyProvider;
import dev.renderloop.policy.Message;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.PolicyErrorKind;
import dev.renderloop.policy.PolicyRequest;
import dev.renderloop.policy.PolicyResponse;
import dev.renderloop.policy.Sampling;
import dev.renderloop.policy.Usage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code local:MODEL_DIR[+ADAPTER_DIR]}: the in-process {@link ChatModel} as a {@link Policy}, answering exactly as
 * {@code serve-model} answers the same request over HTTP (same prompt, same seeded samples). Registered with
 * {@link java.util.ServiceLoader} as the {@link LocalPolicyProvider}, so that the policy module stays free of the
 * model runtime. Requests are serialised on the one model; images are refused (text-only decoders).
 */
final class LocalChatPolicy implements Policy {
    private final String name;
    private final ChatModel model;

    LocalChatPolicy(String name, ChatModel model) {
        this.name = name;
        this.model = model;
    }

    /** The service-loader entry point; public with a no-argument constructor, as ServiceLoader needs. */
    public static final class Provider implements LocalPolicyProvider {
        @Override
        public Policy open(String spec, Path modelDir, Path adapterDir) {
            try {
                return new LocalChatPolicy(spec, ChatModel.load(modelDir, adapterDir));
            } catch (ModelFormatException e) {
                throw new IllegalArgumentException("policy " + spec + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public PolicyResponse respond(PolicyRequest request) {
        long start = System.nanoTime();
        List<ChatMessage> messages = new ArrayList<>();
        for (Message m : request.conversation().messages()) {
            if (!m.images().isEmpty()) {
                return PolicyResponse.failure(PolicyErrorKind.BAD_REQUEST, "image content is not supported: the"
                        + " in-process model reads text only", Usage.NONE, millis(start), 1);
            }
            messages.add(new ChatMessage(m.role().wireName(), m.text()));
        }
        Sampling s = request.sampling();
        long seed = s.seed() != null ? s.seed() : ThreadLocalRandom.current().nextLong();
        List<Completion> completions;
        ChatModel.Prompt prompt;
        try {
            prompt = model.prompt(messages);
            SamplingParams params = new SamplingParams(s.temperature() == null ? 1.0 : s.temperature(), 0,
                    s.topP() == null ? 1.0 : s.topP(), s.minP() == null ? 0.0 : s.minP(), 1.0, s.maxTokens(), Set.of(),
                    seed);
            completions = model.complete(prompt, params, List.of(), request.n());
        } catch (ChatTemplateException e) {
            return PolicyResponse.failure(PolicyErrorKind.BAD_REQUEST, e.getMessage(), Usage.NONE, millis(start), 1);
        } catch (IllegalArgumentException e) {
            PolicyErrorKind kind = e.getMessage().contains("maximum context length") ? PolicyErrorKind.CONTEXT_TOO_LONG
                    : PolicyErrorKind.BAD_REQUEST;
            return PolicyResponse.failure(kind, e.getMessage(), Usage.NONE, millis(start), 1);
        }
        List<Candidate> candidates = new ArrayList<>();
        long completionTokens = 0;
        for (Completion c : completions) {
            List<Double> logprobs = new ArrayList<>();
            if (s.logprobs()) {
                for (float lp : c.sample().rawLogProbs()) {
                    logprobs.add((double) lp);
                }
            }
            completionTokens += c.completionTokens();
            candidates.add(new Candidate(c.text(), c.completionTokens(), c.finishReason().openAiName(), logprobs));
        }
        return PolicyResponse.of(candidates, new Usage(prompt.ids().length, completionTokens), millis(start), 1);
    }

    private static long millis(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Override
    public void close() {
        model.close();
    }
}
