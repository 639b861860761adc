"""QuoteAttributor on small hand-written passages (real spaCy parse, entities made by hand)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.enrich.quotes import QuoteAttributor
from streams.models import Entity, Quote, Span


def entities(text: str, *specs: tuple[str, str, tuple[str, ...]]) -> list[Entity]:
    """Entities from (name, type, surface forms): every whole-word occurrence is a mention."""
    out: list[Entity] = []
    for name, kind, forms in specs:
        mentions: list[Span] = []
        for form in forms:
            for m in re.finditer(rf"(?<!\w){re.escape(form)}(?!\w)", text):
                if not any(s["start"] <= m.start() < s["end"] for s in mentions):
                    mentions.append(Span(start=m.start(), end=m.end(), text=form))
        mentions.sort(key=lambda s: s["start"])
        out.append(
            Entity(
                id=f"{kind.lower()}:{name.lower().replace(' ', '-')}", name=name, type=kind, mentions=mentions
            )
        )
    return out


STARMER = ("Keir Starmer", "PERSON", ("Keir Starmer", "Starmer"))
MELONI = ("Giorgia Meloni", "PERSON", ("Giorgia Meloni", "Meloni"))
STUBB = ("Alexander Stubb", "PERSON", ("Alexander Stubb", "Stubb"))
BBC = ("BBC", "ORG", ("BBC",))


@pytest.fixture(scope="module")
def attributor() -> QuoteAttributor:
    return QuoteAttributor()


def run(nlp, attributor: QuoteAttributor, text: str, *specs) -> list[Quote]:
    doc = nlp(text)
    quotes = attributor.attribute(doc, entities(text, *specs))
    for q in quotes:  # every quote is well formed
        assert 0 <= q["start"] < q["end"] <= len(text)
        if q["speaker_span"] is not None:
            assert q["speaker_span"]["start"] < q["speaker_span"]["end"]
    return quotes


def only(quotes: list[Quote], kind: str) -> list[Quote]:
    return [q for q in quotes if q["kind"] == kind]


def test_curly_quote_before_reporting_clause_with_venue(nlp, attributor):
    text = "“We have to find those countries in Europe that are ready,” Starmer told the BBC on Sunday."
    (q,) = only(run(nlp, attributor, text, STARMER, BBC), "direct")
    assert q["text"] == "We have to find those countries in Europe that are ready"
    assert text[q["start"] : q["end"]] == q["text"]
    assert q["speaker"] == "person:keir-starmer" and q["speaker_name"] == "Keir Starmer"
    assert (
        q["speaker_span"] is not None
        and text[q["speaker_span"]["start"] : q["speaker_span"]["end"]] == "Starmer"
    )
    assert q["cue"] == "told"
    assert q["venue"] == "BBC"


def test_straight_quotes_and_media_venue(nlp, attributor):
    text = 'Finland\'s president spoke in London. "The only thing that Putin understands is power," Stubb told Bloomberg TV.'
    (q,) = only(run(nlp, attributor, text, STUBB), "direct")
    assert q["text"] == "The only thing that Putin understands is power"
    assert q["speaker_name"] == "Alexander Stubb"
    assert q["venue"] == "Bloomberg TV"


def test_quote_interrupted_by_he_said_keeps_speaker_and_pronoun_resolved(nlp, attributor):
    text = (
        "Keir Starmer met the leaders in London on Sunday. “We have now agreed on a plan,” he said. "
        "“We will discuss that plan with the United States.”"
    )
    first, second = only(run(nlp, attributor, text, STARMER), "direct")
    assert first["text"] == "We have now agreed on a plan"
    assert second["text"] == "We will discuss that plan with the United States."
    for q in (first, second):  # one attribution in two pieces: same speaker, span and cue
        assert q["speaker"] == "person:keir-starmer"
        assert (
            q["speaker_span"] is not None
            and text[q["speaker_span"]["start"] : q["speaker_span"]["end"]] == "he"
        )
        assert q["cue"] == "said"
        assert text[q["start"] : q["end"]] == q["text"]


def test_multi_sentence_quote_then_speaker(nlp, attributor):
    text = "“It is very important. We must avoid the risk that the West divides,” Meloni told Starmer."
    (q,) = only(run(nlp, attributor, text, MELONI, STARMER), "direct")
    assert q["text"] == "It is very important. We must avoid the risk that the West divides"
    assert q["speaker_name"] == "Giorgia Meloni"
    assert q["venue"] is None  # a person addressed is not a venue


def test_speaker_first_with_colon_and_comma(nlp, attributor):
    text = "Stubb said on Sunday: “Russia will not stop with Ukraine.” Meloni added, “We must stay together.”"
    quotes = only(run(nlp, attributor, text, STUBB, MELONI), "direct")
    assert [(q["text"], q["speaker_name"]) for q in quotes] == [
        ("Russia will not stop with Ukraine.", "Alexander Stubb"),
        ("We must stay together.", "Giorgia Meloni"),
    ]


def test_indirect_said_that_and_partial_quote(nlp, attributor):
    text = (
        "Keir Starmer said that a “coalition of the willing” was needed to provide Ukraine with guarantees."
    )
    (q,) = run(nlp, attributor, text, STARMER)
    assert q["kind"] == "indirect"
    assert "“coalition of the willing”" in q["text"]
    assert q["text"].endswith("guarantees")
    assert q["speaker"] == "person:keir-starmer"
    assert q["cue"] == "said"


def test_according_to_role_speaker_is_literal_and_unresolved(nlp, attributor):
    text = "Starmer will tell leaders that they need to face reality about defense spending, according to a British official."
    (q,) = run(nlp, attributor, text, STARMER)
    assert q["cue"] == "according to"
    assert q["speaker"] is None
    assert q["speaker_name"] == "a British official"
    assert q["text"].startswith("Starmer will tell leaders")


def test_parenthetical_the_official_said(nlp, attributor):
    text = "The administration wants a public apology from the president, one European official said."
    (q,) = run(nlp, attributor, text)
    assert q["kind"] == "indirect"
    assert q["speaker"] is None and q["speaker_name"] == "one European official"
    assert q["text"] == "The administration wants a public apology from the president"


def test_pronoun_after_unresolved_role_stays_null(nlp, attributor):
    text = (
        "Keir Starmer spoke on Sunday. Later the prime minister met the press. "
        "He said it was better to keep talking with both sides."
    )
    (q,) = [q for q in run(nlp, attributor, text, STARMER) if q["cue"] == "said"]
    assert q["speaker"] is None  # "He" follows "the prime minister", which the entities do not resolve
    assert q["speaker_name"] is None
    assert q["speaker_span"] is not None


def test_pronoun_resolves_to_role_when_entities_link_it(nlp, attributor):
    text = (
        "Keir Starmer spoke on Sunday. Later the prime minister met the press. "
        "He said it was better to keep talking with both sides."
    )
    spec = ("Keir Starmer", "PERSON", ("Keir Starmer", "the prime minister"))
    (q,) = [q for q in run(nlp, attributor, text, spec) if q["cue"] == "said"]
    assert q["speaker"] == "person:keir-starmer"


def test_paragraph_continuation_of_a_direct_quote(nlp, attributor):
    text = (
        "“The only thing that Putin understands is power,” Stubb told reporters.\n\n"
        "“You show any kind of weakness and he will go after you.”\n\nThe summit ended."
    )
    first, second = only(run(nlp, attributor, text, STUBB), "direct")
    assert second["text"] == "You show any kind of weakness and he will go after you."
    assert first["speaker_span"] == second["speaker_span"] and second["speaker_name"] == "Alexander Stubb"


def test_multi_paragraph_quote_left_open(nlp, attributor):
    text = (
        "Meloni said in a statement:\n\n“We must keep the alliance together. The West cannot divide.\n\n"
        "“That is our duty.”\n\nThe talks go on."
    )
    first, second = only(run(nlp, attributor, text, MELONI), "direct")
    assert first["text"] == "We must keep the alliance together. The West cannot divide."
    assert second["text"] == "That is our duty."
    assert {first["speaker_name"], second["speaker_name"]} == {"Giorgia Meloni"}


def test_scare_quotes_are_not_quotes(nlp, attributor):
    text = "The leaders want a “lasting peace” and a plan for security guarantees."
    assert run(nlp, QuoteAttributor(learned=False), text) == []
    # The learned cue model may report the leaders' position (PolNeAR counts "want" as a cue), but
    # never the scare-quoted words as a quotation of their own.
    for quote in run(nlp, attributor, text):
        assert quote["kind"] == "indirect"
        assert quote["text"] != "lasting peace"


def test_quote_without_speaker_is_not_guessed(nlp, attributor):
    text = "Keir Starmer arrived in Paris.\n\n“This will not be easy.”\n\nThe talks begin on Monday."
    assert only(run(nlp, attributor, text, STARMER), "direct") == []


def test_empty_doc(nlp, attributor):
    assert attributor.attribute(nlp(""), []) == []


def test_options(nlp):
    text = "Keir Starmer believes that the plan will work for Ukraine."
    assert QuoteAttributor().attribute(nlp(text), entities(text, STARMER))
    assert QuoteAttributor(cognition=False, learned=False).attribute(nlp(text), entities(text, STARMER)) == []


def test_seed_quotes_validate_against_the_enriched_schema(nlp, seed_article):
    import json
    from pathlib import Path

    import jsonschema

    from streams.enrich.entities import EntityResolver

    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "schemas" / "article.enriched.v1.json").read_text()
    )
    quote_schema = {"$defs": schema["$defs"], "type": "array", "items": {"$ref": "#/$defs/quote"}}
    doc = nlp(seed_article.body)
    quotes = QuoteAttributor().attribute(doc, EntityResolver().resolve(doc))
    assert len(quotes) >= 10
    jsonschema.validate(quotes, quote_schema)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(
            [
                "“",
                "”",
                '"',
                "\n",
                "\n\n",
                " he said",
                ", Starmer told the BBC",
                ": ",
                "We will win",
                ".",
                ",",
                " according to officials",
                " that",
                " Meloni added",
            ]
        ),
        max_size=25,
    )
)
def test_any_mix_of_marks_and_clauses_gives_well_formed_quotes(nlp, parts):
    text = "Keir Starmer spoke." + "".join(parts)
    run(nlp, QuoteAttributor(), text, STARMER, MELONI)
