"""The shipped gazetteer (coverage, ids) and the JSON-lines format users extend it with."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from streams.enrich.gazetteer import Gazetteer, GazetteerError, fold, name_variant, person_key

REPO = Path(__file__).resolve().parent.parent.parent
QID = re.compile(r"^Q[1-9]\d*$")


@pytest.fixture(scope="module")
def shipped() -> Gazetteer:
    return Gazetteer.load()


def test_every_un_member_state_with_demonyms(shipped):
    members = [e for e in shipped.entries.values() if e.extra.get("un_member")]
    assert len(members) == 193
    for entry in members:
        assert entry.type == "GPE" and entry.wikidata and QID.match(entry.wikidata), entry.name
        # Dominica's and the Republic of the Congo's demonyms are claimed by their namesakes.
        if entry.name not in ("Dominica", "Republic of the Congo"):
            assert entry.demonyms, f"{entry.name} has no demonym"
        assert shipped.lookup(entry.name) is not None


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("UK", "Q145"),
        ("U.K.", "Q145"),
        ("Britain", "Q145"),
        ("British", "Q145"),
        ("Britons", "Q145"),
        ("US", "Q30"),
        ("U.S.", "Q30"),
        ("American", "Q30"),
        ("Americans", "Q30"),
        ("the United States", "Q30"),
        ("Ukrainian", "Q212"),
        ("EU", "Q458"),
        ("Russian Federation", "Q159"),
        ("Côte d'Ivoire", "Q1008"),
        ("Cote d’Ivoire", "Q1008"),
        ("Türkiye", "Q43"),
        ("Filipinos", "Q928"),
        ("Swiss", "Q39"),
        ("South Korea", "Q884"),
        ("DRC", "Q974"),
        ("Holland", "Q55"),
        ("NATO", "Q7184"),
        ("Zelensky", "Q3874799"),
    ],
)
def test_names_short_forms_and_demonyms(shipped, text, entry_id):
    hit = shipped.lookup(text)
    assert hit is not None and hit.entry_id == entry_id


def test_ambiguous_aliases_are_marked(shipped):
    for text in ("Georgia", "Jordan", "Chad"):
        hit = shipped.lookup(text)
        assert hit is not None and hit.ambiguous


def test_ids_are_qids_or_namespaced(shipped):
    for entry in shipped.entries.values():
        if entry.wikidata is not None:
            assert QID.match(entry.wikidata) and entry.id == entry.wikidata, entry
        else:
            assert re.match(r"^[a-z]+:[a-z0-9-]+$", entry.id), entry
        assert entry.name and entry.type.isupper()
        for office in entry.offices:
            assert office.start is None or re.match(r"^\d{4}-\d{2}-\d{2}$", office.start)
            assert office.end is None or (office.start or "") < office.end


def test_office_holders_by_date(shipped):
    assert shipped.holders("president", "Q30", "2016-06-01") == ["Q76"]
    assert shipped.holders("president", "Q30", "2025-06-01") == ["Q22686"]
    assert shipped.holders("prime minister", "Q145", "2025-03-02") == ["person:keir-starmer"]


def test_countries_file_is_generated_from_pycountry():
    if importlib.util.find_spec("pycountry") is None:
        pytest.skip("pycountry is not installed")
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "build_gazetteer.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_fold_and_variants():
    assert fold("  Côte d’Ivoire ") == "cote d'ivoire"
    assert fold("U.S.") == fold("US") == "us"
    assert {name_variant(w) for w in ("zelenskiy", "zelensky", "zelenskyy", "zelenski", "zelenskij")} == {
        "zelensky"
    }
    assert {name_variant(w) for w in ("dmitriy", "dmitry", "dmitrii")} == {"dmitry"}
    # Only transliteration endings fold: these are other names.
    assert name_variant("tony") != name_variant("toni")
    assert name_variant("murphy") != name_variant("murphi")
    assert person_key("tony murphy") != person_key("toni murphi")
    assert person_key("bashar al-assad") == person_key("bashar assad")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "extra.jsonl"
    path.write_text(text, encoding="utf-8")
    return path


def test_user_file_extends_adds_and_wins(tmp_path):
    path = write(
        tmp_path,
        "# my additions\n\n"
        '{"_meta": {"version": "2"}}\n'
        '{"id": "Q145", "aliases": ["Blighty"]}\n'
        '{"id": "corp:acme", "name": "Acme Corp", "type": "org", "aliases": ["Acme", "Georgia"]}\n',
    )
    gaz = Gazetteer.load([path])
    assert gaz.lookup("Blighty").entry_id == "Q145"
    assert gaz.lookup("Acme").entry_id == "corp:acme"
    assert gaz.entries["corp:acme"].type == "ORG"
    assert gaz.lookup("Georgia").entry_id == "corp:acme"  # a user's alias wins over a shipped one
    assert gaz.version.endswith("+extra-2")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "JSON object"),
        ('{"name": "No Id", "type": "ORG"}', "'id'"),
        ('{"id": "x:new"}', "'name' and 'type'"),
        ('{"id": "x:new", "name": "N", "type": "ORG", "aliases": "A"}', "list of strings"),
        ('{"id": "x:new", "name": "N", "type": "PERSON", "offices": [{"of": "Q30"}]}', "'role'"),
    ],
)
def test_bad_lines_name_the_file_and_line(tmp_path, line, message):
    path = write(tmp_path, '{"_meta": {}}\n' + line + "\n")
    with pytest.raises(GazetteerError, match=re.escape(f"{path}:2")) as info:
        Gazetteer.load([path])
    assert message in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(GazetteerError, match="cannot read"):
        Gazetteer.load([tmp_path / "missing.jsonl"])
