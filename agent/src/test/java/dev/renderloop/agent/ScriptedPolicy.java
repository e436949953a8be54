package dev.renderloop.agent;

import dev.renderloop.policy.Candidate;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.PolicyRequest;
import dev.renderloop.policy.PolicyResponse;
import dev.renderloop.policy.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** A test double that answers from a function of the request and remembers every request. */
final class ScriptedPolicy implements Policy {
    final List<PolicyRequest> requests = new ArrayList<>();
    private final Function<PolicyRequest, String> answers;

    ScriptedPolicy(Function<PolicyRequest, String> answers) {
        this.answers = answers;
    }

    @Override
    public String name() {
        return "scripted";
    }

    @Override
    public synchronized PolicyResponse respond(PolicyRequest request) {
        requests.add(request);
        return PolicyResponse.of(List.of(Candidate.ofText(answers.apply(request), "")), new Usage(10, 5), 1, 1);
    }

    static List<String> lastUserTexts(List<PolicyRequest> requests) {
        List<String> out = new ArrayList<>();
        for (PolicyRequest r : requests) {
            out.add(r.conversation().last().text());
        }
        return out;
    }
}
