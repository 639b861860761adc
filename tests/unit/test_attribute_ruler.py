"""The remembering attribute ruler gives every token the same annotations as spaCy's own."""

from __future__ import annotations

import numpy as np
import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.attrs import DEP, LEMMA, MORPH, POS, TAG

from bench.corpus import build_corpus
from streams.enrich.attribute_ruler import RememberingAttributeRuler, install
from streams.settings import get_settings

COLUMNS = [POS, TAG, MORPH, LEMMA, DEP]
#: Words that the multi-token and context rules of the English ruler look at, among plain words.
WORDS = [
    "gon", "na", "got", "ta", "let", "'s", "ai", "n't", "nt", "There", "there", "is", "are", "was",
    "'re", "I", "you", "it", "do", "did", "have", "had", "'d", "but", "that", "which", "to", "the",
    "Minister", "Putin", "said", "will", "sanctions", "support", "Kyiv", "on", "Monday", ",", ".",
    "\"", "  ", "\n", "-", "not", "been", "being", "say", "says", "called", "for", "a", "ban",
]  # fmt: skip


@pytest.fixture(scope="module")
def pipelines():
    name = get_settings().spacy_model
    stock, remembering = spacy.load(name), spacy.load(name)
    assert install(remembering)
    assert isinstance(remembering.get_pipe("attribute_ruler"), RememberingAttributeRuler)
    assert stock.pipe_names == remembering.pipe_names
    return stock, remembering


def assert_same(pipelines, texts: list[str]) -> None:
    stock, remembering = pipelines
    for text, a, b in zip(texts, stock.pipe(texts), remembering.pipe(texts), strict=True):
        assert a.text == b.text
        differ = np.nonzero((a.to_array(COLUMNS) != b.to_array(COLUMNS)).any(axis=1))[0]
        assert not differ.size, (
            f"{text[:60]!r}: token {a[int(differ[0])].text!r} is "
            f"{a[int(differ[0])].pos_}/{a[int(differ[0])].morph}/{a[int(differ[0])].lemma_} with spaCy's "
            f"ruler, {b[int(differ[0])].pos_}/{b[int(differ[0])].morph}/{b[int(differ[0])].lemma_} here"
        )


def test_the_same_annotations_as_spacys_ruler_on_news(pipelines):
    articles, _origin = build_corpus(40)  # PolNeAR news where ../shared is beside, else the seed
    assert_same(pipelines, [a.body for a in articles])


def test_the_same_on_the_rules_over_two_tokens_and_on_whitespace(pipelines):
    assert_same(
        pipelines,
        [
            "I'm gonna say it: there's no deal, and we ain't gotta pretend. Let's go.",
            "There are  two\n\nspaces, and it was\tthere. Was it? You did, but I didn't.",
            "Which one? That which he had done, he had done; do it, did he say.",
        ],
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30))
def test_the_same_on_any_mix_of_the_words_the_rules_name(pipelines, words):
    assert_same(pipelines, [" ".join(words)])


def test_patterns_added_later_are_used():
    nlp = spacy.load(get_settings().spacy_model)
    install(nlp)
    ruler = nlp.get_pipe("attribute_ruler")
    assert isinstance(ruler, RememberingAttributeRuler)
    nlp("Warm the memory with the word zyzzyva.")
    ruler.add([[{"LOWER": "zyzzyva"}]], {"LEMMA": "beetle"})
    assert nlp("A zyzzyva.")[1].lemma_ == "beetle"
