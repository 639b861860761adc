"""EntityResolver on the seed (acceptance 1, against a hand-made gold file) and on made-up texts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.enrich.entities import EntityResolver
from streams.models import Entity
from streams.settings import Settings

GOLD_DIR = Path(__file__).resolve().parent.parent / "gold"
PHRASE_WORD = re.compile(r"\b(?:in|at|with|from|told|said|and|of the)\b")


@pytest.fixture(scope="module")
def resolver() -> EntityResolver:
    return EntityResolver.from_settings(Settings(gazetteer_extra=""))


@pytest.fixture(scope="module")
def seed_entities(nlp, resolver, seed_article) -> list[Entity]:
    return resolver.resolve(nlp(seed_article.body), seed_article.published)


@pytest.fixture(scope="module")
def gold(seed_article) -> dict:
    return json.loads((GOLD_DIR / f"{seed_article.article_id}.entities.json").read_text(encoding="utf-8"))


def spans(entity: Entity) -> set[tuple[int, int]]:
    return {(m["start"], m["end"]) for m in entity["mentions"]}


def owner_of(entities: list[Entity], start: int, end: int) -> list[Entity]:
    return [e for e in entities if (start, end) in spans(e)]


def resolve(nlp, resolver: EntityResolver, text: str, published: str | None = None) -> list[Entity]:
    return resolver.resolve(nlp(text), published)


def by_name(entities: list[Entity], name: str) -> Entity:
    found = [e for e in entities if e["name"] == name]
    assert len(found) == 1, f"{name!r}: {[(e['id'], e['name']) for e in entities]}"
    return found[0]


def texts_of(entity: Entity) -> list[str]:
    return [m["text"] for m in entity["mentions"]]


# --- acceptance 1: the seed --------------------------------------------------------------------------


def test_gold_file_matches_the_seed_text(gold, seed_article):
    body = seed_article.body
    assert gold["article_id"] == seed_article.article_id
    assert sum(len(p["mentions"]) for p in gold["people"]) == 35
    for item in [*(m for p in gold["people"] for m in p["mentions"]), *gold["role_mentions"]]:
        assert body[item["start"] : item["end"]] == item["text"]


def test_each_seed_person_is_one_person_entity_with_their_mentions(gold, seed_entities):
    found = 0
    for person in gold["people"]:
        owners = {e["id"] for m in person["mentions"] for e in owner_of(seed_entities, m["start"], m["end"])}
        assert len(owners) == 1, f"{person['name']} split over {owners}"
        entity = next(e for e in seed_entities if e["id"] in owners)
        assert entity["type"] == "PERSON"
        assert entity["name"].split()[-1].startswith(person["name"].split()[-1][:7])
        covered = sum((m["start"], m["end"]) in spans(entity) for m in person["mentions"])
        found += covered
        assert covered >= 0.9 * len(person["mentions"]), person["name"]
    assert found >= 0.95 * 35


def test_seed_people_have_stable_ids(seed_entities):
    trump = by_name(seed_entities, "Donald Trump")
    assert trump["id"] == "Q22686" and trump["wikidata"] == "Q22686"
    zelenskyy = by_name(seed_entities, "Volodymyr Zelenskyy")
    assert zelenskyy["id"] == "Q3874799"
    starmer = by_name(seed_entities, "Keir Starmer")
    assert starmer["id"] == "person:keir-starmer" and starmer["wikidata"] is None


def test_seed_zelenskiy_tagged_org_by_spacy_is_a_person(seed_entities):
    zelenskyy = by_name(seed_entities, "Volodymyr Zelenskyy")
    assert zelenskyy["type"] == "PERSON"
    assert texts_of(zelenskyy).count("Zelenskiy") == 4


def test_seed_country_groupings(gold, seed_entities):
    for group in gold["groups"]:
        owners = {e["id"] for m in group["mentions"] for e in owner_of(seed_entities, m["start"], m["end"])}
        assert len(owners) == 1, f"{group['name']}: {owners}"
        entity = next(e for e in seed_entities if e["id"] in owners)
        assert entity["name"] == group["name"] and entity["type"] == "GPE"
        assert spans(entity) >= {(m["start"], m["end"]) for m in group["mentions"]}
    assert by_name(seed_entities, "United Kingdom")["id"] == "Q145"
    assert by_name(seed_entities, "United States")["id"] == "Q30"


def test_seed_no_entity_is_a_list_or_a_phrase(seed_entities):
    for entity in seed_entities:
        for mention in entity["mentions"]:
            text = mention["text"]
            assert "," not in text and ";" not in text and "\n" not in text, mention
            assert not PHRASE_WORD.search(text), mention
        assert "," not in entity["name"] or entity["id"] == "place:washington-dc"


def test_seed_roles_link_to_people(gold, seed_entities):
    for role in gold["role_mentions"]:
        owners = owner_of(seed_entities, role["start"], role["end"])
        assert [e["name"] for e in owners] in (
            [role["person"]],
            [by_name(seed_entities, role["person"])["name"]],
        ), role


def test_seed_mentions_are_valid_offsets(seed_entities, seed_article):
    body = seed_article.body
    taken: dict[tuple[int, int], str] = {}
    for entity in seed_entities:
        assert entity["mentions"] == sorted(entity["mentions"], key=lambda m: m["start"])
        for m in entity["mentions"]:
            assert 0 <= m["start"] < m["end"] <= len(body)
            assert body[m["start"] : m["end"]] == m["text"]
            assert (m["start"], m["end"]) not in taken
            taken[(m["start"], m["end"])] = entity["id"]
    assert len({e["id"] for e in seed_entities}) == len(seed_entities)


# --- people no list knows ---------------------------------------------------------------------------------

OKONKWO = (
    "Maria Okonkwo, the chief executive of Zentra Labs, said on Monday that the company would expand. "
    "Okonkwo told reporters that revenue had doubled. Okonkwo's plan was welcomed by investors, "
    "and Okonkwo said more hiring would follow."
)


def test_surname_links_to_full_name_of_unknown_person(nlp, resolver):
    entities = resolve(nlp, resolver, OKONKWO)
    person = by_name(entities, "Maria Okonkwo")
    assert person["id"] == "person:maria-okonkwo" and person["type"] == "PERSON"
    assert texts_of(person) == ["Maria Okonkwo", "Okonkwo", "Okonkwo", "Okonkwo"]
    assert not any(e["name"] == "Okonkwo" for e in entities)


def test_same_full_name_gets_the_same_id_in_another_article(nlp, resolver):
    first = by_name(resolve(nlp, resolver, OKONKWO), "Maria Okonkwo")
    other = resolve(
        nlp, resolver, "Investors met Maria Okonkwo in Abuja on Friday. Okonkwo declined to comment."
    )
    assert by_name(other, "Maria Okonkwo")["id"] == first["id"]


def test_surname_before_the_full_name_links_too(nlp, resolver):
    text = "Halvorsen wins again. Ingrid Halvorsen, the Norwegian skier, took gold on Sunday in Oslo."
    entities = resolve(nlp, resolver, text)
    person = by_name(entities, "Ingrid Halvorsen")
    assert {"Halvorsen", "Ingrid Halvorsen"} <= set(texts_of(person))


def test_transliteration_variants_are_one_person(nlp, resolver):
    text = (
        "Ukrainian President Volodymyr Zelensky met reporters. Zelenskyy's aides said the talks went well, "
        "and Zelenskiy later thanked the Finnish government."
    )
    entities = resolve(nlp, resolver, text)
    person = by_name(entities, "Volodymyr Zelenskyy")
    assert texts_of(person) == ["Volodymyr Zelensky", "Zelenskyy", "Zelenskiy"]
    assert by_name(entities, "Ukraine")["type"] == "GPE"
    assert by_name(entities, "Finland")["mentions"][0]["text"] == "Finnish"


def test_unknown_person_variant_spellings_merge(nlp, resolver):
    text = "Olena Kovalenkiy spoke first. Later Kovalenky repeated the warning, and Kovalenkyy agreed."
    entities = resolve(nlp, resolver, text)
    person = by_name(entities, "Olena Kovalenkiy")
    assert len(person["mentions"]) >= 2
    assert not [e for e in entities if e["type"] == "PERSON" and e is not person]


def test_two_people_with_one_surname(nlp, resolver):
    text = (
        "Hillary Clinton and Bill Clinton arrived in Iowa. Clinton said she would win the caucus. "
        "Bill said nothing."
    )
    entities = resolve(nlp, resolver, text, "2016-01-30")
    hillary = by_name(entities, "Hillary Clinton")
    bill = by_name(entities, "Bill Clinton")
    assert "Clinton" in texts_of(hillary)
    assert texts_of(bill) == ["Bill Clinton", "Bill"]


def test_titles_are_not_part_of_names(nlp, resolver):
    text = "Spokeswoman Haley Morris said the campaign was ready. Morris added that Dr. Ada Nwosu agreed."
    entities = resolve(nlp, resolver, text)
    assert by_name(entities, "Haley Morris")["id"] == "person:haley-morris"
    assert all(not m["text"].startswith(("Spokeswoman", "Dr")) for e in entities for m in e["mentions"])


def test_partial_span_is_extended_to_the_known_name(nlp, resolver):
    text = "Andrés Manuel López Obrador criticized the report. López Obrador said the report was false."
    entities = resolve(nlp, resolver, text, "2020-01-01")
    person = by_name(entities, "Andrés Manuel López Obrador")
    assert "López Obrador" in texts_of(person)


# --- roles ---------------------------------------------------------------------------------------------------


def test_role_tied_by_apposition_to_an_unknown_person(nlp, resolver):
    text = (
        "Brazil's foreign minister, Mauro Vieira, arrived in Geneva on Monday. "
        "The Brazilian foreign minister said the talks would be difficult."
    )
    entities = resolve(nlp, resolver, text)
    person = by_name(entities, "Mauro Vieira")
    assert texts_of(person) == ["Mauro Vieira", "foreign minister"]
    assert person["mentions"][1]["start"] > text.index("The Brazilian")


def test_role_follows_the_date(nlp, resolver):
    text = "The US president met the Chinese president in Beijing on Tuesday."
    in_2016 = resolve(nlp, resolver, text, "2016-03-01")
    assert by_name(in_2016, "Barack Obama")["mentions"][0]["text"] == "president"
    assert by_name(in_2016, "Xi Jinping")["mentions"][0]["text"] == "president"
    assert by_name(resolve(nlp, resolver, text, "2022-06-01"), "Joe Biden")
    assert by_name(resolve(nlp, resolver, text, "2025-06-01"), "Donald Trump")
    undated = resolve(nlp, resolver, text)
    assert not [e for e in undated if e["type"] == "PERSON"]


def test_bare_role_with_several_holders_stays_unlinked(nlp, resolver):
    text = (
        "French President Emmanuel Macron met Finnish President Alexander Stubb. "
        "The president said little after the meeting."
    )
    entities = resolve(nlp, resolver, text, "2025-03-01")
    last = text.rindex("president")
    assert not owner_of(entities, last, last + len("president"))


def test_former_role_is_not_the_incumbent(nlp, resolver):
    text = "The former US president spoke in Ohio."
    entities = resolve(nlp, resolver, text, "2025-03-01")
    assert not [e for e in entities if e["type"] == "PERSON"]


# --- countries, bodies, misfires --------------------------------------------------------------------


def test_demonyms_and_short_forms(nlp, resolver):
    text = (
        "The U.S. and the U.K. signed a deal with the EU. British officials said Britain's allies agreed, "
        "and American diplomats in the United States welcomed it. Ukrainian and Italian ministers joined."
    )
    entities = resolve(nlp, resolver, text)
    assert set(texts_of(by_name(entities, "United Kingdom"))) >= {"U.K.", "British", "Britain"}
    assert set(texts_of(by_name(entities, "United States"))) >= {"U.S.", "American", "United States"}
    assert by_name(entities, "European Union")["id"] == "Q458"
    assert by_name(entities, "Ukraine")["id"] == "Q212"
    assert by_name(entities, "Italy")["id"] == "Q38"


def test_acronym_in_parentheses_is_the_same_entity(nlp, resolver):
    text = "The Council on Foreign Relations (CFR) published a report. The CFR said China and Russia agreed."
    entities = resolve(nlp, resolver, text)
    cfr = by_name(entities, "Council on Foreign Relations")
    assert texts_of(cfr) == ["Council on Foreign Relations", "CFR", "CFR"]
    assert cfr["id"] == "org:council-on-foreign-relations"


def test_span_running_over_a_sentence_end_is_split(nlp, resolver):
    text = "The deal was signed with the E.U. Britons welcomed it."
    entities = resolve(nlp, resolver, text)
    assert by_name(entities, "European Union")["mentions"][0]["text"] == "E.U."
    assert "Britons" in texts_of(by_name(entities, "United Kingdom"))


def test_user_gazetteer_file_adds_and_extends(nlp, tmp_path):
    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        '{"_meta": {"version": "7"}}\n'
        '{"id": "acme:zentra", "name": "Zentra Labs", "type": "ORG", "aliases": ["Zentra"]}\n'
        '{"id": "Q145", "aliases": ["Blighty"]}\n',
        encoding="utf-8",
    )
    resolver = EntityResolver.from_settings(Settings(gazetteer_extra=str(extra)))
    assert resolver.version.endswith("+extra-7")
    entities = resolve(
        nlp, resolver, "Zentra Labs opened an office in Blighty. Zentra hired 40 people there."
    )
    zentra = next(e for e in entities if e["id"] == "acme:zentra")
    assert zentra["name"] == "Zentra Labs" and len(zentra["mentions"]) == 2
    assert next(e for e in entities if e["id"] == "Q145")["mentions"][0]["text"] == "Blighty"


# --- robustness ----------------------------------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "Starmer",
        "Keir",
        "Trump",
        "Donald",
        "US",
        "U.S.",
        "UK",
        "British",
        "the",
        "president",
        "prime",
        "minister",
        "Finland",
        "’s",
        "'s",
        ",",
        ".",
        "and",
        "in",
        "Downing",
        "Street",
        "said",
        "Zelenskiy",
        "Zelensky",
        "Maria",
        "Okonkwo",
        "(",
        ")",
        "CFR",
        "Council",
        "on",
        "Foreign",
        "Relations",
        "“",
        "”",
        "\n",
        "Mr.",
        "former",
        "of",
        "France",
        "EU",
        "Jr.",
        "@handle",
        "—",
        "Georgia",
        "Jordan",
        "é",
        "",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.lists(WORDS, max_size=60).map(lambda ws: " ".join(ws)),
        st.lists(WORDS, max_size=60).map(
            lambda ws: "".join(w + (" " if i % 3 else "") for i, w in enumerate(ws))
        ),
    ),
    published=st.one_of(
        st.none(), st.just("2025-03-02"), st.just("not a date"), st.just("1999-01-01T10:00:00Z")
    ),
)
def test_resolve_never_raises_and_offsets_are_valid(nlp, resolver, text, published):
    entities = resolver.resolve(nlp(text), published)
    ids = [e["id"] for e in entities]
    assert len(ids) == len(set(ids))
    for entity in entities:
        assert entity["id"] and entity["name"] and entity["type"] and entity["mentions"]
        assert "wikidata" in entity
        for m in entity["mentions"]:
            assert 0 <= m["start"] < m["end"] <= len(text)
            assert m["text"] == text[m["start"] : m["end"]]


# --- results tables ------------------------------------------------------------------------------------


def test_figures_after_a_name_in_a_results_table_are_not_part_of_it(nlp, resolver):
    text = (
        "Chesterfield: Worcestershire 238 and 133-5, Derbyshire 471 (J. Adams 123, K. Barnett 87; "
        "T. Moody 6-82).\nHove: Sussex 363 (W. Athey 111), Lancashire 197-8 (W. Hegg 54)."
    )
    mentions = [m["text"] for e in resolve(nlp, resolver, text) for m in e["mentions"]]
    assert mentions and not [m for m in mentions if any(ch.isdigit() for ch in m)]


def test_known_places_in_datelines_and_headlines_in_capitals(nlp, resolver):
    text = "SOCCER - ROMANIA BEAT LITHUANIA IN UNDER-21 MATCH .\nBUCHAREST 2026-08-31\nRomania beat Lithuania 2-1."
    entities = resolve(nlp, resolver, text)
    assert "BUCHAREST" in texts_of(by_name(entities, "Bucharest"))
    assert {"ROMANIA", "Romania"} <= set(texts_of(by_name(entities, "Romania")))


SOCCER_REPORT = (
    "SOCCER - SPANISH LEAGUE RESULTS\n"
    "MADRID 2026-03-15\n"
    "Results of Spanish first division matches on Sunday:\n"
    "Barcelona 3 Sevilla 1\n"
    "Valencia 0 Getafe 0\n"
    "Barcelona coach Hansi Flick said in Barcelona that the league was far from decided."
)


def test_in_a_sports_report_a_club_named_for_its_town_is_an_organisation(nlp, resolver):
    entities = resolve(nlp, resolver, SOCCER_REPORT)
    club = [e for e in entities if e["type"] == "ORG" and "Barcelona" in texts_of(e)]
    assert len(club) == 1 and club[0]["id"] == "Q7156" and club[0]["name"] == "FC Barcelona"  # not the city
    assert texts_of(club[0]) == ["Barcelona", "Barcelona"]  # the results line and "Barcelona coach"
    city = [e for e in entities if e["type"] == "GPE" and "Barcelona" in texts_of(e)]
    assert len(city) == 1 and texts_of(city[0]) == ["Barcelona"]  # "in Barcelona"
    assert by_name(entities, "Madrid")["type"] == "GPE"  # the dateline
    for team in ("Valencia", "Getafe"):
        assert [e["type"] for e in entities if team in texts_of(e)] == ["ORG"]


def test_outside_sports_a_town_stays_a_place(nlp, resolver):
    text = "Barcelona's mayor said on Monday that the city would limit cruise ships. Barcelona has 1.6 million people."
    entities = resolve(nlp, resolver, text)
    assert by_name(entities, "Barcelona")["type"] == "GPE"
    assert not [e for e in entities if e["type"] == "ORG" and "Barcelona" in texts_of(e)]


def test_short_form_of_a_company_links_to_its_full_name(nlp, resolver):
    text = (
        "Kestrel Mining Corp said on Tuesday it would buy a copper mine in Chile. Kestrel expects the "
        "deal to close in March, and shares of Kestrel rose 4 percent. Kestrel Mining shares later eased."
    )
    entities = resolve(nlp, resolver, text)
    company = by_name(entities, "Kestrel Mining Corp")
    assert company["type"] == "ORG" and company["id"] == "org:kestrel-mining-corp"
    assert texts_of(company).count("Kestrel") == 2 and "Kestrel Mining" in texts_of(company)
    assert not [e for e in entities if e["type"] == "PERSON" and "Kestrel" in e["name"]]


def test_one_person_tag_does_not_make_a_company_a_person(nlp, resolver):
    text = (
        "Halvard posted higher profits on Monday. Halvard shares rose 3 percent in Oslo, and analysts "
        "said the Halvard shares were cheap. The Halvard stock has doubled this year."
    )
    entities = resolve(nlp, resolver, text)
    assert not [e for e in entities if e["type"] == "PERSON" and "Halvard" in e["name"]]


def test_shipped_organisations_link_with_their_ids(nlp, resolver):
    text = "Deutsche Bank AG and Microsoft Corp signed the deal, Tanjug news agency reported from Belgrade."
    entities = resolve(nlp, resolver, text)
    assert by_name(entities, "Microsoft")["id"] == "Q2283"
    assert by_name(entities, "Deutsche Bank")["id"] == "org:deutsche-bank"
    assert by_name(entities, "Tanjug")["type"] == "ORG"


def test_a_club_known_by_its_town_is_linked_only_in_a_sports_report(nlp, resolver):
    city_text = "Tourists crowded the old town of Porto on Sunday as the city hosted a wine festival."
    assert not [e for e in resolve(nlp, resolver, city_text) if e["id"].startswith("org:fc-porto")]
    report = "SOCCER - PORTUGUESE LEAGUE RESULTS\nLISBON 2026-02-01\nPorto 2 Braga 1\nBenfica 3 Famalicao 0"
    entities = resolve(nlp, resolver, report)
    assert texts_of(by_name(entities, "FC Porto")) == ["Porto"]
