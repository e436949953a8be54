package dev.renderloop.cli;

import dev.renderloop.agent.Agent;
import dev.renderloop.agent.AgentConfig;
import dev.renderloop.agent.AgentRun;
import dev.renderloop.agent.ApiDocumentation;
import dev.renderloop.agent.Attempt;
import dev.renderloop.agent.AttemptJson;
import dev.renderloop.agent.InstalledApiDocumentation;
import dev.renderloop.agent.PolicyUnavailableException;
import dev.renderloop.agent.ReferenceScorer;
import dev.renderloop.agent.Strategy;
import dev.renderloop.policy.Policies;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.PolicySpec;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderResult;
import dev.renderloop.task.Suite;
import dev.renderloop.task.Suites;
import dev.renderloop.task.TargetImage;
import dev.renderloop.task.Task;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code renderloop generate}: one task through a policy and a strategy, every attempt logged. */
@Command(name = "generate", description = "Generate code for a description (or target image) with a policy and a strategy, "
        + "render it, and print the attempt log.")
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--domain", required = true, description = "manim, matplotlib, rdkit, svg, smiles, html or tikz.")
    String domain;

    @Option(names = "--strategy", defaultValue = "ritl", description = "vanilla, ritl, ritl-doc or ritl-vis (default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--policy", required = true, paramLabel = "SPEC",
            description = "openai:MODEL@BASE_URL (an OpenAI-compatible server), local:MODEL_DIR[+ADAPTER_DIR] (the in-process model), "
            + "retrieval, oracle or oracle-defects:SEED.")
    String policySpec;

    @Parameters(arity = "0..1", paramLabel = "DESCRIPTION", description = "What to draw (or use --task).")
    String description;

    @Option(names = "--task", paramLabel = "ID", description = "A task of the bundled suite of the domain (description, reference and target).")
    String taskId;

    @Option(names = "--reference", paramLabel = "FILE", description = "Reference code (the oracle answers with it).")
    Path reference;

    @Option(names = "--target", paramLabel = "PNG", description = "Target image, for image-to-code.")
    Path target;

    @Option(names = "--corpus", paramLabel = "JSONL", description = "Training tasks for the retrieval baseline "
            + "(a suite JSONL, or the ManimBench JSONL); default: the domain's bundled suite.")
    Path corpus;








    @Option(names = "--out", paramLabel = "DIR", description = "Where the code, render and logs go (default: runs/generate-TIMESTAMP).")
    Path out;

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    AgentOptions agentOptions;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter outWriter = spec.commandLine().getOut();
        Strategy chosen;
        Task task;
        try {
            String unknown = RenderDomains.problem(domain);
            if (unknown != null) {
                throw new IllegalArgumentException(unknown);
            }
            chosen = Strategy.parse(strategy);
            PolicySpec.parse(policySpec);
            task = task();
        } catch (IllegalArgumentException | IOException e) {
            err.println("renderloop generate: " + e.getMessage());
            return ExitCode.USAGE;
        }
        Path dir = out != null ? out : Path.of("runs", "generate-" + Instant.now().toString().replace(':', '-'));
        Files.createDirectories(dir);
        AgentConfig config = agentOptions.config();
        try (ModelOptions.Models models = modelOptions.open();
             RenderEngine engine = engineOptions.builder().build();
             ReferenceScorer scorer = new ReferenceScorer(engine, models.clip(), models.dino(), models.codebert());
             Policy policy = policy(policySpec, task);
             Policy critic = chosen == Strategy.RITL_VIS ? policy(agentOptions.criticSpec != null ? agentOptions.criticSpec : policySpec, task) : null) {
            Agent.Builder agent = Agent.builder().policy(policy).engine(engine).config(config);
            if (!task.code().isBlank()) {
                agent.scorer(scorer);
            }
            InstalledApiDocumentation docs = null;
            if (chosen == Strategy.RITL_DOC) {
                docs = documentation(engine);
                agent.documentation(docs);
            }
            if (critic != null) {
                agent.critic(critic);
            }
            Path log = dir.resolve("attempts.jsonl");
            AgentRun run;
            try (BufferedWriter w = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                run = agent.build().run(task, chosen, a -> {
                    try {
                        w.write(ResultJson.JSON.copy().disable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                                .writeValueAsString(AttemptJson.of(task.id(), chosen, a)));
                        w.newLine();
                        w.flush();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    outWriter.println(line(a));
                    outWriter.flush();
                });
            } finally {
                if (docs != null) {
                    docs.close();
                }
            }
            Path code = dir.resolve("final." + extension(domain));
            Files.writeString(code, run.finalCode(), StandardCharsets.UTF_8);
            copyRender(run.finalRender(), dir.resolve("render"));
            Map<String, Object> record = new LinkedHashMap<>(AttemptJson.summary(run));
            record.put("provenance", provenance(engine, config, docs));
            Files.writeString(dir.resolve("run.json"), ResultJson.write(record), StandardCharsets.UTF_8);
            outWriter.printf(Locale.ROOT, "%s: %s after %d repair(s); code %s, render %s, log %s%n",
                    task.id(), run.success() ? "rendered" : "failed", run.repairs(), code, dir.resolve("render"), log);
            return run.success() ? ExitCode.OK : ExitCode.RENDER_FAILED;
        } catch (PolicyUnavailableException e) {
            // No answer came (unreachable server, rejected key, ...): nothing to repair, and not the model's failure.
            err.println("renderloop generate: " + e.getMessage() + "; the attempts before it are in " + dir.resolve("attempts.jsonl"));
            return ExitCode.INTERNAL;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("renderloop generate: " + e.getMessage());
            return ExitCode.USAGE;
        }
    }

    private Task task() throws IOException {
        Task base = null;
        if (taskId != null) {
            if (!Suites.BUNDLED.contains(domain)) {
                throw new IllegalArgumentException("--task needs a bundled suite; domains with one: " + Suites.BUNDLED);
            }
            base = Suites.bundled(domain).tasks().stream().filter(t -> t.id().equals(taskId)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no task " + taskId + " in the bundled " + domain + " suite"));
        }
        String text = description != null ? description : base != null ? base.description() : "";
        String code = reference != null ? readReference() : base != null ? base.code() : "";
        TargetImage image = target != null ? TargetImage.ofFile(target) : base != null ? base.target() : null;
        if (target != null && !Files.isRegularFile(target)) {
            throw new IllegalArgumentException("no such target image: " + target);
        }
        if (text.isBlank() && image == null) {
            throw new IllegalArgumentException("give a non-empty DESCRIPTION, a --target image or a --task");
        }
        return new Task(base != null ? base.id() : "cli", domain, text, code, image, base != null ? base.level() : null);
    }

    private String readReference() throws IOException {
        if (!Files.isRegularFile(reference)) {
            throw new IllegalArgumentException("no such reference file: " + reference);
        }
        return Files.readString(reference, StandardCharsets.UTF_8);
    }

    private Policy policy(String specText, Task task) throws IOException {
        PolicySpec s = PolicySpec.parse(specText);
        if (s.kind() == PolicySpec.Kind.ORACLE && task.code().isBlank()) {
            throw new IllegalArgumentException("the oracle answers with the reference code: give --task or --reference");
        }
        if (s.kind() == PolicySpec.Kind.RETRIEVAL) {
            Suite suite;
            if (corpus != null) {
                if (!Files.isRegularFile(corpus)) {
                    throw new IllegalArgumentException("no such corpus file: " + corpus);
                }
                suite = Suites.readJsonl(corpus, domain);
            } else if (Suites.BUNDLED.contains(domain)) {
                suite = Suites.bundled(domain);
            } else {
                throw new IllegalArgumentException("the retrieval baseline for " + domain + " needs --corpus (e.g. the ManimBench JSONL)");
            }
            return Policies.retrieval(suite.tasks());
        }
        return Policies.create(specText, agentOptions.apiKeyEnv, 8, agentOptions.timeout());
    }

    private InstalledApiDocumentation documentation(RenderEngine engine) throws IOException {
        String pkg = switch (domain) {
            case "manim", "matplotlib", "rdkit" -> domain;
            default -> throw new IllegalArgumentException("ritl-doc looks names up in an installed Python package: "
                    + "only manim, matplotlib and rdkit have one");
        };
        Path root = Path.of(System.getProperty("user.home"), ".cache", "renderloop", "apidoc");
        return new InstalledApiDocumentation(engine.installedApi(pkg), root);
    }

    private static String line(Attempt a) {
        String outcome;
        if (a.policyError() != null) {
            outcome = "policy error " + a.policyError().wireName() + ": " + a.policyMessage();
        } else if (a.step().equals("critique")) {
            outcome = a.note();
        } else if (a.code().code().isBlank()) {
            outcome = "no code in the answer";
        } else if (a.render() == null) {
            outcome = "code extracted (" + a.code().source().name().toLowerCase(Locale.ROOT) + "), not rendered yet";
        } else if (a.render().ok()) {
            outcome = "rendered, " + a.render().frames().size() + " frame(s)";
        } else {
            outcome = "render failed: " + a.render().errorKind().wireName() + ": " + a.render().errorTail(1);
        }
        String docs = a.docs().isEmpty() ? "" : String.format(Locale.ROOT, " [docs: %d names, %d unresolved]", a.docs().size(),
                a.docs().stream().filter(d -> !d.resolved()).count());
        String note = a.note().isEmpty() || a.step().equals("critique") ? "" : " [" + a.note() + "]";
        StringBuilder scores = new StringBuilder();
        for (var m : a.scores()) {
            if (m.available() && List.of("codebleu", "ssim", "tiled", "vs_corrected_ssim", "vs_paper", "vs_corrected").contains(m.name())) {
                scores.append(scores.isEmpty() ? " {" : ", ").append(String.format(Locale.ROOT, "%s %.3f", m.name(), m.value()));
            }
        }
        if (!scores.isEmpty()) {
            scores.append('}');
        }
        return String.format(Locale.ROOT, "round %d %-14s %s%s%s%s (%d+%d tokens, %d ms)", a.round(), a.step(), outcome, scores, docs, note,
                a.promptTokens(), a.completionTokens(), a.policyMillis());
    }

    private static String extension(String domain) {
        return switch (domain) {
            case "manim", "matplotlib", "rdkit" -> "py";
            case "tikz" -> "tex";
            case "smiles" -> "smi";
            default -> domain;
        };
    }

    private static void copyRender(RenderResult r, Path dir) throws IOException {
        Files.createDirectories(dir);
        if (r == null || !r.ok()) {
            Files.writeString(dir.resolve("error.txt"), r == null ? "no code to render\n" : r.errorKind().wireName() + "\n" + r.error() + "\n");
            return;
        }
        for (Path f : r.frames()) {
            Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
        if (r.media() != null && !r.frames().contains(r.media())) {
            Files.copy(r.media(), dir.resolve(r.media().getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private Map<String, Object> provenance(RenderEngine engine, AgentConfig config, ApiDocumentation docs) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("renderloop", RenderLoopCommand.class.getPackage().getImplementationVersion());
        p.put("commit", System.getProperty("renderloop.commit", "unknown (not started through ./renderloop in a git checkout)"));
        p.put("java", Runtime.version().toString());
        p.put("policy", policySpec);
        p.put("strategy", strategy);
        p.put("max_repairs", config.maxRepairs());
        p.put("sampling", Map.of("temperature", agentOptions.temperature, "max_tokens", agentOptions.maxTokens, "seed", agentOptions.seed));
        p.put("renderer_version", engine.availability(domain).toString());
        p.put("sandbox", engine.sandboxDescription());
        p.put("api_docs", docs == null ? null : docs.source());
        p.put("finished", Instant.now().toString());
        return p;
    }
}
