"""Entity resolution: spaCy's NER spans → one canonical entity per real-world thing in an article.

What :meth:`EntityResolver.resolve` does to one parsed doc, in order:

1. **Clean and split spaCy's spans.** A leading "the", trailing possessives and punctuation go; a
   person's title ("President", "Mr") is cut off (and remembered as a role); lists ("Macron, Meloni,
   Zelenskiy") are split at commas, and phrases ("Zelenskiy in Downing Street") at the lower-case
   words that no name contains, so each piece is a name of its own.
2. **People.** Full names (two or more capitalised words) become one cluster per person (same first
   and last name, or a longer name ending with the same words: "López Obrador"); a surname, a
   later part of a name, or (for spans spaCy tagged PERSON) a first name alone links to the cluster
   it belongs to, the nearest preceding one when two share it. Transliteration variants compare
   equal (Zelenskiy / Zelensky / Zelenskyy), and so do accents and possessives. A span spaCy gave
   another label is a person when its text is a known person's name in this article or the
   gazetteer, or when a title or role word stands right before it ("counterpart Volodymyr
   Zelenskiy"). Surnames spaCy missed altogether are found by scanning the tokens.
3. **Gazetteer.** Names, short forms and demonyms of curated entries (see
   :mod:`streams.enrich.gazetteer`) link to that entry: "UK", "Britain" and "British" are all
   United Kingdom, with its QID as id.
4. **Roles.** A role tied to a person in the text ("US President Donald Trump", "Finland's
   president, Alexander Stubb", "Keir Starmer, the prime minister") or by the gazetteer's offices
   (valid on the article's date when one is given) lets a later standalone role ("the US
   president", "the British prime minister", "Finland's president") count as a mention of that
   person. The mention's span is the role words only ("prime minister"), so it never overlaps the
   country's own mention ("UK"). A role with no country ("the president") links only when exactly
   one person in the article holds it.
5. **Organisations and teams.** A short form of a company the article names in full links to it
   ("Kestrel" → "Kestrel Mining Corp"); a single name spaCy once tagged PERSON is not a person when
   more of its mentions, and the words around them ("shares of X", "X shares"), say company. In a
   sports report (a sport named in the first line, or sports words all over), a mention of a town or
   an unknown single name is a team when the words around it say so (a score after it, "beat X",
   "X coach") and the mentions that say place ("in X", a dateline) are fewer; names in a results line
   ("Valencia 0 Getafe 0") are teams too. A team is linked to a club in the gazetteer by its
   ``team_names``, never to its town.
6. **Ids.** Gazetteer entries keep their id (a Wikidata QID for shipped entries, e.g. ``Q145``);
   anything else gets ``<class>:<slug of canonical name>`` with class one of person, org, place,
   group, event, law, product, work, other (``person:maria-okonkwo``, ``org:lancaster-house``), so
   the same name gets the same id in every article. Every entity carries ``wikidata`` (QID or null).

Everything per document is one pass over the tokens plus dictionary look-ups; the gazetteer's tables
are built once, when the resolver is.

Where the rules live: ``candidates`` (step 1), ``people`` (2, 3), ``organisations`` (short forms,
votes, gazetteer links, acronyms), ``scanning`` (names spaCy missed), ``roles``, ``teams``; the word
lists and patterns they read in ``vocabulary``; the per-doc state in ``state``; the order of the steps
and the output in ``resolver``. ``from streams.enrich.entities import EntityResolver`` is the public
import.
"""

from __future__ import annotations

from streams.enrich.entities.resolver import EntityResolver
from streams.enrich.entities.vocabulary import HONORIFICS, KEPT_LABELS, PLACE_LABELS

__all__ = ["HONORIFICS", "KEPT_LABELS", "PLACE_LABELS", "EntityResolver"]
