"""Title analysis of the ROME classifier (split from ``matching.rome``, issue 20): masculine and feminine
forms, gender marks, folding, content words, stems, and the word and character features both the reference
titles and the queries are turned into. Pure functions, shared by the index build and every query.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from matching.text import FRENCH_STOP_WORDS, char_replacer, fold, stem, strip_gender_marks

_SPLIT = re.compile(r"\s+/\s+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# "Serveur/euse", "vendeur(se)", "cuisinier(ère)", "éducateur(trice)", "agent.e", "infirmier-ère"
_EXTRA_GENDER = [
    re.compile(
        r"(?<=[^\W\d_])\s*[(/.·•-]\s*(?:e|ne|se|euse|euses|rice|rices|trice|trices|ere|ère|ière|iere|ieres|ières|"
        r"ice|le|te|fe|ve|eresse|esse)s?\s*\)?(?![^\W\d_])",
        re.IGNORECASE,
    ),
    re.compile(r"\b(?:h\s*/\s*f|f\s*/\s*h|m\s*/\s*f|f\s*/\s*m|h\s*-\s*f|f\s*-\s*h)\b", re.IGNORECASE),
    re.compile(r"\(\s*[hf]\s*\)", re.IGNORECASE),
]

# Words that say nothing about the occupation (contract, schedule, urgency, recruitment chatter).
NOISE_WORDS = frozenset(
    """
    hf fh h f x cdi cdd cdii interim interimaire urgent urgence urgemment temps plein partiel complet nuit nuits
    jour jours journee week weekend end we alternance alternant alternante apprenti apprentie apprentis
    apprentissage stage stagiaire stages contrat contrats poste postes recrute recrutons recherche
    recherchons offre offres emplois job jobs missions h24 immediat immediatement asap debutant
    debutante debutants accepte acceptes bienvenue bienvenus possible possibles salaire heures heure hebdo mois
    an ans annee annees semaine semaines mensuel brut net euros eur remplacement remplacements vacataire
    vacation vacations renfort renforts titulaire contractuel contractuelle fonctionnaire cat categorie
    equivalent profil indus devenez rejoignez nous vous exterieur interne externe bac bts cap dut
    licence master mba diplome diplomee ideal idealement evolutif evolution cdd3 saison hiver ete estival
    estivale estivaux h35 35h 39h 24h mi saisonnier saisonniere saisonniers saisonnieres
    superieur superieure principal principale qualifie qualifiee qualifies confirme confirmee confirmes
    experimente experimentee experimentes senior junior
    """.split()
)


# "diplômé d'État", "D.E." and, in a title not written in capitals, "DE": a diploma, not part of the job.
STATE_DIPLOMA = re.compile(r"\bdipl[oô]m[ée]e?s?\s+d\W?\s*[ée]tat\b|\bD\.E\b\.?", re.IGNORECASE)
DE_CAPITALS = re.compile(r"\bDE\b")


def clean_markup(value: str) -> str:
    value = html.unescape(value)
    return re.sub(r"<[^>]*>", " ", value)


def gender_forms(title: str) -> list[str]:
    """The masculine and feminine forms of a ROME-style title written "Masculin / Féminin [complément]".

    "Aide-soignant / Aide-soignante à domicile" → ["Aide-soignant à domicile", "Aide-soignante à domicile"];
    "Valet / Femme de chambre" → ["Valet de chambre", "Femme de chambre"]. A title without " / " is returned
    alone. The masculine part gets the complement that follows the feminine words it corresponds to.
    """
    title = (title or "").strip()
    parts = _SPLIT.split(title, maxsplit=1)
    if len(parts) != 2:
        return [title] if title else []
    left, right = parts[0].strip(), parts[1].strip()
    left_words = left.split()
    right_words = right.split()
    if not left_words or not right_words:
        return [title]
    tail = right_words[len(left_words) :]
    masculine = " ".join(left_words + tail)
    return [masculine, right] if masculine != right else [right]


def query_forms(title: str) -> str:
    """A query written "Masculin / Féminin" keeps one form; other slashes separate alternatives and stay."""
    parts = _SPLIT.split(title, maxsplit=1)
    if len(parts) == 2:
        left, right = parts[0].strip(), parts[1].strip()
        if left[:4].lower() == right[:4].lower() and len(left) >= 3:
            return gender_forms(title)[0]
    return title


def strip_all_gender(title: str) -> str:
    value = strip_gender_marks(title)
    for pattern in _EXTRA_GENDER:
        value = pattern.sub(" ", value)
    return value


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
_replace_ligatures = char_replacer(_LIGATURES)
_ASCII_WORD = re.compile(r"[a-z0-9]+")


def _fast_fold(text: str) -> str:
    """Same letters and digits as ``matching.text.fold`` (other characters dropped), several times faster."""
    value = unicodedata.normalize("NFKD", _replace_ligatures(text))
    return value.encode("ascii", "ignore").decode("ascii").lower()


def plain_words(text: str) -> list[str]:
    """Folded words of a text (elisions and hyphens split words)."""
    return _ASCII_WORD.findall(_fast_fold(text))


def title_key(title: str) -> str:
    """A title folded, without gender marks, as words joined by spaces ("Aide-soignant(e) H/F" → "aide soignant")."""
    return " ".join(plain_words(strip_all_gender(title or "")))


def raw_words(text: str) -> list[tuple[str, bool]]:
    """(folded word, written in capitals) pairs of a text, elisions and hyphens splitting words."""
    result: list[tuple[str, bool]] = []
    for match in _WORD.finditer(text):
        original = match.group(0)
        folded = fold(original)
        for piece in re.findall(r"[a-z0-9]+", folded):
            result.append((piece, original.isupper() and len(original) > 1))
    return result


def content_words(words: list[str]) -> list[str]:
    return [w for w in words if w not in FRENCH_STOP_WORDS and len(w) > 1 or w.isdigit()]


def word_stems(words: list[str]) -> list[str]:
    return [stem(w) for w in words]


def word_features(stems: list[str]) -> list[str]:
    feats = list(stems)
    feats.extend(f"{a}_{b}" for a, b in zip(stems, stems[1:], strict=False))
    return feats


@lru_cache(maxsize=100_000)
def _word_grams(word: str) -> tuple[str, ...]:
    """Character 3-, 4- and 5-grams of one word padded with spaces (the whole word if shorter)."""
    padded = f" {word} "
    size = len(padded)
    if size <= 3:
        return (padded,)
    return tuple(padded[i : i + n] for n in (3, 4, 5) for i in range(size - n + 1))


def char_features(words: list[str]) -> list[str]:
    feats: list[str] = []
    for word in words:
        feats.extend(_word_grams(word))
    return feats
