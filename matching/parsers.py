"""Field parsers for job offers: contract, working time, salary, dates, experience, remote work, positions,
title cleaning. Dates live in ``matching.dates`` and title cleaning in ``matching.titles`` (issue 20); both
are re-exported here, so ``from matching.parsers import parse_date, clean_title`` keeps working.

Every parser is total: any input (None, numbers, bytes, empty or huge strings, HTML soup) gives a value or
"unknown" (None fields), never an exception. Nothing is guessed: "selon profil" is an unknown salary, an
amount without a stated period gets one only when its size leaves no doubt (documented in
``docs/normalisation.md``).

Formats handled (real strings from the feeds in ``../shared/fixtures/feeds`` and the France Travail API):

- contract: France Travail codes (CDI, CDD, MIS, SAI, LIB, FRA, DDI, DIN, TTI, CCE, REP), labels
  ("CDD - 6 mois", "Contrat à durée déterminée - 6 Mois", "CDD - Alternance - Contrat d'apprentissage"),
  schema.org ``employmentType`` (TEMPORARY, INTERN, CONTRACTOR; FULL_TIME / PART_TIME are working time),
  public service ("Titulaire de la fonction publique", "Contractuel"), "Intérim", "Apprentissage",
  "Alternating";
- salary: "Mensuel de 1880,71 Euros à 2100,00 Euros sur 12 mois", "Horaire de 11.88 Euros",
  "18 - 22 k€ brut annuel", "A partir de 21 k€ brut annuel", "1 940 €", JSON-LD ``baseSalary`` values;
- dates: ISO 8601 (with or without offset, "Z", " UTC"), ``YYYYMMDD``, ``dd/mm/YYYY[ HH:MM[:SS]]``,
  RFC 822 ("Wed, 26 Feb 2025 16:40:27 +0100"), French ("12 mars 2026", "1er mars 2026"). Times without
  an offset are Paris time. Results are timezone-aware UTC; years outside 1990–2100 are rejected.
"""

from __future__ import annotations

import html as html_lib
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from matching.dates import PARIS as PARIS  # re-exported: callers import dates from here
from matching.dates import parse_date as parse_date
from matching.dates import parse_day as parse_day
from matching.field_text import bounded_text as _text
from matching.field_text import folded_text as _folded
from matching.titles import clean_title as clean_title  # re-exported

CONTRACT_TYPES = (
    "CDI", "CDD", "interim", "apprentissage", "professionnalisation", "stage", "saisonnier", "liberal",
    "titulaire", "contractuel", "independant", "autre",
)


@dataclass(frozen=True, slots=True)
class Contract:
    """Contract type (one of ``CONTRACT_TYPES`` or None) and duration in months (None when unknown)."""

    type: str | None = None
    duration_months: float | None = None


@dataclass(frozen=True, slots=True)
class WorkingTime:
    """``kind`` "full_time" / "part_time" / None and hours per week when stated."""

    kind: str | None = None
    hours_per_week: float | None = None


@dataclass(frozen=True, slots=True)
class Salary:
    """Gross amounts in euros for ``period`` ("hour" / "month" / "year" / None); ``text`` as written."""

    min: float | None = None
    max: float | None = None
    period: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Experience:
    """``level`` "debutant" (no experience required) / "experience" (required) / None, minimum years."""

    level: str | None = None
    min_years: float | None = None

    def label(self) -> str | None:
        """Short machine-readable form stored on postings: "debutant", "2 ans", "6 mois", "experience"."""
        if self.level == "debutant":
            return "debutant"
        if self.min_years is not None:
            if self.min_years < 1:
                return f"{round(self.min_years * 12)} mois"
            return f"{self.min_years:g} an" + ("s" if self.min_years >= 2 else "")
        return self.level


# --------------------------------------------------------------------------------------------- contract

