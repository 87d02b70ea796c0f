"""Platform bases for partner feeds: XML job feeds, RSS 2.0 (+ Dublin Core) and JSON lists.

A feed spider declares *where* its items are and *which* element or key holds each ``RawPosting`` field;
it inherits *how* to read them from this module (the All The Places way: a new partner on a known platform
is a registry entry, a new platform a ~30-line spider, never a copy of parsing code)::

    class AcmeSpider(XmlFeedSpider):
        name = platform = "acme"
        item_tags = ("offer",)
        fields = {"source_id": "ref", "title": ("title", "name"), "city": "place/city"}

What the bases do for every spider:

- **decoding** (:func:`decode_feed`): BOM, then the XML declaration (or the HTTP ``charset``), then UTF-8;
  bytes that are not valid in the declared UTF-8 are read as Windows-1252 (French ATS exports often declare
  UTF-8 and write Windows-1252), control characters forbidden in XML are removed, and when the XML cannot
  be read because of HTML entities it does not define (``&eacute;``, ``&nbsp;``), they are replaced by
  their characters. A gzipped file served without ``Content-Encoding`` is decompressed (bounded). Each
  repair is counted in stats as ``feeds/repair/<kind>``.
- **XML item iteration** (:func:`parse_xml_items`): a strict incremental parse keeps every item whose end
  tag was read before the first syntax error. A document that stops in the middle (a truncated download)
  gives exactly those items, one drop ``invalid_xml`` and the stat ``feeds/truncated`` (the source's
  crawl health shows it; the run is partial, so it closes nothing) — whatever lxml/libxml2 version, since
  libxml2's recovery mode is never used to read a truncated document. After a syntax error *inside* the
  document, recovery salvages the items that start after the error's line; the item being read is dropped.
- **bad documents**: an HTML page served instead of the feed (an error page with status 200) is one drop
  ``not_a_feed``; an empty body is one drop ``empty_response``; a JSON syntax error is one drop
  ``invalid_json``; a valid feed with no item yields nothing and is not an error.
- **field mapping**: :attr:`FeedSpider.fields` maps ``RawPosting`` attributes to paths (first non-empty
  wins), :attr:`FeedSpider.extra_fields` fills ``RawPosting.extra``; values are the source's strings with
  surrounding white space removed and empty strings as ``None``: no value is ever invented, and no
  normalisation happens here (that is the pipeline's job). :meth:`FeedSpider.post_process` is the hook for
  what a mapping cannot say.
- **drops**: every dropped item or document is counted in crawler stats as ``offers/drop/<reason>``
  through ``crawlers.drops`` (an item whose id is known keeps its stored posting alive; a broken document
  makes the run partial, so it closes nothing) and logged with its position (line or offer number).

Parsing functions take bytes and return values, so they are tested without Scrapy; the spider classes only
add the Scrapy plumbing (requests, stats, logging).

Decoding lives in ``crawlers.feed_decoding`` and the field helpers in ``crawlers.feed_fields`` (issue 20);
this module re-exports their names.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import scrapy
from lxml import etree

from crawlers.base import OhmylotSpider
from crawlers.drops import drop_page, drop_posting
from crawlers.feed_decoding import _GUNZIP_DEFAULT_LIMIT, _GZIP_MAGIC, _UNDEFINED_ENTITY, _XML_DECLARATION

# Decoding and field helpers live in their own modules; re-exported so ``from crawlers.feeds import …`` keeps working.
from crawlers.feed_decoding import Decoded as Decoded
from crawlers.feed_decoding import declared_encoding as declared_encoding
from crawlers.feed_decoding import decode_feed as decode_feed
from crawlers.feed_decoding import gunzip_bounded as gunzip_bounded
from crawlers.feed_decoding import looks_like_html as looks_like_html
from crawlers.feed_decoding import remove_control_characters as remove_control_characters
from crawlers.feed_decoding import replace_html_entities as replace_html_entities
from crawlers.feed_fields import NAMESPACES as NAMESPACES
from crawlers.feed_fields import attribute as attribute
from crawlers.feed_fields import clean_value as clean_value
from crawlers.feed_fields import find_item_list as find_item_list
from crawlers.feed_fields import first_value as first_value
from crawlers.feed_fields import join_sections as join_sections
from crawlers.feed_fields import join_values as join_values
from crawlers.feed_fields import json_records as json_records
from crawlers.feed_fields import json_value as json_value
from crawlers.feed_fields import looks_like_markup as looks_like_markup
from crawlers.feed_fields import node_text as node_text
from crawlers.feed_fields import split_pair as split_pair
from crawlers.feed_fields import xml_element as xml_element
from crawlers.feed_fields import xml_first_value
from crawlers.feed_fields import xml_value as xml_value
from matching.types import RawPosting

#: Drop reasons counted by the feed bases (``offers/drop/<reason>``).
DROP_NOT_A_FEED = "not_a_feed"
DROP_EMPTY_RESPONSE = "empty_response"
DROP_INVALID_XML = "invalid_xml"
DROP_INVALID_JSON = "invalid_json"
DROP_INVALID_ITEM = "invalid_item"
DROP_INVALID_ROW = "invalid_row"

#: Stats of a truncated feed: one per truncated document, and the complete items read before the cut.
STAT_TRUNCATED = "feeds/truncated"
STAT_TRUNCATED_KEPT = "feeds/truncated/items_before_cut"

#: Items mapped, and per field the items where the mapping found nothing (``feeds/missing/title``…).
STAT_MAPPED_ITEMS = "feeds/mapped_items"
STAT_MISSING_PREFIX = "feeds/missing/"


# --------------------------------------------------------------------------------------------------------
# XML items
# --------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class FeedProblem:
    """Something that was dropped while reading a document: a reason and where/why, for the log."""

    reason: str
    detail: str
    line: int | None = None
    ref: str | None = None  # the dropped posting's id at its source, when known
    truncated: bool = False  # the document stops in the middle (only the complete items were kept)


@dataclass(slots=True)
class XmlItems:
    """The result of :func:`parse_xml_items`."""

    items: list[etree._Element]
    problems: list[FeedProblem]
    root_tag: str | None
    repairs: dict[str, int]
    recovered: int = 0  # items read by libxml2's recovery mode after a syntax error
    truncated: bool = False  # the document stops in the middle: only the items complete before the cut


def localname(tag: object) -> str:
    """The tag name without its namespace (``{ns}item`` → ``item``); '' for comments and processing
    instructions."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _item_filter(item_tags: frozenset[str]) -> list[str]:
    return [f"{{*}}{tag}" for tag in sorted(item_tags)]


