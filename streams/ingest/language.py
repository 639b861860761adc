"""Is a body English? Language identification by py3langid (langid.py's model, shipped in its package).

What is judged is the *prose* of the body: lines that are mostly numbers (results tables, price lists,
market figures) say nothing about the language and would only add noise, so they are left out; a
line written all in capitals (a headline) is lower-cased first. When too little prose is left, the
whole body is judged; when even that is too short, the body passes (there is too little to judge).

The identifier is restricted to the languages a news wire is expected to carry (a setting), which
keeps a list of English names from being taken for Tagalog or Latin. A body is refused only when
another language wins and the probability that it is not English is above ``min_confidence`` (a
setting, ``STANCEWIRE_LANGUAGE_MIN_CONFIDENCE``); the verdict names the winner, for the dead letter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# The languages the identifier chooses among, by default (ISO 639-1; py3langid's codes).
# fmt: off
DEFAULT_CANDIDATES: tuple[str, ...] = (
    "en", "fr", "de", "es", "it", "pt", "nl", "pl", "tr", "ru", "uk", "ar", "zh", "ja", "ko", "sv", "da",
    "no", "fi", "cs", "sk", "hu", "ro", "el", "he", "fa", "hi", "ur", "bn", "id", "ms", "vi", "th", "bg",
    "sr", "hr", "sl", "ca", "et", "lv", "lt", "sw",
)
# fmt: on
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "tr": "Turkish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "ar": "Arabic",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "sv": "Swedish",
    "da": "Danish",
    "no": "Norwegian",
    "fi": "Finnish",
    "cs": "Czech",
    "sk": "Slovak",
    "hu": "Hungarian",
    "ro": "Romanian",
    "el": "Greek",
    "he": "Hebrew",
    "fa": "Persian",
    "hi": "Hindi",
    "ur": "Urdu",
    "bn": "Bengali",
    "id": "Indonesian",
    "ms": "Malay",
    "vi": "Vietnamese",
    "th": "Thai",
    "bg": "Bulgarian",
    "sr": "Serbian",
    "hr": "Croatian",
    "sl": "Slovenian",
    "ca": "Catalan",
    "et": "Estonian",
    "lv": "Latvian",
    "lt": "Lithuanian",
    "sw": "Swahili",
}  # fmt: skip

DEFAULT_MIN_CONFIDENCE = 0.9
# A line is prose when at most this share of its whitespace-separated tokens holds a digit ...
MAX_NUMERIC_TOKEN_SHARE = 0.2
# ... and it has at least this many letters.
MIN_LINE_LETTERS = 20
# Below this many letters of prose the whole body is judged; below it for the whole body, nothing is.
MIN_LETTERS_TO_JUDGE = 40
SAMPLE_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class LanguageVerdict:
    english: bool
    language: str  # ISO 639-1 code of the best language ("und" when there was too little to judge)
    confidence: float  # its normalised probability among the candidates
    judged_chars: int  # characters of text the identifier saw
    prose: bool  # True when prose lines were judged, False when the whole body was
    not_english: float = 0.0  # the probability that it is not English (1 - English's share)

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)

    def explain(self) -> str:
        what = "its prose" if self.prose else "the whole body"
        return (
            f"the body is in {self.language_name} ({self.language}, probability {self.confidence:.2f}; "
            f"not English {self.not_english:.2f}, on {self.judged_chars} characters of {what})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.language,
            "name": self.language_name,
            "confidence": round(self.confidence, 4),
            "not_english": round(self.not_english, 4),
        }


def _has_letters(text: str, at_least: int) -> bool:
    """Whether ``text`` has ``at_least`` letters, stopping as soon as it is known (a line of prose:
    within its first words; the language check runs on every raw article)."""
    count = 0
    for ch in text:
        if ch.isalpha():
            count += 1
            if count >= at_least:
                return True
    return count >= at_least


def _has_digit(token: str) -> bool:
    # Most tokens are words: a token of letters only has no digit (no character is both).
    return not token.isalpha() and any(ch.isdigit() for ch in token)


def prose_of(text: str) -> str:
    """The lines of ``text`` that are running words, not tables of numbers (capitals lower-cased)."""
    kept: list[str] = []
    for line in text.splitlines():
        tokens = line.split()
        if not tokens:
            continue
        numeric = sum(1 for token in tokens if _has_digit(token))
        if numeric > MAX_NUMERIC_TOKEN_SHARE * len(tokens) or not _has_letters(line, MIN_LINE_LETTERS):
            continue
        kept.append(line.lower() if line.isupper() else line)
    return "\n".join(kept)


@lru_cache(maxsize=4)
def _identifier(candidates: tuple[str, ...]) -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(candidates))
    return identifier


def judge_english(
    text: str,
    *,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    candidates: Sequence[str] = DEFAULT_CANDIDATES,
) -> LanguageVerdict:
    """English unless another of ``candidates`` wins on the body's prose with ``min_confidence``."""
    sample = text[:SAMPLE_CHARS]
    judged, prose = prose_of(sample), True
    if not _has_letters(judged, MIN_LETTERS_TO_JUDGE):
        judged, prose = (sample.lower() if sample.isupper() else sample), False
    if not _has_letters(judged, MIN_LETTERS_TO_JUDGE):
        return LanguageVerdict(True, "und", 0.0, len(judged), prose, 0.0)
    ranked = _identifier(tuple(dict.fromkeys(["en", *candidates]))).rank(judged)
    code, confidence = ranked[0]
    not_english = 1.0 - next((p for lang, p in ranked if lang == "en"), 0.0)
    # Close languages split their share (Indonesian / Malay, Danish / Norwegian): what must be
    # confident is that the body is not English; the verdict names the best of the others.
    english = code == "en" or not_english <= min_confidence
    return LanguageVerdict(english, code, float(confidence), len(judged), prose, float(not_english))
