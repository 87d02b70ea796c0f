"""Raw posting → normalised posting: place, ROME code, contract, working time, salary, dates, safe text.

``normalize_posting`` is total: whatever a spider put in the ``RawPosting`` (strings, numbers, lists,
HTML soup, binary garbage), it returns a ``NormalizedPosting`` and never raises.

- Dropped (``drop_reason``): ``missing_title``, ``missing_id`` (no source id and no URL).
- Kept and flagged (``flags``), so staff can see and fix them: ``place_unresolved`` (no commune nor
  département), ``place_departement_only`` (only the département is known), ``outside_territory`` (the
  place lies outside ``OHMYLOT_TERRITORY``), ``expired`` (``expires_at`` before ``now``), ``rome_uncertain``
  (the ROME code was proposed by the classifier with a calibrated confidence below its threshold).
- Contract, working time, salary and experience come from the source's fields; when a field is empty,
  from the title ("Alternance - …") or from an explicit phrase of the description ("Poste en CDI, à temps
  plein (35 h)", "Rémunération : 1 900 € brut mensuel", "Débutant accepté").
- ROME: a valid code given by the source (France Travail) is kept; otherwise the ROME classifier
  (``matching.rome``, imported on first use) proposes one from the clean title and the description.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from matching.geo import get_gazetteer
from matching.parsers import (
    Contract,
    Experience,
    Salary,
    WorkingTime,
    clean_title,
    contract_in_text,
    experience_in_text,
    parse_contract,
    parse_date,
    parse_experience,
    parse_positions,
    parse_remote,
    parse_salary,
    parse_working_time,
    salary_in_text,
    working_time_in_text,
)
from matching.sanitize import html_to_text, sanitize_html
from matching.types import NormalizedPosting, Place, RawPosting

log = logging.getLogger(__name__)

_SPACES = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")
_ROME_CODE = re.compile(r"^[A-N]\d{4}$")
_URL = re.compile(r"^(?:https?://|mailto:)\S+$", re.IGNORECASE)
_ROME_DESCRIPTION_CHARS = 2_000  # the classifier reads the start of the description only

FLAG_PLACE_UNRESOLVED = "place_unresolved"
FLAG_PLACE_DEPARTEMENT_ONLY = "place_departement_only"
FLAG_OUTSIDE_TERRITORY = "outside_territory"
FLAG_EXPIRED = "expired"
FLAG_ROME_UNCERTAIN = "rome_uncertain"  # the classifier proposed the code with a low calibrated confidence
FLAGS = (FLAG_PLACE_UNRESOLVED, FLAG_PLACE_DEPARTEMENT_ONLY, FLAG_OUTSIDE_TERRITORY, FLAG_EXPIRED)
DROP_REASONS = ("missing_title", "missing_id")

# (code, label, score, uncertain): ``uncertain`` is the classifier's calibrated "not sure" signal.
RomeGuess = tuple[str, str | None, float | None, bool]


def _clean(value: object, limit: int = 2_000) -> str | None:
    """One-line text of any value (None when empty)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, (list, tuple)):
        value = " ".join(str(v) for v in value if v is not None)
    text = str(value)
    if len(text) > limit * 4:
        text = text[: limit * 4]
    if "  " in text or "\n" in text or "\t" in text or "\r" in text or "\xa0" in text:
        text = _SPACES.sub(" ", text)
    text = text.strip()
    return text[:limit] or None


def _plain(value: object, limit: int = 500) -> str | None:
    """One-line text with tags removed and entities decoded (titles and names may carry HTML)."""
    text = _clean(value, limit * 4)
    if text is None:
        return None
    if "<" in text or "&" in text:
        text = _SPACES.sub(" ", html_lib.unescape(_TAG.sub(" ", text))).strip()
    return text[:limit] or None


_ROME_CACHE: dict[tuple[str, str | None], RomeGuess | None] = {}
_ROME_CACHE_SIZE = 50_000