@dataclass(slots=True)
class _StrictParse:
    """What the strict incremental parse saw: the items whose end tag was read before the first error."""

    items: list[etree._Element]
    root_tag: str | None
    error: etree.XMLSyntaxError | None
    #: the error came when the input ended (all bytes accepted, document unfinished): the feed is truncated
    at_end: bool


def _strict_items(data: bytes, item_tags: frozenset[str]) -> _StrictParse:
    """Strict incremental parse (``XMLPullParser``, no recovery) that stops at the first error.

    An item counts only once its *end* event was read, so an item cut anywhere (inside a tag, a CDATA
    section, a multi-byte character) is never returned, whatever libxml2 version buffers how much input:
    the result only depends on which end tags precede the error. ``at_end`` tells a document that stopped
    in the middle (every byte was accepted, the error came at ``close()``) from a syntax error inside it.
    """
    parser = etree.XMLPullParser(events=("start", "end"), tag=_item_filter(item_tags), recover=False,
                                 resolve_entities="internal", no_network=True, huge_tree=False,
                                 remove_comments=True, remove_pis=True)
    items: list[etree._Element] = []
    depth = 0  # how many item elements are open (an item inside an item is one of its fields)

    def consume() -> None:
        nonlocal depth
        for event, element in parser.read_events():
            if event == "start":
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    items.append(element)

    root_tag: str | None = None
    error: etree.XMLSyntaxError | None = None
    try:
        for start in range(0, len(data), 1 << 16):
            parser.feed(data[start : start + (1 << 16)])
            consume()
    except etree.XMLSyntaxError as exc:
        error = exc
    else:
        complete = len(items)
        try:
            root = parser.close()
            root_tag = localname(root.tag) if root is not None else None
        except etree.XMLSyntaxError as exc:
            # libxml2 ≥ 2.13 reports end events for the elements still open when a truncated input is
            # closed: an item that ends only then was cut, so only the items ended while feeding count.
            consume()
            return _StrictParse(items[:complete], None, exc, True)
    consume()
    return _StrictParse(items, root_tag, error, False)


