"""Quotation marks: where quoted stretches of the text are, read on the characters (curly pairs,
straight pairs, a quote left open to the end of its paragraph), merged into blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass

OPEN_QUOTES = "“„«"
CLOSE_QUOTES = "”»"
STRAIGHT_QUOTE = '"'
MARKS = OPEN_QUOTES + CLOSE_QUOTES + STRAIGHT_QUOTE
QUOTE_CHARS = re.compile(r"[“”„«»\"\n]")
TERMINAL = re.compile(r"[.!?…][”\"’)\]]*\s+")
FULL_BEFORE = re.compile(r"(?:^|[.!?:;…—–]|[”\"’]|\n)\s*$")
GAP_BEFORE_CLAUSE = re.compile(r"[\s,—–-]{0,4}")
GAP_AFTER_COLON = re.compile(r":\s*$")
WORD = re.compile(r"\w+")
LEADING_DET = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


@dataclass(slots=True)
class Block:
    """Adjacent quoted pieces (outer offsets, marks included) read as one stretch of quotation."""

    pieces: list[tuple[int, int]]
    full: bool  # begins a sentence (or follows a colon), i.e. is not embedded in narrative
    taken: bool = False

    @property
    def start(self) -> int:
        return self.pieces[0][0]

    @property
    def end(self) -> int:
        return self.pieces[-1][1]


def quote_blocks(text: str) -> list[Block]:
    """Quoted stretches of ``text``, adjacent ones (only whitespace between) merged into blocks."""
    pieces: list[tuple[int, int, bool]] = []  # (start, end, closed)
    open_at = -1
    straight = False
    for m in QUOTE_CHARS.finditer(text):
        ch = m.group()
        i = m.start()
        if ch == "\n":
            if open_at >= 0:
                pieces.append((open_at, i, False))
            open_at, straight = -1, False
        elif ch in OPEN_QUOTES or (ch == STRAIGHT_QUOTE and open_at < 0):
            open_at, straight = i, ch == STRAIGHT_QUOTE
        elif open_at >= 0 and (ch in CLOSE_QUOTES or (ch == STRAIGHT_QUOTE and straight)):
            pieces.append((open_at, i + 1, True))
            open_at, straight = -1, False
    if open_at >= 0:
        pieces.append((open_at, len(text), False))
    blocks: list[Block] = []
    prev_closed = True
    for start, end, closed in pieces:
        if not WORD.search(text, start, end):
            continue
        if blocks:
            gap = text[blocks[-1].end : start]
            if not gap.strip() and ("\n" not in gap or not prev_closed):
                blocks[-1].pieces.append((start, end))
                prev_closed = closed
                continue
        full = bool(FULL_BEFORE.search(text, max(0, start - 4), start)) or start == 0
        blocks.append(Block([(start, end)], full))
        prev_closed = closed
    return blocks


def inner_pieces(text: str, block: Block) -> list[tuple[int, int]]:
    return [strip_marks(text, s, e) for s, e in block.pieces]


def strip_marks(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start] in MARKS or text[start].isspace()):
        start += 1
    while end > start and (text[end - 1] in MARKS or text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


def ends_sentence(text: str, block: Block) -> bool:
    inner = text[block.pieces[-1][0] : block.pieces[-1][1]].rstrip(MARKS + " ")
    return inner.endswith((".", "!", "?", "…")) or not text[block.end : block.end + 3].strip()
