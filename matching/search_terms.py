"""What a person types in a search box → safe prefixes for the database's full-text index.

Both databases index the words of the searched columns with accents folded (SQLite FTS5
``unicode61 remove_diacritics 2``; PostgreSQL ``unaccent`` + the ``french`` configuration). A query word
becomes a *prefix* shared by its masculine, feminine, singular and plural forms: "infirmières",
"INFIRMIÈRE" and "infirmier" all become ``infirmi`` (searched as ``infirmi*``), "soignante" becomes
``soignant``, "vendeuse" ``vende``. The SQLite index does not stem, so this reduction is what finds
"Aide-soignant(e)" for "aide soignante". PostgreSQL's index holds French stems: there a word matches
either its own stem or the prefix ("animateur" → stem ``anim``, which "animatrice" also gives).

A word and a prefix hold only ``[a-z0-9]`` characters: quotes, operators, parentheses, ``*``, ``:`` or ``NEAR``
typed by a person can never reach the query syntax of either database.
"""

from __future__ import annotations

import re

from matching.text import FRENCH_STOP_WORDS, words

MAX_TERMS = 6
MIN_PREFIX = 3

# (ending, replacement), longest first; applied once, to the first ending that matches, when what is left
# keeps at least MIN_PREFIX characters. Each rule maps the masculine and feminine (singular and plural)
# endings of French job nouns and adjectives onto their shared beginning.
_ENDINGS: tuple[tuple[str, str], ...] = (
    ("trices", "t"), ("trice", "t"), ("teurs", "t"), ("teur", "t"),
    ("euses", "e"), ("euse", "e"), ("eurs", "e"), ("eur", "e"),
    ("ieres", "i"), ("iere", "i"), ("iers", "i"), ("ier", "i"),
    ("iennes", "ien"), ("ienne", "ien"), ("iens", "ien"),
    ("ennes", "en"), ("enne", "en"),
    ("elles", "el"), ("elle", "el"), ("els", "el"),
    ("antes", "ant"), ("ante", "ant"), ("ants", "ant"),
    ("entes", "ent"), ("ente", "ent"), ("ents", "ent"),
    ("ives", "i"), ("ive", "i"), ("ifs", "i"), ("if", "i"),
    ("eres", "er"), ("ere", "er"), ("ers", "er"),
    ("ees", "e"), ("ee", "e"),
    ("es", ""), ("s", ""), ("x", ""), ("e", ""),
)
_SAFE = re.compile(r"^[a-z0-9]+$")


def prefix(word: str) -> str:
    """The shared beginning of a folded word's gender and number forms ("soignantes" → "soignant")."""
    for ending, replacement in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) + len(replacement) >= MIN_PREFIX:
            return word[: len(word) - len(ending)] + replacement
    return word


def search_terms(text: object) -> list[tuple[str, str]]:
    """The (folded word, prefix) pairs to look for (all must match), in the order typed, at most ``MAX_TERMS``.

    Stop words ("de", "la", "h", "f") and one-letter words are left out unless nothing else is left;
    digits are kept ("46", "35h"). An empty list means "no text filter".
    """
    typed = [w for w in words(text) if len(w) > 1 or w.isdigit()]
    kept = [w for w in typed if w not in FRENCH_STOP_WORDS] or typed
    terms: list[tuple[str, str]] = []
    for word in kept:
        value = prefix(word)
        if _SAFE.match(word) and all(value != seen for _, seen in terms):
            terms.append((word, value))
    return terms[:MAX_TERMS]


def search_prefixes(text: object) -> list[str]:
    """The prefixes of ``search_terms``."""
    return [value for _, value in search_terms(text)]
