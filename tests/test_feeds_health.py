"""What a mapping names and does not find is counted per field, and a field that disappears from a source's
offers is flagged on its crawl health (issue 17): "titre absent sur 100 % des offres depuis le 3 mars"."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from crawlers.monitors import RunFigures, check_run, field_absence_issues
from crawlers.spiders.feed import DeclaredFeedSpider
from tests.feeds_support import replay

FEED = (b"<flux>" + b"".join(b"<offre><ref>R-%d</ref><titre>Poste %d</titre><ville>Cahors</ville></offre>" % (i, i)
                             for i in range(4)) + b"</flux>")


def _format(title_path: str) -> str:
    return json.dumps({"family": "xml", "items": "offre",
                       "fields": {"source_id": "ref", "title": title_path, "city": "ville", "salary": "salaire"}})


def test_named_but_not_found_fields_are_counted_per_field():
    items, stats, _ = replay(DeclaredFeedSpider, FEED, format=_format("titre"))
    assert [p.title for p in items] == [f"Poste {i}" for i in range(4)]
    assert stats["feeds/mapped_items"] == 4
    assert stats["feeds/missing/salary"] == 4  # named, never given
    assert "feeds/missing/title" not in stats
    # the partner renamed <titre>: every offer now lacks it
    items, stats, _ = replay(DeclaredFeedSpider, FEED, format=_format("intitule"))
    assert [p.title for p in items] == [None] * 4
    assert stats["feeds/missing/title"] == 4


def _run(day: int, missing_title: int, mapped: int = 40, missing_salary: int = 38) -> RunFigures:
    stats = {"feeds/mapped_items": mapped, "feeds/missing/salary": missing_salary}
    if missing_title:
        stats["feeds/missing/title"] = missing_title
    return RunFigures("success", mapped, "finished", stats=stats, started_at=datetime(2026, 3, day, 2, 0, tzinfo=UTC))


def test_a_field_that_disappeared_is_flagged_since_the_first_run_without_it():
    history = [_run(4, 40), _run(3, 40), _run(2, 0), _run(1, 1), _run(1, 0)]  # newest first
    current = _run(5, 40)
    issues = field_absence_issues(current, history)
    assert [i.kind for i in issues] == ["field_absent"]
    assert issues[0].message.startswith("titre absent sur 100 % des offres depuis le 3 mars")
    assert "field_absent" in [i.kind for i in check_run(current, history)]


def test_no_flag_for_a_field_usually_absent_or_without_history():
    history = [_run(d, 0) for d in (4, 3, 2)]
    assert field_absence_issues(_run(5, 0), history) == []  # salary is missing 95 % of the time, as usual
    assert field_absence_issues(_run(5, 40), []) == []  # nothing to compare with yet
    assert field_absence_issues(_run(5, 20), history) == []  # half the offers still have it: not "absent"


def test_a_field_absent_only_in_this_run_is_dated_today():
    issues = field_absence_issues(_run(5, 40), [_run(4, 0), _run(3, 0)])
    assert issues[0].message.startswith("titre absent sur 100 % des offres depuis le 5 mars")
