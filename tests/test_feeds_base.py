"""The shared feed bases (crawlers/feeds.py): decoding, XML item iteration, JSON lists, field helpers,
and robustness on arbitrary bytes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawlers.feeds import (
    decode_feed,
    join_sections,
    json_value,
    looks_like_html,
    parse_json_items,
    parse_xml_items,
    remove_control_characters,
    replace_html_entities,
    split_pair,
    xml_value,
)
from crawlers.spiders.apec import ApecSpider
from crawlers.spiders.fonction_publique_rss import FonctionPubliqueRssSpider
from crawlers.spiders.hellowork import HelloWorkSpider
from crawlers.spiders.indeed import IndeedSpider
from crawlers.spiders.spreadsheet import SpreadsheetSpider
from crawlers.spiders.talentsoft import TalentsoftSpider
from crawlers.spiders.talentsoft_json import TalentsoftJsonSpider
from tests.feeds_support import make_spider

FEED_SPIDERS = {cls.name: cls for cls in (ApecSpider, FonctionPubliqueRssSpider, HelloWorkSpider, IndeedSpider,
                                          SpreadsheetSpider, TalentsoftSpider, TalentsoftJsonSpider)}


def test_decode_declared_utf8_written_in_cp1252():
    body = '<?xml version="1.0" encoding="UTF-8"?><root><job><city>Cahors – Préfecture</city></job></root>'
    decoded = decode_feed(body.encode("cp1252"))
    assert "Cahors – Préfecture" in decoded.text
    assert decoded.repairs == {"cp1252_in_utf8": 2}


def test_decode_mixed_utf8_and_cp1252_keeps_both():
    body = "Équipe ".encode() + "médecine".encode("cp1252")
    assert decode_feed(body).text == "Équipe médecine"


def test_decode_utf8_declared_latin1():
    body = '<?xml version="1.0" encoding="ISO-8859-1"?><r>Saint-Céré – Lot</r>'.encode()
    decoded = decode_feed(body)
    assert decoded.text.endswith("<r>Saint-Céré – Lot</r>")
    assert decoded.repairs == {"utf8_declared_latin": 1}
    items = parse_xml_items(b'<?xml version="1.0" encoding="windows-1252"?><root><job><t>Cr\xc3\xa9'
                            b'ole</t></job></root>', ["job"])
    assert xml_value(items.items[0], "t") == "Créole"


def test_decode_honours_declaration_bom_and_http_charset():
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><r>Figeac é</r>'.encode("latin-1")
    assert decode_feed(latin).text.endswith("Figeac é</r>")
    assert decode_feed("<r>Gourdon è</r>".encode("utf-8-sig")).text == "<r>Gourdon è</r>"
    assert decode_feed("<r>Souillac à</r>".encode("utf-16"), None).text == "<r>Souillac à</r>"
    assert decode_feed("<r>Gramat ô</r>".encode("cp1252"), "windows-1252").text == "<r>Gramat ô</r>"


def test_repair_entities_and_control_characters():
    repairs: dict[str, int] = {}
    text = remove_control_characters("<r>caf&eacute;&nbsp;&amp; &lt;b&gt; AT&T;\x0b\x01</r>", repairs)
    text = replace_html_entities(text, repairs)
    assert text == "<r>café\xa0&amp; &lt;b&gt; AT&T;</r>"
    assert repairs == {"control_characters": 2, "html_entities": 2}
    # a declared DOCTYPE may define its own entities: leave them
    assert replace_html_entities("<!DOCTYPE r [<!ENTITY x 'y'>]><r>&x;&eacute;</r>").endswith("&x;&eacute;</r>")


def test_html_entities_are_replaced_only_when_the_xml_needs_it():
    cdata = b"<root><job><t><![CDATA[opportunit&eacute;]]></t></job></root>"
    assert xml_value(parse_xml_items(cdata, ["job"]).items[0], "t") == "opportunit&eacute;"
    bare = parse_xml_items(b"<root><job><t>Caf&eacute; du Lot</t></job><job><t>b</t></job></root>", ["job"])
    assert [xml_value(j, "t") for j in bare.items] == ["Café du Lot", "b"]
    assert bare.problems == []
    assert bare.repairs == {"html_entities": 1}


def test_own_text_and_predicates():
    item = parse_xml_items(
        b"<r><job><salary>30 k\xe2\x82\xac<min/></salary><company><name>Ratier</name></company>"
        b"<f><x label='Lieu'>Figeac</x><x label='R\xc3\xa9mun\xc3\xa9ration'>SMIC</x></f></job></r>", ["job"]
    ).items[0]
    assert xml_value(item, "salary/text()") == "30 k€"
    assert xml_value(item, "company/text()") is None
    assert xml_value(item, "f/*[@label='Rémunération']") == "SMIC"


def test_xml_items_any_depth_namespaces_and_attributes():
    body = b"""<?xml version="1.0"?>
