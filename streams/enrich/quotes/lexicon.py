"""The words quote attribution keys on: cue verbs by how they report, role nouns, media words, and
the dependency labels and entity types the frames test. Lemmas, lower case."""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


# Verbs that report speech or a stated position (lemmas).
SPEECH_VERBS: frozenset[str] = frozenset(
    _words(
        """
        say tell add warn insist argue note stress claim explain state declare announce acknowledge
        admit assert suggest write tweet post report reply respond answer ask deny urge predict promise
        vow pledge contend maintain conclude recall reiterate emphasize emphasise observe remark comment
        testify confirm concede complain caution allege charge counter estimate point quip joke boast
        brag describe call accuse criticize criticise praise blame demand propose recommend question
        agree disagree threaten indicate signal proclaim mention lament retort repeat hint advise
        whisper shout scream yell tout dismiss continue mock scoff snap interject read quote chant echo
        tease recount thank write publish insinuate speculate acknowledge reveal show find conclude
        announce muse wonder reason elaborate underline highlight assure reassure
        """
    )
)
# Verbs of belief: attributions in PolNeAR's sense ("X believes that …"), reported as "indirect".
COGNITION_VERBS: frozenset[str] = frozenset(
    ["think", "believe", "feel", "know", "expect", "hope", "fear", "worry", "doubt"]
)
# Cues whose direct object is the addressee, not the content.
ADDRESSEE_VERBS: frozenset[str] = frozenset(
    {"tell", "ask", "urge", "warn", "advise", "remind", "assure", "reassure", "thank"}
)
# Cues whose direct object is the content ("she denied the claim").
OBJECT_CONTENT_VERBS: frozenset[str] = frozenset(
    _words(
        """
        deny announce acknowledge admit confirm predict promise pledge propose recommend demand question
        stress emphasize emphasise reiterate repeat claim dismiss tout reveal highlight underline
        criticize criticise praise blame accuse
        """
    )
)
# Cues whose content is the predicate ("called him “a liar”", "described it as “a step forward”").
NAMING_VERBS: frozenset[str] = frozenset({"call", "describe", "dub", "label", "brand", "term"})
# Cues taken only with a quotation next to them, never with a complement ("continues to run").
DIRECT_ONLY_VERBS: frozenset[str] = frozenset(
    _words(
        """
        continue read quote chant echo thank shout yell scream whisper joke quip tease snap scoff mock
        interject muse recount
        """
    )
)
# Heads of noun phrases that name a person by role: a pronoun after one of these is not resolved.
ROLE_NOUNS: frozenset[str] = frozenset(
    _words(
        """
        official officials spokesman spokeswoman spokesperson minister president leader chancellor
        senator governor mayor candidate secretary adviser advisor aide director chief chairman
        chairwoman ceo lawyer attorney diplomat source sources analyst expert strategist pollster
        congressman congresswoman representative ambassador general officer judge nominee founder
        executive manager professor economist commissioner premier king queen prince pope man woman
        """
    )
)
MEDIA_WORDS: frozenset[str] = frozenset(
    _words(
        """
        tv television radio newspaper paper magazine network channel podcast broadcaster news times post
        journal herald tribune guardian telegraph bbc cnn msnbc nbc abc cbs fox npr reuters bloomberg
        """
    )
)
GAP_DEPS = frozenset(
    {
        "npadvmod",
        "prep",
        "advmod",
        "dative",
        "dobj",
        "punct",
        "nsubj",
        "agent",
        "prt",
        "aux",
        "neg",
        "cc",
        "mark",
        "advcl",
        "attr",
        "pcomp",
        "acomp",
        "oprd",
    }
)
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
MAIN_CLAUSE_DEPS = frozenset({"ROOT", "conj", "parataxis"})
PERSON_PRONOUNS = frozenset({"he", "she"})
RELATIVE_PRONOUNS = frozenset({"who", "that", "which"})
SPEAKER_TYPES = frozenset({"PERSON", "ORG", "NORP", "GPE"})
VENUE_TYPES = frozenset({"ORG", "PRODUCT", "WORK_OF_ART", "FAC"})
NOMINAL_POS = frozenset({"PROPN", "NOUN", "PRON"})
MIN_WORDS_ANY_VERB = 3  # a quotation before a reporting clause with a verb outside the lexicon
