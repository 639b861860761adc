"""spaCy's ``attribute_ruler`` with its single-token rules remembered per kind of token: same output.

The English pipelines map the tagger's fine tags to coarse POS and morphology (and fix a few lemmas)
with about 180 Matcher rules run over every token of every doc (what that costs the analyze path:
docs/performance.md, "The analyze path, session 10"). Nearly all of those rules look at one token,
and only at its ``TAG``, ``LOWER``, ``DEP`` and ``IS_SPACE``: two tokens that agree on these four match the same
rules. This component runs spaCy's own Matcher once per such kind of token (on that token alone) and
remembers the rules that matched; rules over several tokens still run as a Matcher over the doc.
The attributes are then set with spaCy's own ``set_token_attrs``, rule by rule in the order the
original component applies them (by rule, later rules winning), so every token ends with the same
``pos``, ``tag``, ``morph`` and ``lemma`` as with ``attribute_ruler`` (tests/unit/test_attribute_ruler.py
compares both over real news).

:func:`install` swaps it in for the pipeline's ``attribute_ruler``, patterns and name unchanged.
"""

from __future__ import annotations

from typing import Any

from spacy.attrs import DEP, IS_SPACE, LOWER, TAG
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc
from spacy.tokens._retokenize import set_token_attrs

FACTORY = "stancewire_attribute_ruler"
#: The token attributes a single-token rule may read; a rule reading any other is not remembered.
_KEY_ATTRS = ("TAG", "LOWER", "DEP", "IS_SPACE")
#: Kinds of token remembered before the memory is cleared (it keys on the lower-case word).
MAX_REMEMBERED = 200_000


class RememberingAttributeRuler(AttributeRuler):
    """An :class:`AttributeRuler` whose single-token rules are matched once per kind of token."""

    def __init__(self, vocab: Any, name: str = "attribute_ruler", **kwargs: Any) -> None:
        super().__init__(vocab, name, **kwargs)
        self._single: Matcher | None = None
        self._multi: Matcher | None = None
        self._remembered: dict[tuple[int, ...], tuple[tuple[int, ...], dict[Any, Any]]] = {}

    def clear(self) -> None:
        super().clear()
        self._single = self._multi = None  # rebuilt on the next doc

    def add(self, patterns: Any, attrs: dict[Any, Any], index: int = 0) -> None:
        super().add(patterns, attrs, index)
        self._single = self._multi = None

    def _build(self) -> None:
        single = Matcher(self.vocab, validate=self.validate)
        multi = Matcher(self.vocab, validate=self.validate)
        for rule in range(len(self.attrs)):
            key = self.vocab.strings[str(rule)]
            _on_match, patterns = self.matcher.get(str(rule))
            for tokens in patterns:
                remembered = len(tokens) == 1 and all(attr in _KEY_ATTRS for attr in tokens[0])
                (single if remembered else multi).add(key, [tokens])
        self._single, self._multi = single, multi
        self._remembered = {}

    def _rules_of(self, doc: Doc, i: int, kind: tuple[int, ...]) -> tuple[tuple[int, ...], dict[Any, Any]]:
        """The single-token rules that token ``i`` matches (by rule order) and their merged attrs."""
        found = self._remembered.get(kind)
        if found is None:
            assert self._single is not None
            matches = self._single(doc[i : i + 1], allow_missing=True, as_spans=False)
            rules = tuple(sorted({int(self.vocab.strings[match_id]) for match_id, _, _ in matches}))
            merged: dict[Any, Any] = {}
            for rule in rules:
                merged.update(self.attrs[rule])
            if len(self._remembered) >= MAX_REMEMBERED:
                self._remembered.clear()
            found = self._remembered[kind] = (rules, merged)
        return found

    def __call__(self, doc: Doc) -> Doc:
        error_handler = self.get_error_handler()
        try:
            if self._single is None or self._multi is None:
                self._build()
            assert self._multi is not None
            extra: dict[int, list[int]] = {}
            for match_id, start, end in self._multi(doc, allow_missing=True, as_spans=False):
                rule = int(self.vocab.strings[match_id])
                # as AttributeRuler.set_annotations: the rule's index into the matched span
                position = range(start, end)[self.indices[rule]]
                extra.setdefault(position, []).append(rule)
            kinds = doc.to_array([TAG, LOWER, DEP, IS_SPACE]).tolist()
            for i, token in enumerate(doc):
                rules, merged = self._rules_of(doc, i, tuple(kinds[i]))
                if i in extra:
                    for rule in sorted(set(rules) | set(extra[i])):
                        set_token_attrs(token, self.attrs[rule])
                elif merged:
                    set_token_attrs(token, merged)
            return doc
        except Exception as e:
            return error_handler(self.name, self, [doc], e)


@Language.factory(FACTORY, default_config={"validate": False})
def make_remembering_attribute_ruler(nlp: Language, name: str, validate: bool) -> RememberingAttributeRuler:
    return RememberingAttributeRuler(nlp.vocab, name, validate=validate)


def install(nlp: Language) -> bool:
    """Replace the pipeline's ``attribute_ruler`` by the remembering one with the same patterns.
    False when the pipeline has none (or it is not spaCy's)."""
    if "attribute_ruler" not in nlp.pipe_names:
        return False
    original = nlp.get_pipe("attribute_ruler")
    if type(original) is not AttributeRuler:
        return False
    patterns = original.patterns
    replacement = nlp.replace_pipe("attribute_ruler", FACTORY, config={"validate": original.validate})
    assert isinstance(replacement, RememberingAttributeRuler)
    replacement.add_patterns(patterns)
    return True