def _rome_from_classifier(title: str, description: str | None) -> RomeGuess | None:
    """Best ROME code from ``matching.rome`` (another area's module), or None when it is absent or fails.

    Results are remembered per (title, description): a nightly re-crawl sees mostly the same postings."""
    classify = _classifier()
    if classify is None:
        return None
    key = (title, description)
    if key in _ROME_CACHE:
        return _ROME_CACHE[key]
    guess = _classify_one(classify, title, description)
    if len(_ROME_CACHE) >= _ROME_CACHE_SIZE:
        _ROME_CACHE.clear()
    _ROME_CACHE[key] = guess
    return guess


def _classify_one(
    classify: Callable[[str, str | None], list[Any]], title: str, description: str | None
) -> RomeGuess | None:
    try:
        matches = classify(title, description)
    except Exception:  # noqa: BLE001 - a classifier bug must not lose the offer
        log.exception("ROME classification failed for %r", title[:80])
        return None
    if not matches:
        return None
    return _guess(matches[0])


def _guess(best: Any) -> RomeGuess:
    """The stored parts of a classifier's best match (duck-typed: tests plug in simple classifiers)."""
    uncertain = bool(getattr(best, "uncertain", False))
    return best.code, getattr(best, "label", None), getattr(best, "score", None), uncertain


def _apply_guess(posting: NormalizedPosting, guess: RomeGuess) -> None:
    posting.rome_code, posting.rome_label, posting.rome_score, uncertain = guess
    if uncertain:
        posting.flags.append(FLAG_ROME_UNCERTAIN)


_CLASSIFIER: list[Callable[[str, str | None], list[Any]] | None] = []
_CLASSIFY_MANY: list[Callable[[list[str], list[str | None]], list[list[Any]]] | None] = []


def _classifier() -> Callable[[str, str | None], list[Any]] | None:
    """The ROME classifier's ``classify`` (top 1), loaded on first use; None if ``matching.rome`` is absent."""
    if not _CLASSIFIER:
        try:
            from matching import rome  # noqa: PLC0415 - optional, heavy: imported on first use

            classifier = rome.get_classifier()

            def classify(title: str, description: str | None) -> list[Any]:
                return classifier.classify(title, description, top=1)

            _CLASSIFIER.append(classify)
            if hasattr(classifier, "classify_many"):

                def classify_many(titles: list[str], descriptions: list[str | None]) -> list[list[Any]]:
                    return classifier.classify_many(titles, descriptions, top=1)

                _CLASSIFY_MANY[:] = [classify_many]
        except Exception:  # noqa: BLE001 - absent or broken module: offers keep rome_code None
            log.warning("ROME classifier unavailable: offers without a ROME code stay unclassified")
            _CLASSIFIER.append(None)
    return _CLASSIFIER[0]


def set_rome_classifier(classify: Callable[[str, str | None], list[Any]] | None) -> None:
    """Replace the ROME classifier (benchmarks and tests); ``None`` switches classification off.

    Batches then classify one title at a time through ``classify`` (the batch API is the real module's).
    """
    _CLASSIFIER.clear()
    _CLASSIFIER.append(classify)
    _CLASSIFY_MANY.clear()
    _ROME_CACHE.clear()


def reset_rome_classifier() -> None:
    """Forget the classifier choice: the next classification loads ``matching.rome`` again."""
    _CLASSIFIER.clear()
    _CLASSIFY_MANY.clear()
    _ROME_CACHE.clear()


def _rome_label(code: str) -> str | None:
    try:
        from matching.rome import rome_label  # noqa: PLC0415
    except Exception:  # noqa: BLE001
        return None
    try:
        return rome_label(code)
    except Exception:  # noqa: BLE001
        return None


def _siret(value: object) -> str | None:
    digits = re.sub(r"\D", "", _clean(value, 40) or "")
    return digits if len(digits) == 14 else None


def _url(value: object) -> str | None:
    text = _clean(value, 2_000)
    return text if text and _URL.match(text) else None


