"""Reads a `renderloop data build` dataset the way training tools do, and prints what it found as one JSON line.

Usage: python check_hf.py DATASET_DIR TOKENIZER_DIR

- every configuration's Parquet through `datasets.load_dataset("parquet", ...)`, rows equal to the JSONL;
- the features are exactly `messages` (list of {role, content}) and `images` (list of strings), every image path
  exists and is announced by one `<image>` per image in the user turn;
- TRL's `SFTTrainer` (text model: the tiny random Qwen2 checkpoint at TOKENIZER_DIR) tokenises the text2code rows
  with the chat template and its data collator turns a batch into tensors; one optimiser step runs;
- TRL's vision collator (`DataCollatorForVisionLanguageModeling`, what `SFTTrainer` uses for image datasets) turns a
  batch of image2code and of optimise rows into tensors, with a tiny LLaVA-style processor built here (the same
  tokenizer with an `<image>` token, a 28x28 CLIP image processor, 14-pixel patches: 4 image tokens an image; no
  download, CPU only). TRL puts the image blocks in the user turn itself, so the `<image>` placeholders that
  LLaMA-Factory and ms-swift want in the text are removed first, and the image paths are opened relative to the
  dataset folder.
Exits non-zero with the reason on the first mismatch.
"""
import json
import os
import sys

import datasets
import pyarrow.parquet as pq
import trl
from PIL import Image
from transformers import AutoModelForCausalLM, AutoTokenizer, CLIPImageProcessorPil, LlavaProcessor
from trl.trainer.sft_trainer import DataCollatorForVisionLanguageModeling

# A Qwen-style chat template that renders TRL's structured content: image blocks become the processor's <image> token.
VISION_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<image>{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
TOKENS_PER_IMAGE = (28 // 14) ** 2


def vision_processor(model_dir):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    images = CLIPImageProcessorPil(size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28})
    return LlavaProcessor(image_processor=images, tokenizer=tokenizer, chat_template=VISION_TEMPLATE, patch_size=14,
                          vision_feature_select_strategy="full", num_additional_image_tokens=0)


def vision_batch(dataset_dir, config, processor, size=4):
    ds = datasets.load_dataset("parquet", data_files={"train": os.path.join(dataset_dir, config + ".parquet")}, split="train")
    examples = []
    for row in ds.select(range(min(size, len(ds)))):
        messages = [dict(m, content=m["content"].replace("<image>", "")) if m["role"] == "user" else dict(m)
                    for m in row["messages"]]
        images = [Image.open(os.path.join(dataset_dir, p)).convert("RGB") for p in row["images"]]
        examples.append({"messages": messages, "images": images})
    batch = DataCollatorForVisionLanguageModeling(processor)(examples)
    n_images = sum(len(e["images"]) for e in examples)
    image_token = processor.tokenizer.convert_tokens_to_ids("<image>")
    image_tokens = int((batch["input_ids"] == image_token).sum())
    assert batch["input_ids"].shape[0] == len(examples), (config, batch["input_ids"].shape)
    assert batch["labels"].shape == batch["input_ids"].shape, config
    assert list(batch["pixel_values"].shape) == [n_images, 3, 28, 28], (config, batch["pixel_values"].shape)
    assert image_tokens == TOKENS_PER_IMAGE * n_images, (config, image_tokens, n_images)
    return {"rows": len(examples), "images": n_images, "input_ids": list(batch["input_ids"].shape),
            "pixel_values": list(batch["pixel_values"].shape), "image_tokens": image_tokens}


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
    processor = vision_processor(model_dir)
    report["vision"] = {"collator": DataCollatorForVisionLanguageModeling.__name__,
                        "configs": {c: vision_batch(dataset_dir, c, processor) for c in ("image2code", "optimise")}}
    print(json.dumps(report))


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2])
    except AssertionError as e:
        print("mismatch: " + repr(e.args), file=sys.stderr)
        sys.exit(1)