def _recovered(data: bytes, item_tags: frozenset[str]) -> tuple[str | None, list[etree._Element]]:
    """libxml2's recovery mode: the root tag (``None`` when nothing looked like XML) and every item."""
    parser = etree.XMLParser(recover=True, resolve_entities="internal", no_network=True, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None, []
    if root is None:
        return None, []
    # Nested items are kept: recovery of a mismatched tag nests the following items inside the broken one.
    return localname(root.tag), list(root.iter(*_item_filter(item_tags)))


def parse_xml_items(body: bytes, item_tags: Iterable[str], *, http_charset: str | None = None) -> XmlItems:
    """Read the item elements (any depth, matched by local name) of an XML feed; never raises.

    Returns the items in document order and the problems met (each one drop). See the module docstring for
    the rules on truncated and malformed documents.
    """
    tags = frozenset(item_tags)
    if not body.strip():
        return XmlItems([], [FeedProblem(DROP_EMPTY_RESPONSE, "réponse vide")], None, {})
    decoded = decode_feed(body, http_charset)
    repairs = dict(decoded.repairs)
    text = remove_control_characters(decoded.text, repairs)
    if decoded.encoding == "utf-8" and not repairs and not body.startswith(codecs.BOM_UTF8):
        data = body  # clean UTF-8 as declared: parsed as it came
    else:
        # The text is re-encoded as UTF-8: the declaration must not name another encoding any more.
        data = _XML_DECLARATION.sub(b"", text.encode("utf-8"), count=1)
    strict = _strict_items(data, tags)
    if strict.error is not None and _UNDEFINED_ENTITY.search(strict.error.msg or ""):
        # HTML entities in XML text: replace them and read again (only then: values stay as written).
        text = replace_html_entities(text, repairs)
        data = _XML_DECLARATION.sub(b"", text.encode("utf-8"), count=1)
        strict = _strict_items(data, tags)
    items, error = strict.items, strict.error
    root_tag, salvage = strict.root_tag, []
    if error is not None:
        root_tag, salvage = _recovered(data, tags)
    if (root_tag is not None and root_tag.lower() == "html") or looks_like_html(body):
        return XmlItems([], [FeedProblem(DROP_NOT_A_FEED, f"une page HTML et non un flux (racine <{root_tag}>)")],
                        root_tag, repairs)
    if error is None:
        return XmlItems(items, [], root_tag, repairs)
    line = error.lineno
    if root_tag is None:
        return XmlItems([], [FeedProblem(DROP_NOT_A_FEED, f"pas du XML : {error.msg}", line)], None, repairs)
    if strict.at_end:
        # Truncated: nothing follows the cut, so nothing is salvaged; the recovery parse only tells whether
        # an item was open at the cut (libxml2's recovery would return it as if it were whole).
        cut = len(salvage) > len(items)
        what = (f"offre n° {len(items) + 1} illisible (coupée)" if cut
                else f"coupé après l'offre n° {len(items)}")
        problem = FeedProblem(DROP_INVALID_XML, f"flux tronqué, {what} : {error.msg}", line)
        return XmlItems(items, [problem], root_tag, repairs, truncated=True)
    # A syntax error inside the document: the items that start after the error's line are salvaged from
    # the recovery parse; those that started before it (the one being read) cannot be trusted.
    after = salvage[len(items):] if len(salvage) >= len(items) else []
    recovered = [element for element in after if (element.sourceline or 0) > (line or 0)]
    broken = len(after) - len(recovered)
    what = f"offre n° {len(items) + 1} illisible" if broken else "document abîmé hors des offres"
    problems = [FeedProblem(DROP_INVALID_XML, f"{what} : {error.msg}", line)]
    return XmlItems(items + recovered, problems, root_tag, repairs, recovered=len(recovered))


# --------------------------------------------------------------------------------------------------------
# Spiders
# --------------------------------------------------------------------------------------------------------

Paths = str | tuple[str, ...]


def _as_paths(paths: Paths) -> tuple[str, ...]:
    return (paths,) if isinstance(paths, str) else tuple(paths)


_RAW_FIELDS = frozenset(RawPosting.__slots__) - {"source", "extra", "partners"}


class FeedSpider(OhmylotSpider):
    """Base of the spiders that read one document (a feed) per start URL.

    Subclasses implement :meth:`items_from_body` (a format) and declare :attr:`fields` (a platform).
    """

    #: ``RawPosting`` attribute → path(s) in an item, first non-empty wins.
    fields: ClassVar[Mapping[str, Paths]] = {}
    #: ``RawPosting.extra`` key → path(s) in an item.
    extra_fields: ClassVar[Mapping[str, Paths]] = {}
    #: Description sections: (French heading or None for the first, path(s)); joined by :func:`join_sections`.
    description_sections: ClassVar[Sequence[tuple[str | None, Paths]]] = ()

    custom_settings: ClassVar[dict[str, Any]] = {}
    #: per-item memo for format bases (reset before each item)
    item_cache: dict[Any, Any]

    async def start(self) -> AsyncIterator[Any]:
        """Scrapy ≥ 2.13 entry point: the requests of :meth:`start_requests`."""
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[Any]:
        """One request per start URL (``-a url=``, comma-separated; ``file://`` replays a saved feed)."""
        for url in self.start_urls_list:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    # -- Scrapy callback ----------------------------------------------------------------------------------
    def parse(self, response: Any, **kwargs: Any) -> Iterator[RawPosting]:
        """Read the whole document in ``response`` and yield one ``RawPosting`` per valid item."""
        charset = None
        content_type = response.headers.get(b"Content-Type") if hasattr(response, "headers") else None
        if content_type:
            match = re.search(rb"charset=([A-Za-z0-9._:-]+)", content_type)
            charset = match.group(1).decode("ascii") if match else None
        self.current_url = response.url
        body = response.body
        if body.startswith(_GZIP_MAGIC):  # a feed file served gzipped without Content-Encoding (.xml.gz)
            limit = int(self.settings.getint("DOWNLOAD_MAXSIZE", 0)) if hasattr(self, "settings") else 0
            try:
                body = gunzip_bounded(body, limit or _GUNZIP_DEFAULT_LIMIT)
            except ValueError as exc:
                self.drop(DROP_NOT_A_FEED, f"fichier gzip illisible : {exc}")
                return
            self.inc_stat("feeds/gunzipped")
        yield from self.postings_from_body(body, url=response.url, http_charset=charset)

    def postings_from_body(self, body: bytes, *, url: str | None = None,
                           http_charset: str | None = None) -> Iterator[RawPosting]:
        """Parse ``body`` into postings, counting every drop; never raises."""
        count = 0
        seen: set[str] = set()
        for position, item in self.items_from_body(body, http_charset=http_charset):
            self.item_cache = {}  # lookups of one item (its elements stay alive meanwhile)
            try:
                posting = self.posting_from_item(item)
                posting = self.post_process(posting, item) if posting is not None else None
            except Exception as exc:  # noqa: BLE001 - one bad item must not stop the feed
                self.drop(DROP_INVALID_ITEM, f"{type(exc).__name__}: {exc}", position=position,
                          ref=self._ref_of(item))
                continue
            if posting is None:
                continue
            if posting.employer is None and self.default_employer:
                posting.employer = self.default_employer
            if posting.source_id is not None:
                if posting.source_id in seen:
                    # Kept (the store keeps the last version); counted so that staff can tell the partner.
                    self.inc_stat("feeds/duplicate_source_id")
                    self.logger.warning("%s : %s : identifiant %r déjà vu dans ce flux", self.name, position,
                                        posting.source_id)
                seen.add(posting.source_id)
            count += 1
            yield posting
        self.inc_stat("feeds/items", count)
        self.logger.info("%s : %d offre(s) lue(s) dans %s", self.name, count, url or "le document")

    def _ref_of(self, item: Any) -> str | None:
        """The source id of an item that could not be mapped, when it can still be read."""
        try:
            return self.get(item, self.fields["source_id"]) if "source_id" in self.fields else None
        except Exception:  # noqa: BLE001 - best effort only
            return None

    # -- to be provided by a format base ------------------------------------------------------------------
    def items_from_body(self, body: bytes, *, http_charset: str | None = None) -> Iterator[tuple[str, Any]]:
        """Yield ``(position, item)`` pairs (position: "ligne 12", "offre 3", …); report problems with
        :meth:`drop`."""
        raise NotImplementedError

    def value(self, item: Any, path: str) -> Any:
        """The value at ``path`` in one item (format-specific)."""
        raise NotImplementedError

    # -- mapping ------------------------------------------------------------------------------------------
    def get(self, item: Any, paths: Paths) -> str | None:
        """The first non-empty value among ``paths`` in ``item``."""
        return first_value(self.value(item, p) for p in _as_paths(paths))

    def posting_from_item(self, item: Any) -> RawPosting | None:
        """Build the posting from :attr:`fields`, :attr:`extra_fields` and :attr:`description_sections`."""
        values: dict[str, Any] = {}
        for attr, paths in self.fields.items():
            if attr not in _RAW_FIELDS:
                raise AttributeError(f"{type(self).__name__}.fields: RawPosting has no field {attr!r}")
            values[attr] = self.get(item, paths)
        if self.description_sections and not values.get("description"):
            values["description"] = join_sections(
                [(heading, self.get(item, paths)) for heading, paths in self.description_sections]
            )
        self.count_missing(values)
        extra = {key: v for key, paths in self.extra_fields.items() if (v := self.get(item, paths)) is not None}
        return RawPosting(source=self.source_id, extra=extra, **values)

    def post_process(self, posting: RawPosting, item: Any) -> RawPosting | None:
        """Hook: adjust a posting with what :attr:`fields` cannot say; return ``None`` to skip it."""
        return posting

    @property
    def default_employer(self) -> str | None:
        """``-a employer=…``: the employer of a source that publishes for one employer only (registry
        ``employer``), used when an item names none."""
        return clean_value(getattr(self, "employer", None))

    # -- stats --------------------------------------------------------------------------------------------
    def inc_stat(self, key: str, count: int = 1) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(key, count)

    def drop(self, reason: str, detail: str, *, position: str | None = None, ref: str | None = None) -> None:
        """Count one dropped item or document (``offers/drop/<reason>``) and log why and where.

        With ``ref`` (the source's id of the dropped posting) the stored posting stays alive and the run can
        still succeed (``crawlers.drops.drop_posting``); without, we cannot tell which postings were lost,
        so the run is partial and closes nothing (``drop_page``, RELIABILITY.md C5).
        """
        text = f"{position} : {detail}" if position else detail
        self.dropped.append(FeedProblem(reason, text))
        if ref:
            drop_posting(self, reason, ref=ref, detail=f"{self.name}, {text}")
        else:
            drop_page(self, reason, url=getattr(self, "current_url", None), detail=f"{self.name}, {text}")

    @property
    def dropped(self) -> list[FeedProblem]:
        """Every drop of this spider so far (for tests and summaries)."""
        if not hasattr(self, "_dropped"):
            self._dropped: list[FeedProblem] = []
        return self._dropped

    def count_missing(self, values: Mapping[str, Any]) -> None:
        """Count each field the mapping names but did not find in this item (``feeds/missing/<field>``),
        against ``feeds/mapped_items``: the crawl health compares the shares with the source's history."""
        self.inc_stat(STAT_MAPPED_ITEMS)
        for name, value in values.items():
            if value is None:
                self.inc_stat(f"{STAT_MISSING_PREFIX}{name}")

    def count_repairs(self, repairs: Mapping[str, int]) -> None:
        for kind, count in repairs.items():
            self.inc_stat(f"feeds/repair/{kind}", count)
            self.logger.info("%s : %d réparation(s) %s", self.name, count, kind)


class XmlFeedSpider(FeedSpider):
    """Base for XML feeds: items are the elements named one of :attr:`item_tags` (local names, any depth).

    Paths in :attr:`fields` are element paths relative to the item (``address/city``, ``dc:coverage``,
    ``guid/@isPermaLink``).
    """

    item_tags: ClassVar[tuple[str, ...]] = ("job",)

    def items_from_body(self, body: bytes, *, http_charset: str | None = None) -> Iterator[tuple[str, Any]]:
        result = parse_xml_items(body, self.item_tags, http_charset=http_charset)
        self.count_repairs(result.repairs)
        if result.recovered:
            self.inc_stat("feeds/recovered_items", result.recovered)
        if result.truncated:
            # shown on the source's crawl health (crawlers.monitors.feed_issues); the drop makes the run partial
            self.inc_stat(STAT_TRUNCATED)
            self.inc_stat(STAT_TRUNCATED_KEPT, len(result.items))
        for problem in result.problems:
            self.drop(problem.reason, problem.detail,
                      position=f"ligne {problem.line}" if problem.line else None)
        for element in result.items:
            yield f"ligne {element.sourceline}", element

    def value(self, item: Any, path: str) -> Any:
        return xml_value(item, path, getattr(self, "item_cache", None))

    def get(self, item: Any, paths: Paths) -> str | None:
        if type(self).value is not XmlFeedSpider.value:  # a subclass reads values its own way
            return super().get(item, paths)
        return xml_first_value(item, _as_paths(paths), getattr(self, "item_cache", None))


class RssFeedSpider(XmlFeedSpider):
    """Base for RSS 2.0 feeds, Dublin Core and ``content:encoded`` included."""

    item_tags: ClassVar[tuple[str, ...]] = ("item",)
    fields: ClassVar[Mapping[str, Paths]] = {
        "source_id": ("guid", "link"),
        "url": ("link", "guid"),
        "title": ("title", "dc:title"),
        "description": ("content:encoded", "description"),
        "published_at": ("pubDate", "dc:date"),
        "employer": "dc:publisher",
    }


class JsonFeedSpider(FeedSpider):
    """Base for JSON feeds: a list of objects, at the top level or at :attr:`items_path` (dotted).

    Paths in :attr:`fields` are dotted keys relative to one object (``geo.lat``, ``locations.0.city``).
    """

    #: dotted path to the list of items; ``None``: the document is the list (or an object holding one list)
    items_path: ClassVar[str | None] = None

    def items_from_body(self, body: bytes, *, http_charset: str | None = None) -> Iterator[tuple[str, Any]]:
        items, problems, repairs = parse_json_items(body, self.items_path, http_charset=http_charset)
        self.count_repairs(repairs)
        if any(problem.truncated for problem in problems):
            self.inc_stat(STAT_TRUNCATED)
            self.inc_stat(STAT_TRUNCATED_KEPT, sum(1 for item in items if isinstance(item, Mapping)))
        for problem in problems:
            self.drop(problem.reason, problem.detail,
                      position=f"ligne {problem.line}" if problem.line else None)
        for index, item in enumerate(items, start=1):
            if isinstance(item, Mapping):
                yield f"offre {index}", item
            else:
                self.drop(DROP_INVALID_ITEM, f"pas un objet : {type(item).__name__}", position=f"offre {index}")

    def value(self, item: Any, path: str) -> Any:
        return json_value(item, path)


def parse_json_items(body: bytes, items_path: str | None = None, *,
                     http_charset: str | None = None) -> tuple[list[Any], list[FeedProblem], dict[str, int]]:
    """The list of items of a JSON feed, the problems met and the repairs made; never raises."""
    if not body.strip():
        return [], [FeedProblem(DROP_EMPTY_RESPONSE, "réponse vide")], {}
    if looks_like_html(body):
        return [], [FeedProblem(DROP_NOT_A_FEED, "une page HTML et non un flux JSON")], {}
    decoded = decode_feed(body, http_charset)
    problems: list[FeedProblem] = []
    try:
        document = json.loads(decoded.text, strict=False)  # strict=False: raw control characters in strings
    except json.JSONDecodeError as exc:
        document = truncated_json_prefix(decoded.text)
        if document is None:
            problem = FeedProblem(DROP_INVALID_JSON, f"JSON invalide : {exc.msg} (colonne {exc.colno})",
                                  exc.lineno)
            return [], [problem], decoded.repairs
        problems.append(FeedProblem(DROP_INVALID_JSON, "flux JSON tronqué : seules les offres complètes avant la "
                                    "coupure sont lues", exc.lineno, truncated=True))
    except RecursionError:
        return [], [FeedProblem(DROP_INVALID_JSON, "JSON imbriqué trop profondément")], decoded.repairs
    if items_path:
        items: Any = json_value(document, items_path)
        if isinstance(items, Mapping):  # a detail document: one offer
            items = [items]
    else:
        lists = [v for v in document.values() if isinstance(v, list)] if isinstance(document, Mapping) else []
        # an object holding one list (even an empty one: a valid feed without offers), else search it
        items = lists[0] if len(lists) == 1 and not lists[0] else json_records(document)[1]
    if not isinstance(items, list):
        if problems:  # truncated before the first offer was complete
            return [], problems, decoded.repairs
        where = f" sous {items_path!r}" if items_path else ""
        problem = FeedProblem(DROP_NOT_A_FEED, f"aucune liste d'offres{where} dans le document JSON")
        return [], [problem], decoded.repairs
    return items, problems, decoded.repairs


def truncated_json_prefix(text: str) -> Any | None:
    """The document a truncated JSON text was the beginning of, cut after its last complete offer; ``None``
    when the text is not a truncated document (a syntax error elsewhere) or nothing can be kept.

    The text is scanned (strings and escapes respected) for the containers still open at its end. The
    offers are the elements of the outermost list still open: the text is cut right after the last element
    of that list that was closed (or right after the list's ``[``), and the open containers are closed. An
    element cut in the middle is thus never kept; nested lists inside it are not mistaken for the offers.
    """
    stack: list[tuple[str, int]] = []  # open containers: (bracket, position)
    cuts: list[tuple[int, tuple[tuple[str, int], ...]]] = []  # after a closing bracket: (end, still open)
    in_string = escaped = False
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            stack.append((char, position))
        elif char in "]}":
            if not stack or "[{".index(stack[-1][0]) != "]}".index(char):
                return None
            stack.pop()
            cuts.append((position + 1, tuple(stack)))
    if not stack:
        return None  # complete but invalid: not a truncation
    lists = [index for index, (bracket, _) in enumerate(stack) if bracket == "["]
    keep = tuple(stack[: lists[0] + 1]) if lists else tuple(stack)
    end = next((cut for cut, opened in reversed(cuts) if opened == keep), None)
    if end is None:
        end = keep[-1][1] + 1  # nothing complete in it: close it empty
    closers = "".join("]" if bracket == "[" else "}" for bracket, _ in reversed(keep))
    try:
        return json.loads(text[:end] + closers, strict=False)
    except (json.JSONDecodeError, RecursionError):
        return None
