"""Regenerate the generated gazetteer files from pycountry and the curated TSVs in ``src/``.

    .venv/bin/python tools/build_gazetteer.py            # write the files
    .venv/bin/python tools/build_gazetteer.py --check    # exit 1 if a file is out of date

``countries.jsonl``:

pycountry (ISO 3166-1) gives every country's ISO name, official name and common name; the curated
``streams/data/gazetteer/src/countries.tsv`` adds what it lacks: the Wikidata QID (the entity id),
the name news uses where ISO's differs ("Russia", not "Russian Federation"), short forms and
demonyms.

``institutions.jsonl``: companies, parties, international and sports bodies, football clubs, news
agencies and exchanges from the curated ``src/organizations.tsv`` (its header says the columns). An
entry's id is its Wikidata QID where one was checked, else ``org:<slug of the name>``; the build fails
on an id that another shipped file already uses, and leaves out an alias that an earlier file (the
manifest's order) already gives to something else, saying so.

The output is sorted and deterministic, so a diff shows exactly what an update changed. Bump
``version`` in ``manifest.json`` when the data changes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

import pycountry

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "streams" / "data" / "gazetteer"
SOURCE = DATA / "src" / "countries.tsv"
TARGET = DATA / "countries.jsonl"
ORG_SOURCE = DATA / "src" / "organizations.tsv"
ORG_TARGET = DATA / "institutions.jsonl"
ORG_KINDS = frozenset({"company", "party", "body", "sport", "club", "agency", "exchange"})

# The 193 UN member states are every ISO 3166-1 country except these (territories, dependencies,
# observers and Taiwan); the check below keeps the TSV and this list honest.
# fmt: off
NOT_UN_MEMBERS = frozenset({
    "AS", "AI", "AQ", "AW", "AX", "BL", "BM", "BQ", "BV", "CC", "CK", "CW", "CX", "EH", "FK", "FO", "GF",
    "GG", "GI", "GL", "GP", "GS", "GU", "HK", "HM", "IM", "IO", "JE", "KY", "MF", "MO", "MP", "MQ", "MS",
    "NC", "NF", "NU", "PF", "PM", "PN", "PR", "PS", "RE", "SH", "SJ", "SX", "TC", "TF", "TK", "TW", "UM",
    "VA", "VG", "VI", "WF", "YT",
})
# fmt: on


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _iso_names(record: object) -> list[str]:
    """Names pycountry knows, minus inverted catalogue forms ("Korea, Republic of")."""
    names = []
    for attr in ("name", "official_name", "common_name"):
        value = getattr(record, attr, None)
        if value and "," not in value and "(" not in value:
            names.append(value)
    return names


def build() -> str:
    rows = []
    seen: set[str] = set()
    for number, line in enumerate(SOURCE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = (line.split("\t") + [""] * 6)[:6]
        alpha2, qid, name, aliases, demonyms, ambiguous = (cell.strip() for cell in cells)
        if not qid.startswith("Q") or alpha2 in seen:
            raise SystemExit(f"{SOURCE}:{number}: bad or duplicate row {line!r}")
        seen.add(alpha2)
        iso = pycountry.countries.get(alpha_2=alpha2)
        iso_names = _iso_names(iso) if iso is not None else []
        display = name or getattr(iso, "common_name", None) or (iso.name if iso else "")
        if not display:
            raise SystemExit(f"{SOURCE}:{number}: {alpha2} is not in pycountry; give a name")
        all_aliases: list[str] = []
        for alias in [*iso_names, *_split(aliases)]:
            if alias != display and alias not in all_aliases:
                all_aliases.append(alias)
        entry: dict[str, object] = {
            "id": qid,
            "name": display,
            "type": "GPE",
            "wikidata": qid,
            "aliases": all_aliases,
            "demonyms": _split(demonyms),
        }
        if ambiguous:
            entry["ambiguous"] = _split(ambiguous)
        entry["iso"] = {"alpha2": alpha2, "alpha3": iso.alpha_3 if iso else None}
        entry["un_member"] = iso is not None and alpha2 not in NOT_UN_MEMBERS
        rows.append((display, entry))
    members = {c.alpha_2 for c in pycountry.countries} - NOT_UN_MEMBERS
    missing = sorted(members - seen)
    if missing or len(members) != 193:
        raise SystemExit(f"UN member states missing from {SOURCE.name}: {missing} ({len(members)} members)")
    header = {"_meta": {"source": "pycountry " + _pycountry_version() + " + src/countries.tsv"}}
    lines = [json.dumps(header, ensure_ascii=False)]
    lines += [json.dumps(entry, ensure_ascii=False) for _, entry in sorted(rows, key=lambda r: r[0])]
    return "\n".join(lines) + "\n"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace(".", "").replace("’", "'"))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().split())


def _earlier_names() -> tuple[set[str], dict[str, str]]:
    """Ids and folded names (name, aliases, demonyms) of the shipped files listed before institutions."""
    manifest = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
    ids: set[str] = set()
    names: dict[str, str] = {}
    for name in manifest["files"]:
        if name == ORG_TARGET.name:
            break
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            record = json.loads(line)
            if "_meta" in record:
                continue
            ids.add(record["id"])
            for surface in [record["name"], *record.get("aliases", []), *record.get("demonyms", [])]:
                names.setdefault(_fold(surface), record["id"])
    return ids, names


def build_organizations(report: list[str] | None = None) -> str:
    earlier_ids, earlier_names = _earlier_names()
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for number, line in enumerate(ORG_SOURCE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = (line.split("\t") + [""] * 6)[:6]
        kind, qid, name, etype, aliases, team_names = (cell.strip() for cell in cells)
        where = f"{ORG_SOURCE}:{number}"
        if kind not in ORG_KINDS or not name or not etype:
            raise SystemExit(f"{where}: bad row {line!r}")
        if qid != "-" and not re.fullmatch(r"Q\d+", qid):
            raise SystemExit(f"{where}: {qid!r} is not a QID (use - when none was checked)")
        entry_id = qid if qid != "-" else f"org:{_slug(name)}"
        if entry_id in seen or entry_id in earlier_ids:
            raise SystemExit(f"{where}: id {entry_id} is already used")
        seen.add(entry_id)
        kept: list[str] = []
        for alias in _split(aliases):
            owner = earlier_names.get(_fold(alias))
            if owner is not None and owner != entry_id:
                if report is not None:
                    report.append(f"{name}: alias {alias!r} left out, {owner} has it")
                continue
            if alias != name and alias not in kept:
                kept.append(alias)
        entry: dict[str, object] = {
            "id": entry_id,
            "name": name,
            "type": etype,
            "wikidata": qid if qid != "-" else None,
            "aliases": kept,
            "demonyms": [],
            "kind": kind,
        }
        if team_names:
            entry["team_names"] = _split(team_names)
        rows.append(entry)
    header = {"_meta": {"source": "src/organizations.tsv"}}
    lines = [json.dumps(header, ensure_ascii=False)]
    lines += [json.dumps(e, ensure_ascii=False) for e in sorted(rows, key=lambda e: str(e["name"]))]
    return "\n".join(lines) + "\n"


def _pycountry_version() -> str:
    from importlib.metadata import version

    return version("pycountry")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if countries.jsonl is out of date")
    args = parser.parse_args(argv)
    report: list[str] = []
    outputs = [(TARGET, build(), "countries"), (ORG_TARGET, build_organizations(report), "organisations")]
    if args.check:
        stale = False
        for target, text, _ in outputs:
            current = target.read_text(encoding="utf-8") if target.exists() else ""
            if current != text:
                print(f"{target} is out of date: run tools/build_gazetteer.py", file=sys.stderr)
                stale = True
        return 1 if stale else 0
    for target, text, what in outputs:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target} ({text.count(chr(10)) - 1} {what})")
    for line in report:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
