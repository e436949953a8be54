"""Reads a `renderloop data build` dataset the way training tools do, and prints what it found as one JSON line.

Usage: python check_hf.py DATASET_DIR TOKENIZER_DIR

- every configuration's Parquet through `datasets.load_dataset("parquet", ...)`, rows equal to the JSONL;
- the features are exactly `messages` (list of {role, content}) and `images` (list of strings), every image path
  exists and is announced by one `<image>` per image in the user turn;
- TRL's `SFTTrainer` (text model: the tiny random Qwen2 checkpoint at TOKENIZER_DIR) tokenises the text2code rows
  with the chat template and its data collator turns a batch into tensors; one optimiser step runs.
Exits non-zero with the reason on the first mismatch.
"""
import json
import os
import sys

import datasets
import pyarrow.parquet as pq
import trl
from transformers import AutoModelForCausalLM, AutoTokenizer


def main(dataset_dir, model_dir):
    report = {"datasets": datasets.__version__, "trl": trl.__version__, "configs": {}}
    for config in ("text2code", "image2code", "optimise"):
        parquet = os.path.join(dataset_dir, config + ".parquet")
        ds = datasets.load_dataset("parquet", data_files={"train": parquet}, split="train")
        names = list(ds.features)
        assert names == ["messages", "images"], (config, names)
        schema = str(pq.read_schema(parquet))
        with open(os.path.join(dataset_dir, config + ".jsonl"), encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        assert len(rows) == len(ds), (config, len(rows), len(ds))
        for i, (row, expected) in enumerate(zip(ds, rows)):
            assert row["messages"] == expected["messages"], (config, i)
            assert row["images"] == expected["images"], (config, i)
            assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"], (config, i)
            assert row["messages"][1]["content"].count("<image>") == len(row["images"]), (config, i)
            for image in row["images"]:
                path = os.path.join(dataset_dir, image)
                assert os.path.isfile(path), path
                with open(path, "rb") as img:
                    assert img.read(8) == b"\x89PNG\r\n\x1a\n", path
        report["configs"][config] = {"rows": len(ds), "schema": schema.replace("\n", "; ")}

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    train = datasets.load_dataset("parquet", data_files={"train": os.path.join(dataset_dir, "text2code.parquet")},
                                  split="train").remove_columns("images").select(range(4))
    args = trl.SFTConfig(output_dir=os.path.join(dataset_dir, ".trl-check"), per_device_train_batch_size=4, max_steps=1,
                         max_length=512, report_to=[], use_cpu=True, save_strategy="no", logging_strategy="no",
                         dataset_num_proc=None, seed=0)
    trainer = trl.SFTTrainer(model=model, args=args, train_dataset=train, processing_class=tokenizer)
    batch = next(iter(trainer.get_train_dataloader()))
    assert batch["input_ids"].shape[0] == 4, batch["input_ids"].shape
    assert batch["labels"].shape == batch["input_ids"].shape
    collator = type(trainer.data_collator).__name__
    result = trainer.train()
    report["sft"] = {"collator": collator, "batch_shape": list(batch["input_ids"].shape),
                     "train_loss": float(result.training_loss)}
    print(json.dumps(report))


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2])
    except AssertionError as e:
        print("mismatch: " + repr(e.args), file=sys.stderr)
        sys.exit(1)
