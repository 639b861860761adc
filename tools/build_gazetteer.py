"""Regenerate ``streams/data/gazetteer/countries.jsonl`` from pycountry + the curated TSV.

    .venv/bin/python tools/build_gazetteer.py            # write the file
    .venv/bin/python tools/build_gazetteer.py --check    # exit 1 if the file is out of date

pycountry (ISO 3166-1) gives every country's ISO name, official name and common name; the curated
``streams/data/gazetteer/src/countries.tsv`` adds what it lacks: the Wikidata QID (the entity id),
the name news uses where ISO's differs ("Russia", not "Russian Federation"), short forms and
demonyms. The output is sorted and deterministic, so a diff shows exactly what an update changed.
Bump ``version`` in ``manifest.json`` when the data changes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pycountry

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "streams" / "data" / "gazetteer"
SOURCE = DATA / "src" / "countries.tsv"
TARGET = DATA / "countries.jsonl"

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


def _pycountry_version() -> str:
    from importlib.metadata import version

    return version("pycountry")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if countries.jsonl is out of date")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is out of date: run tools/build_gazetteer.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} ({text.count(chr(10)) - 1} countries)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
