"""TRL's GRPOTrainer calling renderloop_reward's reward function for one real training step, against the real
service (RENDERLOOP_REWARD_URL) on the project's tiny random Qwen2 checkpoint (RENDERLOOP_TINY_MODEL). Skipped,
with the reason, where TRL is not importable or the service is not running."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import renderloop_reward as rr  # noqa: E402

try:
    import trl  # noqa: F401
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer
    TRL = None
except ImportError as e:  # pragma: no cover - depends on the interpreter
    TRL = "TRL is not importable here: %s" % e

URL = os.environ.get("RENDERLOOP_REWARD_URL")
MODEL = os.environ.get("RENDERLOOP_TINY_MODEL")
SVG_REF = ("<svg xmlns='http://www.w3.org/2000/svg' width='64' height='64'>"
           "<circle cx='32' cy='32' r='20' fill='blue'/></svg>")


@unittest.skipIf(TRL, TRL)
@unittest.skipUnless(URL and MODEL, "RENDERLOOP_REWARD_URL or RENDERLOOP_TINY_MODEL is not set: run through PythonClientsIT")
class GrpoTrainerCallsTheService(unittest.TestCase):
    def test_one_grpo_step_scores_its_completions_through_the_service(self):
        calls = []
        inner = rr.make_trl_reward(domain="svg")

        def renderloop_reward(prompts, completions, **columns):
            rewards = inner(prompts=prompts, completions=completions, **columns)
            calls.append((list(completions), rewards))
            return rewards

        data = Dataset.from_dict({
            "prompt": ["Draw a blue circle in SVG.", "Draw a blue circle as SVG markup."],
            "reference_code": [SVG_REF, SVG_REF],
        })
        with tempfile.TemporaryDirectory() as out:
            args = GRPOConfig(output_dir=out, max_steps=1, per_device_train_batch_size=2, num_generations=2,
                              max_completion_length=8, logging_steps=1, report_to=[], save_strategy="no",
                              use_cpu=True, seed=7, bf16=False, fp16=False)
            trainer = GRPOTrainer(model=MODEL, reward_funcs=[renderloop_reward], args=args, train_dataset=data)
            trainer.train()
        self.assertTrue(calls, "GRPOTrainer never called the reward function")
        completions, rewards = calls[0]
        self.assertEqual(len(completions), len(rewards))
        # the trainer got exactly what the service answers for these completions
        direct = rr.RewardClient().score([{"id": str(i), "domain": "svg", "answer": rr._completion_text(c),
                                           "reference_code": SVG_REF} for i, c in enumerate(completions)])
        self.assertEqual([r["reward"] for r in direct], rewards)
        logged = [h for h in trainer.state.log_history if "rewards/renderloop_reward/mean" in h]
        self.assertTrue(logged, trainer.state.log_history)


if __name__ == "__main__":
    unittest.main()
