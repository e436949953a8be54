"""TRL's side of `renderloop perf train`: GRPO steps with trl's own GRPOTrainer, timed per phase.

Usage: python perf_train_trl.py MODEL_DIR CONFIG_JSON OUT_JSON

CONFIG_JSON (written by PerfTrainCommand, the same values its in-process side uses):
  prompts         the prompts' user messages (chat-formatted by the tokenizer's template, as TRL does)
  group           completions per prompt (num_generations)
  max_new_tokens  max_completion_length
  temperature, lr, beta, loss_type, epsilon, epsilon_high, max_grad_norm, seed
  lora            {"r", "alpha", "modules"}: a fresh PEFT adapter (dropout 0)
  reward_table    the fixed reward: reward_table[ord(first non-space character) % len(table)], 0 for an empty
                  completion (the colour toy's rule without rendering, so that rendering does not dominate)
  warmup_steps, timed_steps
  threads         torch intra-op threads (0: torch's default)

Every step is one generation batch (len(prompts) prompts x group completions, steps_per_generation 1,
num_iterations 1) and one optimizer step. The phases of a step, measured with wall-clock time around trl's
own methods (nothing of trl is re-implemented here):
  sampling          GRPOTrainer._generate (chat template, tokenising, model.generate, decoding)
  rewards           GRPOTrainer._calculate_rewards
  optimizer         torch.optim's step (global optimizer step hooks)
  forward_backward  the rest of the step, from the Trainer's on_step_begin to on_step_end callbacks: the
                    reference log-probs, advantages, the loss's forward, backward, gradient clipping and the
                    Trainer's bookkeeping
Writes one JSON object to OUT_JSON (stdout carries the Trainer's own log lines): versions, threads, attention implementation and, per timed step, the phases,
the total and the mean completion length.
"""
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main():
    model_dir, config_path, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(config_path) as f:
        cfg = json.load(f)

    import torch
    if cfg.get("threads", 0) > 0:
        torch.set_num_threads(cfg["threads"])

    import peft
    import transformers
    import trl
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    transformers.logging.set_verbosity_error()
    table = cfg["reward_table"]

    def colour_reward(completions, **kwargs):
        out = []
        for c in completions:
            text = c[0]["content"] if isinstance(c, list) else c
            text = text.strip()
            out.append(0.0 if not text else float(table[ord(text[0]) % len(table)]))
        return out

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    group = cfg["group"]
    prompts = cfg["prompts"]
    steps = cfg["warmup_steps"] + cfg["timed_steps"]
    dataset = Dataset.from_dict({"prompt": [[{"role": "user", "content": p}] for p in prompts]})
    with tempfile.TemporaryDirectory() as workdir:
        args = GRPOConfig(
            output_dir=workdir, per_device_train_batch_size=len(prompts) * group, num_generations=group,
            steps_per_generation=1, num_iterations=1, gradient_accumulation_steps=1,
            max_completion_length=cfg["max_new_tokens"], temperature=cfg["temperature"], top_k=0, top_p=1.0,
            learning_rate=cfg["lr"], lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0,
            max_grad_norm=cfg["max_grad_norm"], beta=cfg["beta"], loss_type=cfg["loss_type"],
            epsilon=cfg["epsilon"], epsilon_high=cfg["epsilon_high"], max_steps=steps, seed=cfg["seed"],
            logging_steps=1, report_to=[], save_strategy="no", use_cpu=True, bf16=False,
            disable_tqdm=True, log_completions=False)
        lora = LoraConfig(task_type="CAUSAL_LM", r=cfg["lora"]["r"], lora_alpha=cfg["lora"]["alpha"],
                          lora_dropout=0.0, target_modules=cfg["lora"]["modules"])
        trainer = GRPOTrainer(model=model, reward_funcs=[colour_reward], args=args, train_dataset=dataset,
                              processing_class=tokenizer, peft_config=lora)

        phases = {"sampling": 0.0, "rewards": 0.0, "optimizer": 0.0}
        lengths = []

        def timed(name, fn):
            def wrapper(*a, **kw):
                t0 = time.perf_counter()
                try:
                    return fn(*a, **kw)
                finally:
                    phases[name] += time.perf_counter() - t0
            return wrapper

        generate = trainer._generate

        def generate_and_count(*a, **kw):
            out = timed("sampling", generate)(*a, **kw)
            # (prompt_ids, completion_ids, ...): completion_ids is a list of id lists
            lengths.append(sum(len(c) for c in out[1]) / max(1, len(out[1])))
            return out

        trainer._generate = generate_and_count
        trainer._calculate_rewards = timed("rewards", trainer._calculate_rewards)
        optimizer_start = {}

        def pre_hook(optimizer, a, kw):
            optimizer_start["t"] = time.perf_counter()

        def post_hook(optimizer, a, kw):
            phases["optimizer"] += time.perf_counter() - optimizer_start.pop("t")

        from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook
        register_optimizer_step_pre_hook(pre_hook)
        register_optimizer_step_post_hook(post_hook)
        records = []

        class StepTimer(TrainerCallback):
            def on_step_begin(self, args, state, control, **kw):
                for k in phases:
                    phases[k] = 0.0
                self.began = time.perf_counter()

            def on_step_end(self, args, state, control, **kw):
                total = time.perf_counter() - self.began
                rest = total - phases["sampling"] - phases["rewards"] - phases["optimizer"]
                records.append({"sampling": phases["sampling"], "rewards": phases["rewards"],
                                "forward_backward": rest, "optimizer": phases["optimizer"], "total": total,
                                "completion_length": lengths[-1] if lengths else None})

        trainer.add_callback(StepTimer())
        trainer.train()

    if len(records) != steps:
        raise SystemExit(f"expected {steps} timed steps, the trainer ran {len(records)}")
    with open(out_path, "w") as f:
        json.dump({
            "versions": f"torch {torch.__version__}, transformers {transformers.__version__}, "
                        f"peft {peft.__version__}, trl {trl.__version__}",
            "threads": torch.get_num_threads(),
            "attn_implementation": model.config._attn_implementation,
            "steps": records[cfg["warmup_steps"]:],
        }, f)


if __name__ == "__main__":
    main()