_FT_CODES = {
    "cdi": "CDI", "cdd": "CDD", "mis": "interim", "sai": "saisonnier", "lib": "liberal", "fra": "independant",
    "ddi": "CDD", "din": "interim", "tti": "interim", "cce": "independant", "rep": "independant",
    "ddt": "CDD",
}
_JSONLD_TYPES = {
    "temporary": "CDD", "intern": "stage", "internship": "stage", "contractor": "independant",
    "per_diem": "autre", "volunteer": "autre", "other": "autre", "seasonal": "saisonnier",
    "apprenticeship": "apprentissage", "permanent": "CDI", "alternating": "apprentissage",
    "freelance": "independant",
}
# Ordered: the first rule that matches wins ("CDD - Alternance - Contrat d'apprentissage" is an
# apprenticeship, "CDI intérimaire" is temporary work, "CDD saisonnier" is seasonal).
_CONTRACT_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"professionnalisation|contrat pro\b"), "professionnalisation"),
    (re.compile(r"apprenti|alternan|alternating|apprenticeship"), "apprentissage"),
    (re.compile(r"\bstag(?:e|iaire)|intern(?:ship)?\b|\bgratification\b"), "stage"),
    (re.compile(r"interim|\bmis\b|travail temporaire|\btti\b|mission d.interim"), "interim"),
    (re.compile(r"saisonni|seasonal|\bsai\b"), "saisonnier"),
    (re.compile(r"\bcdd\b|duree determinee|\btemporary\b|\bddi\b|remplacement"), "CDD"),
    (re.compile(r"\bcdi\b|duree indeterminee|\bpermanent\b"), "CDI"),
    (re.compile(r"titulaire|fonctionnaire|mutation|detachement|statutaire|\bconcours\b"), "titulaire"),
    (re.compile(r"contractuel|vacataire|vacation|\bcontrat de droit public"), "contractuel"),
    (re.compile(r"liberal|\blib\b"), "liberal"),
    (re.compile(r"independant|freelance|free-lance|auto.?entrepreneur|micro.?entrepreneur|franchise"
                r"|\bcontractor\b|portage salarial|creation d.entreprise|reprise d.entreprise"), "independant"),
    (re.compile(r"\bvie\b|volontariat|service civique|benevol|\bcui\b|\bcae\b|parcours emploi competences"
                r"|\bpec\b|\bcdd?i\b.*insertion|\bautre\b|\bother\b|\bper_diem\b|volunteer"), "autre"),
]
_DURATION = re.compile(
    r"(\d{1,3}(?:[.,]\d{1,2})?)\s*(mois|month|months|m\b|ans?\b|annees?|years?|semaines?|weeks?|jours?|days?)"
)
_DURATION_RANGE = re.compile(r"(\d{1,3})\s*(?:et|a|-|–)\s*\d{1,3}\s*(mois|ans?\b|annees?|semaines?|jours?)")


def _duration_months(text: str) -> float | None:
    """First duration in a folded text ("6 mois" → 6, "2 ans" → 24, "3 semaines" → 0.7), or None.

    A range ("Entre 24 et 36 mois") gives its lower end.
    """
    text = _DURATION_RANGE.sub(r"\1 \2", text)
    for number, unit in _DURATION.findall(text):
        value = float(number.replace(",", "."))
        if value <= 0:
            continue
        if unit.startswith(("an", "annee", "year")):
            value *= 12
        elif unit.startswith(("semaine", "week")):
            value = value * 7 / 30.4375
        elif unit.startswith(("jour", "day")):
            value = value / 30.4375
        if 0 < value <= 120:
            return round(value, 2)
    return None


def parse_contract(text: object, *, duration: object = None) -> Contract:
    """Contract type and duration from a source's contract field (and its separate duration field).

    ``duration`` is a separate field ("6", "6 mois", "2 ans"); a bare number there is months.
    """
    folded = _folded(text)
    kind: str | None = None
    if folded:
        compact = folded.strip(" .")
        if compact in _FT_CODES:
            kind = _FT_CODES[compact]
        elif compact.replace(" ", "_") in _JSONLD_TYPES:
            kind = _JSONLD_TYPES[compact.replace(" ", "_")]
        elif compact.replace("-", "_").replace(" ", "_") in ("full_time", "part_time", "temps_plein",
                                                             "temps_partiel"):
            kind = None
        else:
            for pattern, value in _CONTRACT_RULES:
                if pattern.search(folded):
                    kind = value
                    break
    months = _duration_months(folded) if folded else None
    extra = _folded(duration)
    if extra:
        if re.fullmatch(r"\d{1,3}(?:[.,]\d+)?", extra):
            value = float(extra.replace(",", "."))
            if 0 < value <= 120:
                months = value
        else:
            months = _duration_months(extra) or months
    if kind in ("CDI", "titulaire", "liberal", "independant"):
        months = None  # permanent by nature; "CDI - 35h" is not a duration
    return Contract(kind, months)


# ----------------------------------------------------------------------------------------- working time

_FULL = re.compile(r"temps plein|temps complet|plein temps|full[ _-]?time|\btc\b|\b100\s*%|horaires normaux")
_PART = re.compile(r"temps partiel|temps non complet|mi-temps|mi temps|part[ _-]?time|\btp\b|\b[1-9]0\s*%"
                   r"|\btnc\b")
_HOURS = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s*(?:h(?:eures?)?|hrs?)\s*(\d{2})?(?![a-z])")