<rss xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
<item><title><a href="/o/1">Agent d'accueil</a></title><guid isPermaLink="false">g1</guid>
<dc:coverage>CAHORS</dc:coverage></item>
<item><title>Jardinier</title><dc:coverage/></item>
</channel></rss>"""
    result = parse_xml_items(body, ["item"])
    assert result.root_tag == "rss"
    assert result.problems == []
    first, second = result.items
    assert xml_value(first, "title") == "Agent d'accueil"
    assert xml_value(first, "title/a/@href") == "/o/1"
    assert xml_value(first, "guid/@isPermaLink") == "false"
    assert xml_value(first, "dc:coverage") == "CAHORS"
    assert xml_value(second, "dc:coverage") is None
    assert xml_value(second, "missing/path") is None


def test_xml_error_in_the_middle_keeps_items_after_it():
    jobs = [f"<job><id>{i}</id><title>Poste {i}</title></job>" for i in range(5)]
    jobs[2] = "<job><id>2</id><title>Poste <b>2</title></job>"  # mismatched tag
    result = parse_xml_items(("<root>" + "\n".join(jobs) + "</root>").encode(), ["job"])
    ids = [xml_value(j, "id") for j in result.items]
    assert ids[:2] == ["0", "1"]
    assert "4" in ids
    assert "2" not in ids
    assert [p.reason for p in result.problems] == ["invalid_xml"]
    assert result.recovered >= 1


def test_xml_not_a_feed_and_empty_bodies():
    assert parse_xml_items(b"<html><body>Erreur 500</body></html>", ["job"]).problems[0].reason == "not_a_feed"
    assert parse_xml_items(b"Service Unavailable", ["job"]).problems[0].reason == "not_a_feed"
    assert parse_xml_items(b'{"offres": []}', ["job"]).problems[0].reason == "not_a_feed"
    assert parse_xml_items(b"  \n", ["job"]).problems[0].reason == "empty_response"
    assert parse_xml_items(b"<root/>", ["job"]).problems == []
    assert looks_like_html(b"\xef\xbb\xbf<!-- x -->\n<!DOCTYPE html><html>")
    assert not looks_like_html(b"<?xml version='1.0'?><root/>")


def test_json_items_lists_and_errors():
    assert parse_json_items(b'[{"a": 1}, {"a": 2}]')[0] == [{"a": 1}, {"a": 2}]
    assert parse_json_items(b'{"total": 2, "offers": [{"a": 1}]}')[0] == [{"a": 1}]
    assert parse_json_items(b'{"data": {"jobs": [{"a": 1}]}}', "data.jobs")[0] == [{"a": 1}]
    assert parse_json_items(b"[]") == ([], [], {})
    items, problems, _ = parse_json_items(b'[{"a": 1}\n {"a": 2}]')
    assert items == []
    assert problems[0].reason == "invalid_json"
    assert problems[0].line == 2
    assert parse_json_items(b'{"error": "quota"}')[1][0].reason == "not_a_feed"
    assert parse_json_items(b"<!DOCTYPE html><html></html>")[1][0].reason == "not_a_feed"
    assert parse_json_items(b'[{"t": "a\tb"}]')[0] == [{"t": "a\tb"}]


def test_field_helpers():
    assert json_value({"geo": {"lat": 44.4}, "l": [{"c": "Figeac"}]}, "geo.lat") == 44.4
    assert json_value({"l": [{"c": "Figeac"}]}, "l.0.c") == "Figeac"
    assert json_value({"l": []}, "l.3.c") is None
    assert split_pair("44.4475,1.4419") == ("44.4475", "1.4419")
    assert split_pair("44.4475") == (None, None)
    assert join_sections([(None, "Missions"), ("Profil recherché", " "), ("Avantages", "Tickets resto")]) == (
        "Missions\n\nAvantages :\nTickets resto")
    assert join_sections([(None, "<p>Missions</p>"), ("Profil recherché", "Rigueur & sens\ndu contact")]) == (
        "<p>Missions</p>\n<h3>Profil recherché</h3><p>Rigueur &amp; sens<br>du contact</p>")
    assert join_sections([(None, None)]) is None


def test_a_mapping_error_drops_one_item_and_the_rest_goes_on():
    spider = make_spider(HelloWorkSpider)
    spider.post_process = lambda posting, item: 1 / 0 if posting.source_id == "2" else posting
    body = b"<root><job><job_id>1</job_id></job><job><job_id>2</job_id></job><job><job_id>3</job_id></job></root>"
    assert [p.source_id for p in spider.postings_from_body(body)] == ["1", "3"]
    assert spider.crawler.stats.get_value("offers/drop/invalid_item") == 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(body: bytes):
    spider = make_spider(HelloWorkSpider)
    postings = list(spider.postings_from_body(body))
    assert all(p.source == "hellowork" for p in postings)
    parse_json_items(body)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(FEED_SPIDERS)), st.binary(max_size=1024))
def test_no_spider_raises_on_arbitrary_bytes(name: str, body: bytes):
    spider = make_spider(FEED_SPIDERS[name])
    postings = list(spider.postings_from_body(body))
    assert all(p.source == name for p in postings)


def test_every_feed_spider_is_listed_by_scrapy():
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    for name, spider_cls in FEED_SPIDERS.items():
        assert loader.load(name) is spider_cls
        assert spider_cls.platform == name


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=6))
def test_arbitrary_text_in_jobs_never_raises(texts: list[str]):
    body = "<root>" + "".join(f"<job><title>{t}</title><job_id>{i}</job_id></job>" for i, t in enumerate(texts))
    spider = make_spider(HelloWorkSpider)
    postings = list(spider.postings_from_body(body.encode("utf-8", "surrogatepass") + b"</root>"))
    assert len(postings) <= len(texts)


def test_external_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("mot de passe", encoding="utf-8")
    body = (f'<?xml version="1.0"?><!DOCTYPE root [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
            "<root><job><job_id>1</job_id><title>Agent &x; fin</title></job></root>").encode()
    spider = make_spider(HelloWorkSpider)
    postings = list(spider.postings_from_body(body))
    assert all("mot de passe" not in (p.title or "") for p in postings)
    assert "mot de passe" not in str(spider.dropped)


def test_registry_employer_fills_only_missing_employers():
    spider = make_spider(HelloWorkSpider, employer="Centre hospitalier de Cahors")
    body = (b"<root><job><job_id>1</job_id><title>IDE</title></job>"
            b"<job><job_id>2</job_id><title>ASH</title><company_title>EHPAD Luzech</company_title></job></root>")
    assert [p.employer for p in spider.postings_from_body(body)] == ["Centre hospitalier de Cahors", "EHPAD Luzech"]


def test_gzipped_feed_files_are_read_and_bounded():
    import gzip

    from crawlers.feeds import gunzip_bounded
    from tests.feeds_support import DATA, drops, replay

    packed = gzip.compress((DATA / "hellowork.xml").read_bytes())
    items, stats, _ = replay(HelloWorkSpider, packed)
    assert len(items) == 5
    assert stats["feeds/gunzipped"] == 1
    bomb = gzip.compress(b"<root>" + b" " * 5_000_000 + b"</root>")
    assert len(bomb) < 10_000
    with pytest.raises(ValueError, match="Mio"):
        gunzip_bounded(bomb, 1024 * 1024)
    items, stats, _ = replay(HelloWorkSpider, packed[: len(packed) // 2])
    assert items == []
    assert drops(stats) == {"not_a_feed": 1}


def test_a_section_that_already_starts_with_its_heading_gets_no_second_one():
    html_sections = [(None, "<p>Missions</p>"), ("Profil recherché", "<p>Profil recherché :</p><ul><li>CAP</li></ul>")]
    assert join_sections(html_sections) == "<p>Missions</p>\n<p>Profil recherché :</p><ul><li>CAP</li></ul>"
    assert join_sections([(None, "Missions"), ("Profil recherché", "PROFIL RECHERCHE : rigueur")]) == (
        "Missions\n\nPROFIL RECHERCHE : rigueur")
