"""A feed cut in the middle (issue 15 item 4): exactly the records complete before the cut, with their exact
values, never a partial one, reported as truncated, whatever the lxml/libxml2 version.

The expected records are computed from how the feed was written (the byte offset where each ``</job>``
ends), not from a parser."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crawlers.feeds import STAT_TRUNCATED, STAT_TRUNCATED_KEPT, parse_xml_items, xml_value
from crawlers.monitors import RunFigures, check_run
from crawlers.spiders.hellowork import HelloWorkSpider
from tests.feeds_support import drops, replay


@dataclass(frozen=True)
class Job:
    job_id: str
    title: str
    description: str  # written in a CDATA section
    city: str  # written as an attribute


@dataclass(frozen=True)
class Feed:
    body: bytes
    jobs: list[Job]
    ends: list[int]  # byte offset just after each job's ``</job>``
    root_start: int  # byte offset just after ``<root>``
    marks: dict[str, list[int]]  # offsets inside a CDATA section, inside a tag, inside a multi-byte character


_WORDS = st.text(alphabet="abcdeéèàçôÉ€œ’😀 <>&\"'-()/", min_size=1, max_size=30)


def _visible(text: str) -> bool:
    return bool(text.strip())


jobs_strategy = st.lists(
    st.builds(
        Job,
        job_id=st.integers(1, 10**9).map(str),
        title=_WORDS.filter(_visible),
        description=_WORDS.filter(_visible).filter(lambda t: "]]>" not in t),
        city=_WORDS.filter(_visible),
    ),
    min_size=1,
    max_size=5,
)


def build_feed(jobs: list[Job]) -> Feed:
    out = bytearray(b'<?xml version="1.0" encoding="UTF-8"?>\n<root>\n')
    root_start = len(out)
    ends: list[int] = []
    marks: dict[str, list[int]] = {"cdata": [], "tag": [], "multibyte": []}
    for job in jobs:
        out += b"  <job>\n    <job_id>" + job.job_id.encode() + b"</job_id>\n"
        marks["tag"].append(len(out) + 3)  # inside "<title"
        out += b"    <title>" + escape(job.title).encode() + b"</title>\n"
        out += b'    <place city="' + escape(job.city, {'"': "&quot;"}).encode() + b'"/>\n'
        out += b"    <description><![CDATA["
        start = len(out)
        text = job.description.encode()
        marks["cdata"].append(start + len(text) // 2)
        for index, char in enumerate(job.description):
            size = len(char.encode())
            if size > 1:
                offset = start + len(job.description[:index].encode())
                marks["multibyte"].append(offset + 1)
        out += text + b"]]></description>\n  </job>"
        ends.append(len(out))
        marks["tag"].append(len(out) - 2)  # inside "</job>"
        out += b"\n"
    out += b"</root>\n"
    return Feed(bytes(out), jobs, ends, root_start, marks)


def _values(element) -> tuple[str | None, ...]:
    return (xml_value(element, "job_id"), xml_value(element, "title"), xml_value(element, "description"),
            xml_value(element, "place/@city"))


def _expected(job: Job) -> tuple[str | None, ...]:
    return (job.job_id, job.title.strip(), job.description.strip(), job.city.strip())


def _check_cut(feed: Feed, cut: int) -> None:
    result = parse_xml_items(feed.body[:cut], ["job"])
    complete = [job for job, end in zip(feed.jobs, feed.ends, strict=True) if end <= cut]
    assert [_values(item) for item in result.items] == [_expected(job) for job in complete]
    if cut >= feed.root_start:
        # inside the document: reported as truncated, one invalid_xml drop, nothing salvaged beyond the cut
        assert result.truncated
        assert [p.reason for p in result.problems] == ["invalid_xml"]
        assert "flux tronqué" in result.problems[0].detail
        assert result.recovered == 0
    else:
        assert result.items == []
        assert len(result.problems) == 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jobs=jobs_strategy, data=st.data())
def test_any_cut_gives_exactly_the_complete_jobs_before_it(jobs: list[Job], data: st.DataObject) -> None:
    feed = build_feed(jobs)
    cut = data.draw(st.integers(0, len(feed.body) - len(b"</root>\n") - 1), label="cut")
    _check_cut(feed, cut)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jobs=jobs_strategy, data=st.data())
def test_cuts_inside_cdata_tags_multibyte_characters_and_right_after_an_item(
        jobs: list[Job], data: st.DataObject) -> None:
    feed = build_feed(jobs)
    places = feed.marks["cdata"] + feed.marks["tag"] + feed.marks["multibyte"] + feed.ends
    cut = data.draw(st.sampled_from(places), label="cut")
    _check_cut(feed, cut)


@example(b"\xe2\x82")  # "€" cut after its second byte
@given(prefix=st.sampled_from([b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98"]))
def test_a_multibyte_character_cut_in_a_cdata_section(prefix: bytes) -> None:
    body = ("<root><job><job_id>1</job_id><title>Aide à domicile</title></job>"
            "<job><job_id>2</job_id><description><![CDATA[Équipe ").encode() + prefix
    result = parse_xml_items(body, ["job"])
    assert [xml_value(i, "job_id") for i in result.items] == ["1"]
    assert xml_value(result.items[0], "title") == "Aide à domicile"
    assert result.truncated


def test_the_spider_counts_the_truncation_and_health_shows_it():
    feed = build_feed([Job("1", "Aide-soignant H/F", "Cahors", "Cahors"), Job("2", "Maçon", "Figeac", "Figeac"),
                       Job("3", "Cuisinier", "Gourdon — saison", "Gourdon")])
    items, stats, spider = replay(HelloWorkSpider, feed.body[: feed.marks["cdata"][2]])
    assert [p.source_id for p in items] == ["1", "2"]
    assert [p.title for p in items] == ["Aide-soignant H/F", "Maçon"]
    assert drops(stats) == {"invalid_xml": 1}
    assert "offre n° 3 illisible (coupée)" in spider.dropped[0].detail
    assert stats[STAT_TRUNCATED] == 1
    assert stats[STAT_TRUNCATED_KEPT] == 2
    issues = check_run(RunFigures("partial", 2, "finished", stats=stats), [])
    assert [i.kind for i in issues] == ["truncated_feed"]
    assert issues[0].message.startswith("flux tronqué : seules les 2 offre(s) complète(s)")
    # the whole feed: no truncation, no alert
    items, stats, _ = replay(HelloWorkSpider, feed.body)
    assert len(items) == 3
    assert STAT_TRUNCATED not in stats
    assert check_run(RunFigures("success", 3, "finished", stats=stats), []) == []