def parse_working_time(text: object) -> WorkingTime:
    """Full or part time and hours per week ("35H Horaires normaux", "Temps partiel - 24H", "PART_TIME")."""
    folded = _folded(text)
    if not folded:
        return WorkingTime()
    kind = "part_time" if _PART.search(folded) else ("full_time" if _FULL.search(folded) else None)
    hours = None
    for whole, minutes in _HOURS.findall(folded):
        value = float(whole.replace(",", "."))
        if minutes:
            value += int(minutes) / 60
        if 1 <= value <= 60:
            hours = round(value, 2)
            break
    if kind is None and hours is not None:
        kind = "full_time" if hours >= 35 else "part_time"
    return WorkingTime(kind, hours)


# ---------------------------------------------------------------------------------------------- salary

_UNKNOWN_SALARY = re.compile(
    r"selon|a negocier|negociable|a definir|a voir|suivant|en fonction|competitive|attractive|attractif"
    r"|grille|convention|statutaire|non precise|non communique|\bnc\b|\bn/c\b|\bsmic\b"
)
_NUMBER = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:[ .\u00a0\u202f]\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?![\d])\s*(k|ke|keur|k€)?\b",
)
_PERIODS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"horaire|heure|/\s*h\b|\bper hour\b|\bhourly\b|\bhour\b|\/heure"), "hour"),
    (re.compile(r"mensuel|\bmois\b|/\s*m\b|\bmonth|\bmonthly\b|par mois"), "month"),
    (re.compile(r"annuel|\ban\b|\bans\b|annee|\byear|\byearly\b|par an\b|/\s*an\b|\bk\s*(?:€|e|euros?)|\bkeur"),
     "year"),
]
_UNITS = {"hour": "hour", "heure": "hour", "hourly": "hour", "month": "month", "mois": "month",
          "monthly": "month", "year": "year", "annual": "year", "an": "year", "yearly": "year",
          "week": "week", "day": "day"}
_NOISE = re.compile(
    r"sur \d+(?:[.,]\d+)?\s*mois|\d+(?:[.,]\d+)?\s*(?:e|eme|ieme)\s*mois|\d+\s*(?:h|heures)\b(?:\s*\d{2})?"
    r"|\d+\s*%|\d+\s*(?:jours?|semaines?|ans?\b)|bac\s*\+\s*\d|\b\d{1,2}/\d{1,2}/\d{2,4}"
)


def _amount(number: str, k: str) -> float | None:
    raw = number.replace("\u00a0", " ").replace("\u202f", " ")
    if re.fullmatch(r"\d{1,3}(?:[ .]\d{3})+(?:,\d{1,2})?", raw):
        raw = raw.replace(" ", "").replace(".", "")
    raw = raw.replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        return None
    if k:
        value *= 1000
    return value if math.isfinite(value) else None


def _infer_period(value: float) -> str | None:
    """A period from an amount's size, only where French gross pay leaves no doubt."""
    if 8 <= value <= 150:
        return "hour"
    if 900 <= value <= 15_000:
        return "month"
    if 15_000 < value <= 500_000:
        return "year"
    return None


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = _text(value, 100).replace("€", "").replace("\u00a0", " ").replace("\u202f", " ").strip()
        match = _NUMBER.search(text.lower())
        if not match:
            return None
        number = _amount(match.group(1), match.group(2) or "") or 0.0
    return number if math.isfinite(number) and 0 < number < 10_000_000 else None


