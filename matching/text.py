"""French text analysis shared by the ROME classifier, deduplication and ranking.

- ``fold``: lower case, accents removed (é→e), ligatures expanded (œ→oe, æ→ae), apostrophes unified.
- ``tokens``: words of a folded text, elisions removed (l', d', qu'…), stop words dropped.
- ``stem``: Snowball French stemmer (``snowballstemmer``), cached.
- ``analyze``: tokens then stems: the analyzer handed to scikit-learn's ``TfidfVectorizer``.
- ``strip_gender_marks``: "Aide-soignant(e) H/F", "infirmier·e", "F/H" → "aide-soignant", "infirmier".
- ``fast_fold`` / ``fast_tokens``: ``fold`` / ``tokens`` at C speed for long texts (descriptions, a million
  offers): one NFKD pass instead of a per-character loop.
- ``masculine``: gender folding of one folded word (aide-soignante → aide-soignant, infirmière → infirmier).

All functions are total: any string (even empty or binary garbage) gives a value, never an exception.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import snowballstemmer

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "’": "'", "‘": "'", "`": "'"})
_FAST_LIGATURES = str.maketrans(
    {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "’": "'", "‘": "'", "`": "'", "\u00a0": " ", "\u202f": " "}
)
_COMBINING = re.compile(r"[\u0300-\u036f]+")


def char_replacer(table: dict[int, str | int | None]) -> Callable[[str], str]:
    """``lambda text: text.translate(table)`` for a small table, several times faster on long texts: most
    texts hold none of the characters (one regular-expression search), the others are replaced one match
    at a time. Same result as ``str.translate``."""
    mapping = {chr(key): "" if value is None else chr(value) if isinstance(value, int) else value
               for key, value in table.items()}  # fmt: skip
    pattern = re.compile("[" + "".join(re.escape(char) for char in mapping) + "]")

    def replace(text: str) -> str:
        if pattern.search(text) is None:
            return text
        return pattern.sub(lambda match: mapping[match.group()], text)

    return replace


_replace_ligatures = char_replacer(_LIGATURES)
_replace_fast_ligatures = char_replacer(_FAST_LIGATURES)
_WORD = re.compile(r"[a-z0-9]+")
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)'", re.IGNORECASE)

FRENCH_STOP_WORDS = frozenset(
    """
    a au aux avec ce ces cet cette dans de des du elle en et eux il ils je la le les leur leurs lui ma mais me
    meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un
    une vos votre vous y d l j m n s t c est sont etre avoir ete h f hf fh
    """.split()
)

# Gender marks in job titles: "(e)", "(ne)", "·e", ".e", "-e" endings, "H/F", "F/H", "(H/F)".
_GENDER_MARKS = [
    re.compile(r"\(\s*(?:h|f|m)\s*[/\\-]\s*(?:h|f|m)\s*\)", re.IGNORECASE),
    re.compile(r"(?<![\w])(?:h|f|m)\s*/\s*(?:h|f|m)(?![\w])", re.IGNORECASE),
    re.compile(r"\((?:e|ne|se|euse|rice|ère|ere|le|te|s|es)\)", re.IGNORECASE),
    re.compile(r"[·•.](?:e|ne|se|euse|rice|ère|ere|le|te)s?\b", re.IGNORECASE),
]

_stemmer = snowballstemmer.stemmer("french")


def fold(text: object) -> str:
    """Lower-case ASCII folding of French text (accents and ligatures removed)."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    value = _replace_ligatures(str(text))
    value = unicodedata.normalize("NFKD", value)
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    return value.lower()


def fast_fold(text: str) -> str:
    """``fold`` for French text, at C speed (descriptions are long): lower case, accents and ligatures
    removed, typographic apostrophes and non-breaking spaces normalised; other non-ASCII characters kept."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", _replace_fast_ligatures(text))).lower()


def fast_tokens(text: str) -> list[str]:
    """``tokens`` (folded words, elisions and stop words removed), about four times faster on long texts.
    Characters without an ASCII form become separators."""
    folded = fast_fold(text)
    if not folded.isascii():
        folded = folded.encode("ascii", "replace").decode("ascii")
    folded = _ELISION.sub(" ", folded.replace("`", "'"))
    return [w for w in _WORD.findall(folded) if w not in FRENCH_STOP_WORDS]


# Feminine → masculine endings, longest first (aide-soignante → aide-soignant, infirmière → infirmier).
_FEMININE = (
    ("trices", "teurs"),
    ("trice", "teur"),
    ("euses", "eurs"),
    ("euse", "eur"),
    ("ieres", "iers"),
    ("iere", "ier"),
    ("iennes", "iens"),
    ("ienne", "ien"),
    ("ennes", "ens"),
    ("enne", "en"),
    ("antes", "ants"),
    ("ante", "ant"),
    ("ere", "er"),
    ("elle", "el"),
    ("ive", "if"),
)


def masculine(word: str) -> str:
    """Map a folded French word's feminine ending to the masculine one (used on both sides, so harmless)."""
    if len(word) < 5:
        return word
    for fem, masc in _FEMININE:
        if word.endswith(fem):
            return word[: -len(fem)] + masc
    return word


def strip_gender_marks(title: str) -> str:
    """Remove gender marks from a job title, keeping the first (masculine) form."""
    value = title or ""
    for pattern in _GENDER_MARKS:
        value = pattern.sub(" ", value)
    return re.sub(r"\s+", " ", value).strip()


def words(text: object) -> list[str]:
    """Folded words, elisions removed, stop words kept."""
    folded = _ELISION.sub(" ", fold(text))
    return _WORD.findall(folded)


def tokens(text: object) -> list[str]:
    """Folded words without stop words."""
    return [w for w in words(text) if w not in FRENCH_STOP_WORDS]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball French stem of one folded word."""
    return _stemmer.stemWord(word)


def analyze(text: object) -> list[str]:
    """Stems of the words of ``text`` (the word analyzer for TF-IDF)."""
    return [stem(w) for w in tokens(text)]


def normalize_name(name: object) -> str:
    """A comparable form of an organisation or place name: folded words joined by single spaces."""
    return " ".join(words(name))
