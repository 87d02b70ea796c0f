"""Every parser is total: any string (text, decoded binary, HTML soup, huge) gives a value, never raises."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.geo import get_gazetteer
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