def parse_salary(text: object, *, minimum: object = None, maximum: object = None, unit: object = None) -> Salary:
    """Salary range and period from free text and/or structured values (JSON-LD ``baseSalary``).

    Structured ``minimum`` / ``maximum`` / ``unit`` (HOUR, DAY, WEEK, MONTH, YEAR) win over the text;
    weekly amounts become monthly (× 52 / 12); daily amounts keep no period. Unknown → all None.
    """
    written = _text(text, 1000) or None
    if written:
        written = re.sub(r"\s+", " ", html_lib.unescape(written)).strip() or None
    lo, hi = _number(minimum), _number(maximum)
    unit_key = _folded(unit).strip().lower()
    period = _UNITS.get(unit_key) if unit_key else None
    if lo is not None or hi is not None:
        if lo is None:
            lo = hi
        if hi is None:
            hi = lo
        if lo is not None and hi is not None and lo > hi:
            lo, hi = hi, lo
        if period == "week" and lo is not None and hi is not None:
            lo, hi, period = round(lo * 52 / 12, 2), round(hi * 52 / 12, 2), "month"
        elif period == "day":
            period = None
        elif period is None and lo is not None:
            period = _infer_period(lo)
        return Salary(lo, hi, period, written)
    if not written:
        return Salary()
    folded = _folded(written)
    if _UNKNOWN_SALARY.search(folded) and not re.search(r"\d{3}", folded):
        return Salary(text=written)
    cleaned = _NOISE.sub(" ", folded.replace("€", " € "))
    amounts: list[tuple[float, int, int, bool]] = []
    for match in _NUMBER.finditer(cleaned):
        value = _amount(match.group(1), match.group(2) or "")
        if value is None or value <= 0:
            continue
        amounts.append((value, match.start(), match.end(), bool(match.group(2))))
        if len(amounts) == 2:
            break
    if not amounts:
        return Salary(text=written)
    lo = amounts[0][0]
    hi = lo
    if len(amounts) == 2:
        between = cleaned[amounts[0][2]:amounts[1][1]]
        if re.fullmatch(r"\s*(?:€|euros?|eur)?\s*(?:brut\w*)?\s*(?:-|–|a|à|et|to|au|jusqu.a)\s*", between):
            second, has_k = amounts[1][0], amounts[1][3]
            if has_k and not amounts[0][3] and lo < 1000:
                lo *= 1000
            hi = second
    if lo > hi:
        lo, hi = hi, lo
    period = None
    first_at = len(cleaned)
    for pattern, name in _PERIODS:
        match = pattern.search(cleaned)
        if match and match.start() < first_at:
            period, first_at = name, match.start()
    if period is None:
        period = _infer_period(lo)
    if not (0 < lo < 10_000_000 and 0 < hi < 10_000_000):
        return Salary(text=written)
    return Salary(round(lo, 2), round(hi, 2), period, written)


# ------------------------------------------------------------------------------------------ experience

_HW_EXPERIENCE = re.compile(r"^(?:sup|plus)_(\d{1,2})$|^(\d{1,2})_(\d{1,2})$|^(?:moins|inf)_(\d{1,2})$")
_DEBUTANT = re.compile(
    r"debutant|aucune experience|sans experience|pas d.experience|tous niveaux|no experience|entry.level"
    r"|premiere experience bienvenue|jeune diplome|^d$|^0$"
)
_YEARS = re.compile(r"(\d{1,2}(?:[.,]5)?)\s*(?:an\(?s?\)?|ans|annees?|years?|yrs?)\b")
_MONTHS_EXP = re.compile(r"(\d{1,2})\s*mois")
_EXPERIENCED = re.compile(r"experiment|confirme|senior|expert|experience exigee|experience requise|^e$|^s$"
                          r"|experience souhaitee|experience significative|experience professionnelle")


def parse_experience(text: object) -> Experience:
    """Experience required: "Débutant accepté" → debutant; "2 An(s)", "Minimum 2 ans", "Sup_7" → 2, 7 years."""
    folded = _folded(text)
    if not folded:
        return Experience()
    m = _HW_EXPERIENCE.match(folded)
    if m:
        sup, low, _high, below = m.groups()
        if below is not None:
            return Experience("debutant", None)
        years = float(sup if sup is not None else low)
        return Experience("experience" if years > 0 else "debutant", years if years > 0 else None)
    m = _YEARS.search(folded)
    if m:
        years = float(m.group(1).replace(",", "."))
        if years == 0:
            return Experience("debutant", None)
        if years <= 50:
            return Experience("experience", years)
    m = _MONTHS_EXP.search(folded)
    if m and 0 < int(m.group(1)) <= 600:
        return Experience("experience", round(int(m.group(1)) / 12, 2))
    if _DEBUTANT.search(folded):
        return Experience("debutant", None)
    if _EXPERIENCED.search(folded):
        return Experience("experience", None)
    return Experience()


# --------------------------------------------------------------------------------------- remote, positions

_REMOTE_NONE = re.compile(r"pas.de.teletravail|pas_teletravail|sans teletravail|aucun teletravail|^non$|^no$"
                          r"|^none$|^false$|^0$|on.?site|presentiel uniquement|^aucun$")
_REMOTE_FULL = re.compile(r"100\s*%|total|complet|full.?remote|fully remote|^telecommute$|teletravail integral"
                          r"|^remote$|^oui, total")
_REMOTE_PARTIAL = re.compile(r"partiel|occasionnel|hybride|hybrid|possible|\d\s*jours?|ponctuel|regulier"
                             r"|partial|^oui$|^yes$|^true$|teletravail|remote|frequent")


