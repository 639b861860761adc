"""What the run time of a fine-tuned encoder needs, shared by both shipped models: the tokenizer with
its marker tokens, and a CPU onnxruntime session. Only ``tokenizers`` and ``onnxruntime``."""

from __future__ import annotations

from pathlib import Path
from typing import Self

import onnxruntime as ort
from tokenizers import Tokenizer


def cpu_session(path: str | Path, threads: int = 1) -> ort.InferenceSession:
    """One onnxruntime session on the CPU, ``threads`` intra-op threads (one worker per core: 1)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class MarkerTokenizer:
    """A WordPiece tokenizer whose two added special tokens mark a span: ``start`` … ``end``."""

    markers: tuple[str, str] = ("[E]", "[/E]")

    def __init__(self, tokenizer: Tokenizer, max_length: int = 128) -> None:
        if max_length < 8:
            raise ValueError("max_length must be at least 8")
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.cls_id = self._id("[CLS]")
        self.sep_id = self._id("[SEP]")
        self.pad_id = self._id("[PAD]")
        self.start_id = self._id(self.markers[0])
        self.end_id = self._id(self.markers[1])

    @classmethod
    def from_file(cls, path: str | Path, max_length: int = 128) -> Self:
        return cls(Tokenizer.from_file(str(path)), max_length=max_length)

    def _id(self, token: str) -> int:
        token_id = self.tokenizer.token_to_id(token)
        if token_id is None:
            raise ValueError(f"the tokenizer has no {token} token")
        return int(token_id)

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=False)
