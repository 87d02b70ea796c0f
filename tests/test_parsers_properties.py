"""Every parser is total: any string (text, decoded binary, HTML soup, huge) gives a value, never raises."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.geo import get_gazetteer
from matching.normalize import FLAGS, normalize_posting, reset_rome_classifier, set_rome_classifier
from matching.parsers import (
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
from matching.types import RawPosting

PARSERS = (parse_contract, parse_working_time, parse_salary, parse_date, parse_experience, parse_remote,
           parse_positions, clean_title, contract_in_text, working_time_in_text, salary_in_text, experience_in_text)

soup = st.lists(
    st.sampled_from(["<p>", "</p>", "<b>", "&lt;", "&amp;", "€", "k€", "1 880,71", "H/F", "(e)", "46", "-",
                     "mois", "CDD", "2026", "/", ":", "Euros", "à", "\x00", "<script>", "&#", "é"]),
    max_size=30,
).map("".join)
anything = st.one_of(st.text(), st.binary().map(lambda b: b.decode("utf-8", errors="replace")), soup,
                     st.binary().map(lambda b: b.decode("latin-1")))


@settings(max_examples=300, deadline=None)
@given(anything)
def test_parsers_never_raise(text: str) -> None:
    for parser in PARSERS:
        parser(text)
    salary = parse_salary(text)
    assert salary.period in (None, "hour", "month", "year")
    if salary.min is not None:
        assert salary.max is not None
        assert 0 < salary.min <= salary.max
    date = parse_date(text)
    assert date is None or date.utcoffset() == timedelta(0)
    assert parse_contract(text).type in (None, "CDI", "CDD", "interim", "apprentissage", "professionnalisation",
                                         "stage", "saisonnier", "liberal", "titulaire", "contractuel",
                                         "independant", "autre")
    assert parse_working_time(text).kind in (None, "full_time", "part_time")
    assert isinstance(clean_title(text), str)


@settings(max_examples=200, deadline=None)
@given(anything)
def test_sanitizer_never_raises_and_never_lets_scripts_through(text: str) -> None:
    html = sanitize_html(text)
    assert "<script" not in html.lower()
    assert "javascript:" not in html.lower() or "href" not in html.lower()
    html_to_text(text)


@settings(max_examples=200, deadline=None)
@given(anything, st.one_of(st.none(), st.text(max_size=8)), st.one_of(st.none(), st.text(max_size=8)))
def test_gazetteer_never_raises(text: str, postal: str | None, insee: str | None) -> None:
    get_gazetteer().resolve(text, postal_code=postal, insee=insee, city=text, departement=postal)


def test_huge_strings() -> None:
    huge = "Mensuel de 1880,71 Euros " * 200_000
    for parser in PARSERS:
        parser(huge)
    assert parse_salary(huge).min == 1880.71
    assert html_to_text("<p>" * 100_000).strip() == ""
    get_gazetteer().resolve("Cahors " * 100_000)


def test_non_string_values() -> None:
    for value in (None, 0, 1.5, float("nan"), float("inf"), [], ["CDI"], {"a": 1}, b"\xff", object()):
        for parser in PARSERS:
            parser(value)
    assert parse_contract(["CDI"]).type == "CDI"


text_or_none = st.one_of(st.none(), anything)


@pytest.fixture(autouse=True)
def _no_classifier():
    """Totality of this module's functions; the ROME classifier has its own property test."""
    set_rome_classifier(None)
    yield
    reset_rome_classifier()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.builds(
        RawPosting,
        source=st.text(max_size=20),
        source_id=text_or_none,
        url=text_or_none,
        title=text_or_none,
        employer=text_or_none,
        employer_siret=text_or_none,
        description=text_or_none,
        location=text_or_none,
        city=text_or_none,
        postal_code=text_or_none,
        departement=text_or_none,
        insee=text_or_none,
        lat=st.one_of(st.none(), st.floats(), anything),
        lon=st.one_of(st.none(), st.floats(), anything),
        contract=text_or_none,
        contract_duration=text_or_none,
        working_time=text_or_none,
        salary=text_or_none,
        salary_min=st.one_of(st.none(), st.floats(), anything),
        salary_max=st.one_of(st.none(), st.floats(), anything),
        salary_unit=text_or_none,
        experience=text_or_none,
        published_at=text_or_none,
        expires_at=text_or_none,
        rome_code=text_or_none,
        positions=st.one_of(st.none(), st.integers(), anything),
        remote=text_or_none,
    )
)
def test_normalize_posting_is_total(raw: RawPosting) -> None:
    posting = normalize_posting(raw)
    assert posting.drop_reason in (None, "missing_title", "missing_id")
    assert set(posting.flags) <= set(FLAGS)
    assert (posting.drop_reason == "missing_title") == (not posting.title)
    json.dumps(posting.as_json())
    assert "<script" not in (posting.description_html or "").lower()