def parse_remote(text: object) -> str | None:
    """Remote work: "none", "partial", "full" or None ("Pas_teletravail", "Occasionnel", "TELECOMMUTE")."""
    folded = _folded(text).replace("-", " ")
    if not folded:
        return None
    if _REMOTE_NONE.search(folded):
        return "none"
    if _REMOTE_FULL.search(folded):
        return "full"
    if _REMOTE_PARTIAL.search(folded):
        return "partial"
    return None


_POSITIONS = re.compile(r"(\d{1,4})")


def parse_positions(value: object) -> int | None:
    """Number of positions (1–1000) from "1", 3, "3 postes", "Nombre de postes : 2"; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= 1000 else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value == int(value) and 1 <= value <= 1000 else None
    folded = _folded(value)
    if not folded:
        return None
    if re.fullmatch(r"(?:un|une|1 seul)\b.*", folded):
        return 1
    m = _POSITIONS.search(folded)
    if m:
        number = int(m.group(1))
        return number if 1 <= number <= 1000 else None
    return None


# ------------------------------------------------------------------------- fields stated in the text
# When a source leaves a field empty (schema.org says FULL_TIME for a CDI, a feed has no salary
# element), the description often states it: "Poste en CDI, à temps plein (35 h)", "CDD de 6 mois",
# "Rémunération : 1 900 € brut mensuel". Only explicit phrases count, the first one in the text wins,
# and nothing is read from a passing word ("les stagiaires de l'école" is not an internship offer).

_TEXT_CONTRACT = re.compile(
    r"\bcdi\b|\bcdd\b|contrat a duree (?:in)?determinee|contrat d.apprentissage|contrat de professionnalisation"
    r"|mission d.interim|contrat d.interim|contrat saisonnier|emploi saisonnier|poste saisonnier"
    r"|stage de \d+ (?:mois|semaines)|offre de stage|contrat de stage|\binterim\b"
)
_TEXT_CONTRACT_WINDOW = 60
_TEXT_WORKING = re.compile(r"temps plein|temps complet|temps partiel|temps non complet|mi-temps")
_TEXT_SALARY = re.compile(
    r"(?:salaire|r[ée]mun[ée]ration|r[ée]mun[ée]r[ée]e?|traitement brut|gratification)\s*(?:brut\s*)?:?\s*",
    re.IGNORECASE,
)
_TEXT_EXPERIENCE = re.compile(
    r"debutants? acceptes?|debutant\(?e?\)? accepte|(?:aucune|sans) experience (?:requise|exigee|necessaire)"
    r"|(\d{1,2})\s*ans? (?:d.experience|minimum d.experience)|experience (?:de|d.au moins|minimum de|minimale de)"
    r" (\d{1,2})\s*ans?"
)


def _text_window(text: object, limit: int = 20_000) -> str:
    if isinstance(text, str):  # the same description is read for the contract, the working time, the experience
        return _folded_window(text, limit)
    return _folded(text, limit)


@lru_cache(maxsize=8)
def _folded_window(text: str, limit: int) -> str:
    return _folded(text, limit)


def contract_in_text(text: object) -> Contract:
    """The contract an offer's text states explicitly ("Poste en CDI", "CDD de 6 mois"), else unknown."""
    folded = _text_window(text)
    match = _TEXT_CONTRACT.search(folded)
    if not match:
        return Contract()
    return parse_contract(folded[match.start():match.end() + _TEXT_CONTRACT_WINDOW].split(".")[0])


def working_time_in_text(text: object) -> WorkingTime:
    """Full / part time (and hours) stated in an offer's text ("à temps partiel (24 h par semaine)")."""
    folded = _text_window(text)
    match = _TEXT_WORKING.search(folded)
    if not match:
        return WorkingTime()
    return parse_working_time(folded[match.start():match.end() + 40].split(".")[0])


def salary_in_text(text: object) -> Salary:
    """A salary stated after "Salaire :" / "Rémunération :" in an offer's text; the text is the phrase."""
    raw = _text(text, 20_000)
    for match in _TEXT_SALARY.finditer(raw):
        phrase = raw[match.start():match.end() + 90].split("\n")[0]
        phrase = re.split(r"(?<=[a-zé€)])\.\s", phrase)[0]
        if "€" not in phrase and "euro" not in phrase.lower():
            continue
        found = parse_salary(phrase)
        if found.min is not None:
            return found
    return Salary()


def experience_in_text(text: object) -> Experience:
    """Experience stated in an offer's text ("Débutant accepté", "3 ans d'expérience")."""
    match = _TEXT_EXPERIENCE.search(_text_window(text))
    if not match:
        return Experience()
    years = match.group(1) or match.group(2)
    if years is None:
        return Experience("debutant", None)
    value = float(years)
    return Experience("experience", value) if 0 < value <= 50 else Experience()
