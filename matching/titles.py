"""Job title cleaning (split from ``matching.parsers``, which re-exports ``clean_title``): gender marks,
codes and prefixes removed, shouting titles in sentence case. Total: never raises."""

from __future__ import annotations

import html as html_lib
import re

from matching.field_text import bounded_text as _text
from matching.text import fold, strip_gender_marks

_TAG = re.compile(r"<[^>]*>")
_GENDER_EXTRA = [
    re.compile(r"\(\s*[hfmx]\s*/\s*[hfmx]\s*(?:/\s*[hfmx]\s*)*\)", re.IGNORECASE),
    re.compile(r"(?<![\w])[hfm]\s*/\s*[hfm](?:\s*/\s*[hfmx])?(?![\w])", re.IGNORECASE),
    re.compile(r"(?<![\w])[hf]\s*-\s*[hf](?![\w])", re.IGNORECASE),
    re.compile(r"\((?:ve|ive|trice|rice|euse|ère|ere|le|ne|te|se|e|es|s|fe|sse|sse)\)", re.IGNORECASE),
    re.compile(r"(?<=\w)\s*/\s*(?:trice|rice|euse|ère|ere|ive|enne|nne|ne|se|e)\b", re.IGNORECASE),
]
_DOUBLE_FORM = re.compile(r"\b([^\W\d_][\w'-]{2,})\s*/\s*([^\W\d_][\w'-]{2,})\b")
_PREFIX = re.compile(
    r"^\s*(?:alternance|alternant|apprentissage|apprenti|stage|stagiaire|cdi|cdd|interim|intérim|vie|v\.i\.e"
    r"|job d'été|job etudiant|saisonnier|urgent|offre|recrutement)\s*[-|:–—/]+\s*",
    re.IGNORECASE,
)
_SUFFIX_CODE = re.compile(r"\s*[-–—(]\s*(?:\d{2,3}|2[AB])\s*\)?\s*$")
_SEPARATORS = re.compile(r"(?:\s*[-–—|]\s*){2,}")
_ACRONYMS = frozenset(
    """ash as ide idel aes amp avs atsem ehpad ssiad caces btp rh it sav bts cap bep pl spl vl cdi cdd admr
    ssr usld pmi chu ch drh daf qhse hse ia cnc plc dsi dg dga rssi sql php sap erp crm b2b btob b2c vrd cvc
    tp ssi sst esat ime mas fam pcr ibode iade adv ase dut but ms mba bac smur samu ifsi vtc spl ecm sdr ge
    ui ux api web seo aeh ehpa""".split()
)


def _first_form(match: re.Match[str]) -> str:
    """Keep the first of "Serveur/Serveuse" or "Aide-soignant / Aide-soignante" (shared stem)."""
    a, b = match.group(1), match.group(2)
    fa, fb = fold(a), fold(b)
    common = 0
    for x, y in zip(fa, fb, strict=False):
        if x != y:
            break
        common += 1
    return a if common >= 3 and common >= min(len(fa), len(fb)) // 2 else match.group(0)


def _sentence_case(title: str) -> str:
    words = title.split(" ")
    out = []
    for i, word in enumerate(words):
        core = fold(word).strip("()[],.;:!?'\"")
        if core in _ACRONYMS or any(ch.isdigit() for ch in word):
            out.append(word)
        else:
            lower = word.lower()
            out.append(lower[:1].upper() + lower[1:] if i == 0 else lower)
    return " ".join(out)


def clean_title(title: object) -> str:
    """A clean job title for display and comparison (the original is kept by the caller).

    "Aide-soignant(e) de nuit H/F" → "Aide-soignant de nuit"; "Alternance - Développeur Web F/H" →
    "Développeur Web"; "CONSEILLER(E) EN CHARGE DE L'INDEMNISATION - 92" → "Conseiller en charge de
    l'indemnisation".
    """
    raw = _text(title, 1000)
    if not raw:
        return ""
    value = html_lib.unescape(_TAG.sub(" ", raw)) if "<" in raw or "&" in raw else raw
    value = re.sub(r"\s+", " ", value).strip()
    original = value
    for pattern in _GENDER_EXTRA:
        value = pattern.sub(" ", value)
    value = strip_gender_marks(value)
    value = _DOUBLE_FORM.sub(_first_form, value)
    for _ in range(2):
        value = _PREFIX.sub("", value)
    value = _SUFFIX_CODE.sub("", value)
    value = _SEPARATORS.sub(" - ", value)
    value = re.sub(r"\(\s*\)", " ", value)
    value = re.sub(r"\s+", " ", value).strip(" -–—|/:,;")
    letters = [c for c in value if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.8 and len(letters) > 4:
        value = _sentence_case(value)
    value = value[:300].strip()
    return value or original[:300]
