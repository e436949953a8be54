package dev.renderloop.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Answers with the task's reference code, fenced with the domain's language tag: the upper bound of every
 * metric, and a way to validate metrics and the repair loop without a model.
 *
 * <p>With a seed, each first answer carries one seeded {@link Defect} (the same seed and task give the same
 * defect); a repair request is answered with the clean reference, so the loop is exercised end to end.
 * Critiques are not supported (the oracle cannot see).
 */
final class OraclePolicy implements Policy {
    private final Long seed;

    OraclePolicy(Long seed) {
        this.seed = seed;
    }

    @Override
    public String name() {
        return seed == null ? "oracle" : "oracle-defects:" + seed;
    }

    @Override
    public boolean baseline() {
        return true;
    }

    @Override
    public PolicyResponse respond(PolicyRequest request) {
        long start = System.nanoTime();
        if (request.purpose() == Purpose.CRITIQUE) {
            return PolicyResponse.failure(PolicyErrorKind.UNSUPPORTED, name() + " cannot critique renders", Usage.NONE, 0, 1);
        }
        String reference = request.task().code();
        String domain = request.task().domain();
        List<Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < request.n(); i++) {
            if (seed == null || request.purpose() == Purpose.REPAIR) {
                candidates.add(Candidate.ofText(CodeFences.wrap(domain, reference), request.purpose() == Purpose.REPAIR ? "clean reference (repair)" : "reference"));
            } else {
                // Candidate i of a task gets its own stream, so n candidates differ and reruns agree.
                Random random = new Random(seed * 1_000_003L + request.task().id().hashCode() * 31L + i);
                DefectSeeder.Seeded s = DefectSeeder.seed(reference, domain, random);
                candidates.add(Candidate.ofText(CodeFences.wrap(domain, s.code()),
                        s.defect() == null ? "reference (no defect site)" : "defect: " + s.defect()));
            }
        }
        return PolicyResponse.of(candidates, Usage.NONE, (System.nanoTime() - start) / 1_000_000, 1);
    }
}