def _place(raw: RawPosting) -> Place | None:
    return get_gazetteer().resolve(
        _clean(raw.location, 300),
        postal_code=_clean(raw.postal_code, 20),
        city=_clean(raw.city, 300),
        departement=_clean(raw.departement, 100),
        insee=_clean(raw.insee, 20),
        lat=raw.lat,
        lon=raw.lon,
    )


def normalize_posting(raw: RawPosting, *, now: datetime | None = None) -> NormalizedPosting:
    """Normalise one raw posting; never raises (see module docstring for drops and flags)."""
    return _normalize_safely(raw, now, classify=True)


def normalize_postings(raws: list[RawPosting], *, now: datetime | None = None) -> list[NormalizedPosting]:
    """Normalise a batch of raw postings: the same result as ``normalize_posting`` on each, with the ROME
    classification of the whole batch done in one ``classify_many`` call (faster for imports and
    re-normalisation of a whole table)."""
    postings = [_normalize_safely(raw, now, classify=False) for raw in raws]
    todo = [p for p in postings if p.rome_code is None and p.drop_reason is None and p.title_clean]
    if not todo:
        return postings
    guesses = _rome_many(
        [p.title_clean for p in todo],
        [(p.description_text or "")[:_ROME_DESCRIPTION_CHARS] or None for p in todo],
    )
    for posting, guess in zip(todo, guesses, strict=True):
        if guess:
            _apply_guess(posting, guess)
    return postings


def _rome_many(titles: list[str], descriptions: list[str | None]) -> list[RomeGuess | None]:
    """Best ROME code per title with the batch API when the classifier has one, else one by one."""
    if _classifier() is None:
        return [None] * len(titles)
    many = _CLASSIFY_MANY[0] if _CLASSIFY_MANY else None
    if many is None:
        return [_rome_from_classifier(t, d) for t, d in zip(titles, descriptions, strict=True)]
    try:
        results = many(titles, descriptions)
    except Exception:  # noqa: BLE001 - fall back to one by one, which isolates a failing title
        log.exception("batch ROME classification failed; classifying one by one")
        return [_rome_from_classifier(t, d) for t, d in zip(titles, descriptions, strict=True)]
    out: list[RomeGuess | None] = []
    for matches in results:
        best = matches[0] if matches else None
        out.append(_guess(best) if best else None)
    return out


def _normalize_safely(raw: RawPosting, now: datetime | None, *, classify: bool) -> NormalizedPosting:
    try:
        return _normalize(raw, now, classify)
    except Exception:  # noqa: BLE001 - last resort: keep the posting with what is certain
        log.exception("normalisation failed for %r", getattr(raw, "source_id", None))
        title = _plain(getattr(raw, "title", None)) or ""
        source_id = _clean(getattr(raw, "source_id", None), 500) or _clean(getattr(raw, "url", None)) or ""
        posting = NormalizedPosting(
            source=str(getattr(raw, "source", "") or ""),
            source_id=source_id,
            url=_clean(getattr(raw, "url", None)),
            title=title,
            title_clean=title,
            flags=[FLAG_PLACE_UNRESOLVED],
        )
        posting.drop_reason = "missing_title" if not title else ("missing_id" if not source_id else None)
        return posting


