"""A cheap, explainable check that a body is English before spending the English model on it.

Two signals, both measured on the text itself: the share of letters that are Latin script, and the
share of words that are common English function words (running English prose sits near 40-50 %;
French, German or Spanish prose near 5-15 %). Short texts pass: there is too little to judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass(frozen=True, slots=True)
class LanguageVerdict:
    english: bool
    latin_ratio: float
    stopword_ratio: float
    words: int

    def explain(self) -> str:
        return (
            f"{self.latin_ratio:.0%} of letters are Latin script and {self.stopword_ratio:.0%} of "
            f"{self.words} words are common English words"
        )


def judge_english(
    text: str,
    *,
    min_latin_ratio: float = 0.6,
    min_stopword_ratio: float = 0.15,
    min_words_to_judge: int = 20,
    sample_chars: int = 20_000,
) -> LanguageVerdict:
    sample = text[:sample_chars]
    letters = [ch for ch in sample if ch.isalpha()]
    latin = sum(1 for ch in letters if ch.isascii())
    latin_ratio = latin / len(letters) if letters else 0.0
    words = _WORD.findall(sample)
    stop = sum(1 for word in words if word.lower() in STOP_WORDS)
    stopword_ratio = stop / len(words) if words else 0.0
    if not letters:
        return LanguageVerdict(False, latin_ratio, stopword_ratio, len(words))
    if len(words) < min_words_to_judge and latin_ratio >= min_latin_ratio:
        return LanguageVerdict(True, latin_ratio, stopword_ratio, len(words))
    english = latin_ratio >= min_latin_ratio and stopword_ratio >= min_stopword_ratio
    return LanguageVerdict(english, latin_ratio, stopword_ratio, len(words))
