"""Index terms of the ranker: what a profile and an offer are compared on.

Built on ``matching.text`` (folding, tokens, gender folding, stems, shared with the ROME classifier and
deduplication): abbreviations staff and employers write are expanded, gender marks and stop words removed,
feminine endings mapped to the masculine, then Snowball stems. The word ``TfidfVectorizer`` reads
``word_analyzer`` (unigrams + bigrams of terms), the character one ``char_preprocessor``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from matching.abbreviations import ABBREVIATIONS as _SHARED_ABBREVIATIONS
from matching.abbreviations import AMBIGUOUS_SHORT
from matching.text import FRENCH_STOP_WORDS, fast_tokens, fold, masculine, stem, strip_gender_marks, tokens

# Abbreviations staff and employers write (IDE, ASH, AES…), shared with the ROME classifier; expanded on
# both sides (profile and offer) before analysis. Short keys that are also French words ("as", "me") are left.
ABBREVIATIONS: dict[str, list[str]] = {
    key: tokens(value) for key, value in _SHARED_ABBREVIATIONS.items() if key not in AMBIGUOUS_SHORT
} | {"prof": ["professeur"], "maths": ["mathematiques"], "math": ["mathematiques"], "kines": ["kinesitherapeute"]}
# Job-title synonyms staff type for the ROME's words (one way: the typed word keeps its own matches too):
# "chauffeur de car" is a "conducteur de car", a "mécano auto" a "mécanicien automobile".
ABBREVIATIONS |= {
    "chauffeur": ["conducteur"],
    "mecano": ["mecanicien"],
    "auto": ["automobile"],
    "autos": ["automobile"],
}
_SURFACE_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _expand(words: Iterable[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        out.append(word)
        out.extend(ABBREVIATIONS.get(word, ()))
    return out


@lru_cache(maxsize=200_000)
def term(word: str) -> str:
    """The index term of one folded word: masculine form, then its Snowball stem."""
    return stem(masculine(word))


def word_terms(text: object) -> list[str]:
    """Index terms (stems) of a text, abbreviations expanded, gender marks and stop words removed."""
    return [term(w) for w in _expand(fast_tokens(strip_gender_marks(str(text or ""))))]


def word_analyzer(text: object) -> list[str]:
    """Unigrams and bigrams of index terms: the analyzer of the word ``TfidfVectorizer``."""
    terms = word_terms(text)
    return terms + [f"{a} {b}" for a, b in zip(terms, terms[1:], strict=False)]


def char_preprocessor(text: object) -> str:
    """Folded, gender-mark free, abbreviation-expanded text for the character n-gram vectorizer."""
    return " ".join(_expand(fast_tokens(strip_gender_marks(str(text or "")))))


def surface_terms(text: str) -> dict[str, str]:
    """Index term → the first word of ``text`` (as written, lower case) that produced it."""
    found: dict[str, str] = {}
    for raw in _SURFACE_WORD.findall(text or ""):
        folded = fold(raw)
        if len(folded) < 3 or folded in FRENCH_STOP_WORDS:
            continue
        found.setdefault(term(folded), raw.lower())
    return found