def _normalize(raw: RawPosting, now: datetime | None, classify: bool = True) -> NormalizedPosting:
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    title = _plain(raw.title) or ""
    title_clean = clean_title(title) if title else ""
    source_id = _clean(raw.source_id, 500) or _clean(raw.url) or ""
    description = raw.description
    if description is not None and not isinstance(description, str):
        description = _clean(description, 200_000)
    description_html = sanitize_html(description) or None
    description_text = html_to_text(description) or None
    contract, working, salary, experience = _conditions(raw, title, description_text)

    posting = NormalizedPosting(
        source=_clean(raw.source, 100) or "",
        source_id=source_id,
        url=_clean(raw.url),
        title=title,
        title_clean=title_clean,
        employer=_plain(raw.employer, 300),
        employer_siret=_siret(raw.employer_siret),
        description_html=description_html,
        description_text=description_text,
        contract_type=contract.type,
        contract_duration_months=contract.duration_months,
        working_time=working.kind,
        hours_per_week=working.hours_per_week,
        salary_min=salary.min,
        salary_max=salary.max,
        salary_period=salary.period,
        salary_text=salary.text,
        experience=experience.label(),
        published_at=parse_date(raw.published_at),
        expires_at=parse_date(raw.expires_at),
        location_label=_plain(raw.location, 300) or _plain(raw.city, 300),
        remote=parse_remote(raw.remote),
        positions=parse_positions(raw.positions),
        apply_url=_url(raw.apply_url),
        partners=[p for p in (raw.partners or []) if isinstance(p, dict)],
    )

    if not title:
        posting.drop_reason = "missing_title"
    elif not source_id:
        posting.drop_reason = "missing_id"
    _apply_place(posting, raw)
    if posting.expires_at is not None and posting.expires_at < now:
        posting.flags.append(FLAG_EXPIRED)
    _apply_rome(posting, raw, classify=classify)
    return posting


def _conditions(
    raw: RawPosting, title: str, description_text: str | None
) -> tuple[Contract, WorkingTime, Salary, Experience]:
    """Contract, working time, salary and experience: the source's fields, then what the text states."""
    contract = parse_contract(raw.contract, duration=raw.contract_duration)
    if contract.type is None and not _clean(raw.contract):
        # No contract field at all: the title often says it ("Alternance - Développeur Web F/H").
        inferred = parse_contract(title)
        if inferred.type in ("apprentissage", "professionnalisation", "stage", "interim", "saisonnier"):
            contract = Contract(inferred.type, contract.duration_months or inferred.duration_months)
    working = parse_working_time(raw.working_time)
    if working.kind is None and working.hours_per_week is None:
        working = parse_working_time(raw.contract)
    salary = parse_salary(raw.salary, minimum=raw.salary_min, maximum=raw.salary_max, unit=raw.salary_unit)
    experience = parse_experience(raw.experience)
    # Fields the source left empty but the description states explicitly ("Poste en CDI, à temps plein").
    if description_text:
        if contract.type is None:
            stated = contract_in_text(description_text)
            if stated.type is not None:
                contract = Contract(stated.type, contract.duration_months or stated.duration_months)
        if working.kind is None or working.hours_per_week is None:
            stated_time = working_time_in_text(description_text)
            if stated_time.kind is not None and working.kind in (None, stated_time.kind):
                working = WorkingTime(stated_time.kind, working.hours_per_week or stated_time.hours_per_week)
        if salary.min is None:
            stated_salary = salary_in_text(description_text)
            if stated_salary.min is not None:
                salary = stated_salary
        if experience.level is None:
            experience = experience_in_text(description_text)
    return contract, working, salary, experience


def _apply_place(posting: NormalizedPosting, raw: RawPosting) -> None:
    """The place of the posting and its flags (unresolved, département only, outside the territory)."""
    place = _place(raw)
    posting.place = place
    if place is None:
        posting.flags.append(FLAG_PLACE_UNRESOLVED)
        return
    if place.level == "departement":
        posting.flags.append(FLAG_PLACE_DEPARTEMENT_ONLY)
    if not get_gazetteer().in_territory(place):
        posting.flags.append(FLAG_OUTSIDE_TERRITORY)
    if posting.location_label is None:
        posting.location_label = place.name


def _apply_rome(posting: NormalizedPosting, raw: RawPosting, *, classify: bool) -> None:
    """ROME code: the source's, else the classifier's (not for postings that will be dropped anyway)."""
    code = (_clean(raw.rome_code, 10) or "").upper()
    if _ROME_CODE.match(code):
        posting.rome_code = code
        posting.rome_label = _plain(raw.rome_label, 300) or _rome_label(code)
    elif classify and posting.drop_reason is None and posting.title_clean:
        description = (posting.description_text or "")[:_ROME_DESCRIPTION_CHARS] or None
        guess = _rome_from_classifier(posting.title_clean, description)
        if guess:
            _apply_guess(posting, guess)
