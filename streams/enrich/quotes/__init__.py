"""Quote attribution: who said what, where, over a parsed spaCy ``Doc`` and its resolved entities.

Pure Python over the parse: hand-written frames for quotations and reported speech, and a learned
cue model (a logistic regression read from a JSON file once per process, docs/quotes.md) for the
attributions no frame covers; build one :class:`QuoteAttributor` per worker.

An attribution is a cue ("said", "told", "according to", a colon after the speaker) with its speaker
and its content; it is emitted as one :class:`~streams.models.Quote` per piece of content.

- ``start``/``end``/``text``: the content, ``text == body[start:end]``; a direct quote's outer
  quotation marks are left out. A quotation interrupted by its reporting clause
  (``“A,” he said. “B.”``) or continued in the next sentence or paragraph comes as one Quote per
  piece, every piece with the same speaker, ``speaker_span`` and cue (that is how to tell that
  they are one attribution).
- ``kind``: ``direct`` when every word of the content lies between double quotation marks (curly
  “ ” or straight "), else ``indirect`` (reported speech, possibly with partial quotes inside it,
  like 'said a “coalition of the willing” was needed').
- ``speaker_span``: where the source is written (a name, a role such as "the official", or a
  pronoun). ``speaker``: the id of the entity that span refers to, else ``None``, never a guess: a
  name or role resolves through the entity list (a mention covering the head word, a name in
  apposition as in "Finland’s president, Alexander Stubb,", a bare surname of a PERSON named in full
  elsewhere); "he"/"she" resolve to the most recent main-clause PERSON subject before them, and to
  nothing when that subject is an unresolved role ("the official ... he said"). ``speaker_name``:
  the entity's name, else the literal role text ("one European official"), ``None`` for an
  unresolved pronoun.
- ``venue``: the medium named at the cue, as written without its article ("told the BBC" → "BBC",
  "said on CNN", "in an interview with Bloomberg TV"), else ``None``.

Quotations are found on the characters: curly pairs, straight pairs, and a quote left open at the
end of a paragraph runs to it (news style for quotes over several paragraphs). A quotation is
attributed (direct) when a reporting clause sits right after it (``“…,” Stubb told Bloomberg TV``,
any verb), right before it (``Starmer said: “…”``, ``he added, “…”``, a speech verb) or when it follows
a colon after a speaker (``Republican pollster Daron Shaw: “…”``). Indirect speech is the clausal
complement of a speech or belief verb with a subject ("X said (that) …", "X told the BBC …"), the
clause a parenthetical "…, the official said" hangs on, or the sentence around "according to X".
Beyond the frames, the cue model reads every verb or noun with the clauses it governs
(:mod:`~streams.enrich.quotes.clauses`) and reports the ones PolNeAR's annotators would call an
attribution: positions, support and criticism, plans ("Sanders has supported stem cell research",
"Trump called for a ban"), all ``indirect``.

The package, by concern: ``lexicon`` (cue verbs, role nouns, media words), ``marks`` (quotation
marks), ``speakers`` (who a subject is), ``frames`` (the shapes of attribution and their content),
``clauses`` (candidate cue + content pairs and their features), ``cue_model`` (the learned weights),
``attributor`` (:class:`QuoteAttributor`, which tries the frames, then the model).
"""

from streams.enrich.quotes.attributor import QuoteAttributor

__all__ = ["QuoteAttributor"]
