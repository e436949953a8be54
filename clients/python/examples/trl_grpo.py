"""TRL: GRPO with rewards from a RenderLoop reward service.

    renderloop serve-reward --port 8100 --warm matplotlib &      # or replicas behind a load balancer
    RENDERLOOP_REWARD_URL=http://127.0.0.1:8100 python trl_grpo.py MODEL_DIR

The dataset has a prompt, the domain and the reference program per row; TRL passes the extra columns to the reward
function, which sends each step's completions to the service as one batch.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from datasets import Dataset  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

from renderloop_reward import make_trl_reward  # noqa: E402

REFERENCE = "import matplotlib.pyplot as plt\nplt.bar(['a', 'b', 'c'], [3, 1, 2], color='tab:green')\n"

data = Dataset.from_list([
    {"prompt": [{"role": "user", "content": "Plot a green bar chart of a=3, b=1, c=2 with matplotlib. "
                                             "Answer with one ```python block."}],
     "domain": "matplotlib", "reference_code": REFERENCE},
] * 64)

reward = make_trl_reward(reward="vincicoder")  # 0.9 * tiled + 0.1 * format, as VinciCoder trains

args = GRPOConfig(
    output_dir="grpo-renderloop",
    num_generations=8,
    per_device_train_batch_size=8,
    max_completion_length=512,
    logging_steps=1,
)
trainer = GRPOTrainer(model=sys.argv[1], reward_funcs=[reward], args=args, train_dataset=data)
trainer.train()
