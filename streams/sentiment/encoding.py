"""Turning (text, start, end) into model input ids: the target marked with ``[TGT] … [/TGT]``.

Training and the runtime share this code, so what the model saw when it learned is exactly what it
sees at run time. Only the ``tokenizers`` package is used (no transformers, no torch).

The text is cut in three pieces (left of the target, the target, right of it), the pieces are encoded
in one batch and joined as ``[CLS] left [TGT] target [/TGT] right [SEP]``. The markers are added
special tokens, so the tokenizer splits the text at them anyway: encoding the pieces apart gives the
same ids as encoding the marked text whole. A text longer than ``max_length`` tokens keeps a window
around the target (as much left and right context as fits, split evenly), so the target is always in.
"""

from __future__ import annotations

from collections.abc import Sequence

from streams.inference import MarkerTokenizer

TARGET_START = "[TGT]"
TARGET_END = "[/TGT]"
#: Characters kept on each side of the target before tokenizing (a token is at least one character,
#: and a WordPiece token of this vocabulary rarely more than a dozen): ample for any window.
CHAR_CONTEXT_PER_TOKEN = 16


class TargetEncoder(MarkerTokenizer):
    """Encodes (text, start, end) items to id lists of at most ``max_length`` tokens."""

    markers = (TARGET_START, TARGET_END)

    @property
    def target_start_id(self) -> int:
        return self.start_id

    @property
    def target_end_id(self) -> int:
        return self.end_id

    def encode(self, items: Sequence[tuple[str, int, int]]) -> list[list[int]]:
        """Ids with ``[CLS]``, markers and ``[SEP]``, one list per item, in the items' order."""
        if not items:
            return []
        chars = self.max_length * CHAR_CONTEXT_PER_TOKEN
        pieces: list[str] = []
        for text, start, end in items:
            pieces.append(text[max(0, start - chars) : start])
            pieces.append(text[start:end])
            pieces.append(text[end : end + chars])
        encoded = self.tokenizer.encode_batch(pieces, add_special_tokens=False)
        budget = self.max_length - 4  # [CLS] [TGT] [/TGT] [SEP]
        out: list[list[int]] = []
        for index in range(len(items)):
            left, target, right = (encoded[3 * index + k].ids for k in range(3))
            target = target[:budget]
            room = budget - len(target)
            if len(left) + len(right) > room:
                keep_left = min(len(left), max(room // 2, room - len(right)))
                keep_right = min(len(right), room - keep_left)
                left = left[len(left) - keep_left :] if keep_left else []
                right = right[:keep_right]
            out.append(
                [self.cls_id, *left, self.target_start_id, *target, self.target_end_id, *right, self.sep_id]
            )
        return out
