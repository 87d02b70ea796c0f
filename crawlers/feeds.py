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
"""

from __future__ import annotations

import codecs
import html
import html.entities
import json
import re
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

import scrapy
from lxml import etree

from crawlers.base import OhmylotSpider
from crawlers.drops import drop_page, drop_posting
from matching.text import fold
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

#: XML namespaces understood in field paths as ``prefix:name``.
NAMESPACES: dict[str, str] = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "atom": "http://www.w3.org/2005/Atom",
    "media": "http://search.yahoo.com/mrss/",
    "g": "http://base.google.com/ns/1.0",
}


# --------------------------------------------------------------------------------------------------------
# Decoding and repairs
# --------------------------------------------------------------------------------------------------------

_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.IGNORECASE)
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_UNDEFINED_ENTITY = re.compile(r"Entity '[^']+' not defined")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])",
                         re.IGNORECASE | re.DOTALL)


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read the undecodable bytes as Windows-1252 (Latin-1 for its 5 holes)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    chunk = error.object[error.start : error.end]
    return "".join(_cp1252_byte(b) for b in chunk), error.end


def _cp1252_byte(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return bytes([byte]).decode("latin-1")


codecs.register_error("ohmylot-cp1252", _cp1252_fallback)


@dataclass(slots=True)
class Decoded:
    """A feed body as text, with the encoding used and the repairs made (``{kind: count}``)."""

    text: str
    encoding: str
    repairs: dict[str, int] = field(default_factory=dict)


def _codec_name(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        return None


def declared_encoding(body: bytes) -> str | None:
    """The encoding named by the XML declaration at the start of ``body``, if any (normalised codec name)."""
    match = _XML_DECLARATION.match(body[:512])
    if not match:
        return None
    enc = _DECLARED_ENCODING.search(match.group(0))
    return _codec_name(enc.group(1).decode("ascii")) if enc else None


_LATIN_CODECS = frozenset(codecs.lookup(n).name for n in ("latin-1", "iso-8859-15", "cp1252"))
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def decode_feed(body: bytes, http_charset: str | None = None) -> Decoded:
    """Decode a feed body; never raises.

    Order: byte-order mark, XML declaration, HTTP ``charset``, UTF-8. When the chosen encoding is UTF-8 and
    some bytes are not valid UTF-8, those bytes are read as Windows-1252 (repair ``cp1252_in_utf8``). When a
    Latin encoding is declared but the bytes are valid UTF-8 with accented letters, they are read as UTF-8
    (repair ``utf8_declared_latin``: otherwise "é" would become "Ã©").
    """
    repairs: dict[str, int] = {}
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            text = body[len(bom):].decode(name, errors="ohmylot-cp1252" if name == "utf-8" else "replace")
            return Decoded(text, name, repairs)
    encoding = declared_encoding(body) or _codec_name(http_charset) or "utf-8"
    if encoding.startswith("utf-16") or encoding.startswith("utf-32"):
        # A declaration in an ASCII-readable prefix cannot be right for UTF-16 without BOM.
        encoding = "utf-8"
    if encoding in _LATIN_CODECS and _NON_ASCII.search(body):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            repairs["utf8_declared_latin"] = 1
            return Decoded(text, "utf-8", repairs)
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        if encoding == "utf-8":
            bad = _count_invalid_utf8(body)
            text = body.decode("utf-8", errors="ohmylot-cp1252")
            repairs["cp1252_in_utf8"] = bad
        else:
            text = body.decode(encoding, errors="replace")
            repairs["undecodable_bytes"] = text.count("\ufffd")
    return Decoded(text, encoding, repairs)


def _count_invalid_utf8(body: bytes) -> int:
    """How many invalid UTF-8 sequences ``body`` holds (U+FFFD already in the source not counted)."""
    replaced = body.decode("utf-8", errors="replace").count("\ufffd")
    return max(replaced - body.decode("utf-8", errors="ignore").count("\ufffd"), 1)


def looks_like_html(body: bytes) -> bool:
    """True when ``body`` starts like an HTML page (doctype, ``<html>``, ``<head>`` or ``<body>``)."""
    head = body[:2048]
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    return bool(_HTML_START.match(_XML_DECLARATION.sub(b"", head, count=1)))


def remove_control_characters(text: str, repairs: dict[str, int] | None = None) -> str:
    """Remove the control characters XML 1.0 forbids (a feed with one is not well-formed)."""
    cleaned, n = _CONTROL_CHARS.subn("", text)
    if n and repairs is not None:
        repairs["control_characters"] = repairs.get("control_characters", 0) + n
    return cleaned


def replace_html_entities(text: str, repairs: dict[str, int] | None = None) -> str:
    """Replace the HTML entities XML does not define (``&eacute;``, ``&nbsp;``) by their characters.

    Left alone when the document has a DOCTYPE (it may declare them).
    """
    repairs = repairs if repairs is not None else {}
    cleaned = text
    if "<!DOCTYPE" in cleaned[:4096] or "&" not in cleaned:
        return cleaned
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        name = match.group(1)
        if name in _XML_ENTITIES:
            return match.group(0)
        char = html.entities.html5.get(name + ";")
        if char is None:
            return match.group(0)
        count += 1
        # Inside markup text the character must stay well-formed XML.
        return {"&": "&amp;", "<": "&lt;", ">": "&gt;"}.get(char, char)

    cleaned = _ENTITY.sub(replace, cleaned)
    if count:
        repairs["html_entities"] = repairs.get("html_entities", 0) + count
    return cleaned


_GZIP_MAGIC = b"\x1f\x8b"
_GUNZIP_DEFAULT_LIMIT = 10 * 1024 * 1024


def gunzip_bounded(body: bytes, limit: int) -> bytes:
    """Decompress a gzip body, refusing more than ``limit`` bytes out (a small file can expand a lot).

    Raises ``ValueError`` with a French reason when the data is not gzip, is truncated or is too large.
    """
    decompressor = zlib.decompressobj(wbits=31)  # 31: gzip header
    try:
        out = decompressor.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"données gzip invalides ({exc})") from exc
    if len(out) > limit:
        raise ValueError(f"plus de {limit // (1024 * 1024)} Mio une fois décompressé")
    if not decompressor.eof:
        raise ValueError("fichier gzip tronqué")
    return out


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
# Field helpers
# --------------------------------------------------------------------------------------------------------


def clean_value(value: object) -> str | None:
    """The source's string with surrounding white space removed; ``None`` when empty or absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text or None


_STEP = re.compile(r"^([^\[]*)(.*)$")
_SIMPLE_STEP = re.compile(r"^(?:([A-Za-z][\w.-]*):)?([A-Za-z_][\w.-]*)$")


@lru_cache(maxsize=4096)
def _xml_path(path: str) -> str:
    """``address/city`` → ``{*}address/{*}city`` (any namespace); ``dc:date`` → ``{http://purl.org/dc/…}date``;
    predicates are kept (``*[@label='Rémunération']``)."""
    steps = []
    for step in path.split("/"):
        name, predicate = _STEP.match(step).groups()  # type: ignore[union-attr]
        if name in (".", "..", "*", ""):
            steps.append(step)
        elif ":" in name:
            prefix, local = name.split(":", 1)
            steps.append(f"{{{NAMESPACES[prefix]}}}{local}{predicate}")
        else:
            steps.append(f"{{*}}{name}{predicate}")
    return "/".join(steps)


def node_text(node: etree._Element | None) -> str | None:
    """All the text inside ``node`` (child elements' text included, e.g. a title wrapping a link)."""
    if node is None:
        return None
    if len(node) == 0:
        return clean_value(node.text)
    return clean_value("".join(node.itertext()))


@lru_cache(maxsize=4096)
def _compile(path: str) -> tuple[str, str, tuple[tuple[str | None, str], ...] | None, str | None]:
    """``path`` → (kind "text" | "own" | "attr", element path, simple steps or None, attribute)."""
    kind, attr = "text", None
    if path.endswith("text()"):
        kind, path = "own", path[: -len("text()")].rstrip("/")
    elif "/@" in path or path.startswith("@"):
        path, _, attr = path.rpartition("@")
        kind, path = "attr", path.rstrip("/")
    steps: list[tuple[str | None, str]] = []
    for step in path.split("/") if path else []:
        match = _SIMPLE_STEP.match(step)
        if not match:
            return kind, path, None, attr
        prefix, name = match.groups()
        steps.append((NAMESPACES[prefix] if prefix else None, name))
    return kind, path, tuple(steps), attr


def _children(node: etree._Element, cache: dict[int, dict[str, etree._Element]] | None) -> dict[
        str, etree._Element]:
    """First child by full tag, by ``*localname`` and by ``~lowercase localname`` (built once per element
    when a cache is given)."""
    index = cache.get(id(node)) if cache is not None else None
    if index is None:
        index = {}
        for child in node:
            tag = child.tag
            if isinstance(tag, str):
                local = tag.rsplit("}", 1)[-1]
                index.setdefault(tag, child)
                index.setdefault("*" + local, child)
                index.setdefault("~" + local.lower(), child)
        if cache is not None:
            cache[id(node)] = index
    return index


def _child(index: dict[str, etree._Element], namespace: str | None, name: str) -> etree._Element | None:
    """One step: the exact name (without namespace first, else any namespace), else any letter case."""
    if namespace is not None:
        found = index.get(f"{{{namespace}}}{name}")
    else:
        found = index.get(name)
        if found is None:
            found = index.get("*" + name)
    return found if found is not None else index.get("~" + name.lower())


def _walk(node: etree._Element, steps: Sequence[tuple[str | None, str]],
          cache: dict[int, dict[str, etree._Element]] | None) -> etree._Element | None:
    current: etree._Element | None = node
    for namespace, name in steps:
        current = _child(_children(current, cache), namespace, name)
        if current is None:
            return None
    return current


def attribute(node: etree._Element, name: str) -> str | None:
    """An attribute by name, in any namespace and any letter case (exact name first)."""
    value = node.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, value in node.attrib.items():
        if key.rsplit("}", 1)[-1].lower() == wanted:
            return value
    return None


def xml_element(node: etree._Element, path: str, cache: dict[int, dict[str, etree._Element]] | None = None
                ) -> etree._Element | None:
    """The element at ``path`` below ``node`` (see :func:`xml_value`)."""
    _, element_path, steps, _ = _compile(path)
    if steps is None:
        return node.find(_xml_path(element_path))
    return _walk(node, steps, cache)


def xml_value(node: etree._Element, path: str, cache: dict[int, dict[str, etree._Element]] | None = None
              ) -> str | None:
    """The text at ``path`` below ``node``, child elements' text included; ``None`` when absent or empty.

    ``a/b`` walks child elements (an unprefixed name matches the element without namespace first, else one
    in any namespace, else one in any letter case; ``dc:x`` a prefix of :data:`NAMESPACES`); ``path/@attr``
    reads an attribute; ``path/text()`` only the element's own text (``<salary>30 k€</salary>`` but not
    ``<salary><min/>…``); ElementPath predicates work too (``*[@label='Rémunération']``). Tolerance: when
    the last step of a plain path names no element, an attribute of that name is read instead
    (``<job id="12">`` for ``id``, ``<place city="Figeac"/>`` for ``place/city``), any letter case; CDATA
    is text. ``cache`` (one dict per item) indexes children once for the many lookups of one item.
    """
    kind, _, steps, attr = _compile(path)
    target = xml_element(node, path, cache)
    if target is None:
        if kind == "attr" and steps is not None:
            return None
        if kind == "text" and steps:
            parent = _walk(node, steps[:-1], cache)
            return clean_value(attribute(parent, steps[-1][1])) if parent is not None else None
        return None
    if kind == "own":
        return clean_value(target.text)
    if kind == "attr":
        return clean_value(attribute(target, attr or ""))
    return node_text(target)


def _key_fold(key: str) -> str:
    return re.sub(r"[\s_.-]+", "", key).lower()


def _json_step(current: Any, step: str) -> Any:
    """One step of a dotted path: a key (exact, else any letter case and ``_``/``-`` ignored), a list index,
    or — on a list given a key — the key in the first object of the list that has it."""
    if isinstance(current, Mapping):
        if step in current:
            return current[step]
        wanted = _key_fold(step)
        return next((v for k, v in current.items() if isinstance(k, str) and _key_fold(k) == wanted), None)
    if isinstance(current, list):
        if step.isdigit():
            return current[int(step)] if int(step) < len(current) else None
        for element in current:
            value = _json_step(element, step) if isinstance(element, Mapping) else None
            if value is not None:
                return value
    return None


def json_value(obj: Any, path: str) -> Any:
    """The value at a dotted ``path`` in nested dicts/lists (``geo.lat``, ``locations.0.city``,
    ``locations.city`` = the first location's city); keys in any letter case."""
    current = obj
    for step in path.split("."):
        current = _json_step(current, step)
        if current is None:
            return None
    return current


#: names under which JSON documents usually put their list of offers (tie-breakers, folded)
_LIST_KEYS = ("jobs", "ads", "data", "results", "offers", "offres", "items", "postings", "hits", "jobpostings",
              "content", "records", "annonces", "vacancies", "positions")


def find_item_list(document: Any, max_depth: int = 4) -> tuple[str | None, list[Any] | None]:
    """Where a JSON document keeps its offers: the document itself when it is a list, else the shallowest
    list of objects (at that depth, one under a usual name such as ``jobs``/``ads``/``results`` first, else
    the longest: Workday's ``facets`` must not win over its ``jobPostings``), at most ``max_depth`` keys
    down. Returns the dotted path (``None`` for the document) and the list.
    """
    if isinstance(document, list):
        return None, document
    level: list[tuple[str, Any]] = [("", document)]
    for _ in range(max_depth):
        found: list[tuple[int, int, str, list[Any]]] = []
        following: list[tuple[str, Any]] = []
        for prefix, value in level:
            children = value.items() if isinstance(value, Mapping) else (
                enumerate(value) if isinstance(value, list) else ())
            for key, child in children:
                path = f"{prefix}.{key}" if prefix else str(key)
                if isinstance(child, list) and child and all(isinstance(e, Mapping) for e in child):
                    name = _key_fold(str(key))
                    rank = _LIST_KEYS.index(name) if name in _LIST_KEYS else len(_LIST_KEYS)
                    found.append((-len(child), rank, path, child))
                elif isinstance(child, Mapping | list):
                    following.append((path, child))
        if found:
            _, _, path, items = min(found, key=lambda f: (f[1] == len(_LIST_KEYS), f[0], f[1]))
            return path, items
        level = following
    return None, None


_TITLE_KEYS = frozenset({"title", "jobtitle", "name", "intitule", "titre"})


def _has_title(value: Any) -> bool:
    """An object with a title key, itself or in its JSON:API ``attributes``."""
    if not isinstance(value, Mapping):
        return False
    attributes = value.get("attributes")
    return any(_key_fold(str(k)) in _TITLE_KEYS for k in value) or (
        isinstance(attributes, Mapping) and any(_key_fold(str(k)) in _TITLE_KEYS for k in attributes))


def json_records(document: Any) -> tuple[str | None, list[Any] | None]:
    """The offers of a JSON document: its list of objects (:func:`crawlers.feeds.find_item_list`, going into
    a one-element wrapper such as Algolia's ``results.0.hits``), else the one object that has a title (a
    detail page: ``data``, ``jobPostingInfo``) as a list of one."""
    path, records = find_item_list(document)
    while records is not None and len(records) == 1 and not _has_title(records[0]):
        inner_path, inner = find_item_list(records[0])
        if inner is None or not inner:
            break
        path = ".".join(p for p in (path, "0", inner_path) if p)
        records = inner
    if records is not None:
        return path, records
    level: list[tuple[str, Any]] = [("", document)]
    for _ in range(3):
        following: list[tuple[str, Any]] = []
        for prefix, value in level:
            if isinstance(value, Mapping):
                if _has_title(value):
                    return prefix or None, [value]
                following += [(f"{prefix}.{k}" if prefix else str(k), v) for k, v in value.items()]
        level = following
    return None, None


def first_value(values: Iterable[object]) -> str | None:
    """The first non-empty value, cleaned."""
    for value in values:
        if isinstance(value, (dict, list)):
            continue
        cleaned = clean_value(value)
        if cleaned is not None:
            return cleaned
    return None


def join_values(*values: object, sep: str = " ") -> str | None:
    """Join the non-empty values (``"6", "mois"`` → ``"6 mois"``); ``None`` when all are empty."""
    parts = [v for v in (clean_value(x) for x in values) if v is not None]
    return sep.join(parts) if parts else None


def split_pair(value: str | None, sep: str = ",") -> tuple[str | None, str | None]:
    """``"44.45,1.44"`` → ``("44.45", "1.44")``; anything else → ``(None, None)``."""
    if not value or value.count(sep) != 1:
        return None, None
    left, right = (clean_value(p) for p in value.split(sep))
    return left, right


_HAS_TAG = re.compile(r"<[A-Za-z/!][^>]*>")


def looks_like_markup(text: str) -> bool:
    """True when ``text`` contains HTML tags."""
    return bool(_HAS_TAG.search(text))


def join_sections(sections: Sequence[tuple[str | None, str | None]]) -> str | None:
    """One description from the sections a source publishes separately (missions, profile, benefits).

    Empty sections are skipped; each other section after the first is introduced by its French heading,
    unless it already starts with it ("<p>Profil recherché :</p>…"). When any section is HTML, the result is
    HTML (plain sections are escaped, line breaks kept); otherwise plain text separated by blank lines. The
    sections' own words are not changed.
    """
    present = [(h, t) for h, t in ((h, clean_value(t)) for h, t in sections) if t]
    if not present:
        return None
    if len(present) == 1:
        return present[0][1]
    as_html = any(looks_like_markup(t) for _, t in present)
    parts: list[str] = []
    for index, (heading, text) in enumerate(present):
        if as_html:
            escaped = html.escape(text, quote=False).replace("\n", "<br>")
            body = text if looks_like_markup(text) else f"<p>{escaped}</p>"
            title = f"<h3>{html.escape(heading)}</h3>" if _needs_heading(heading, text, index) else ""
            parts.append(title + body)
        else:
            parts.append(f"{heading} :\n{text}" if _needs_heading(heading, text, index) else text)
    return ("\n" if as_html else "\n\n").join(parts)


def _needs_heading(heading: str | None, text: str, index: int) -> bool:
    if not heading or not index:
        return False
    start = " ".join(fold(html.unescape(_HAS_TAG.sub(" ", text[:400]))).split())
    return not start.startswith(" ".join(fold(heading).split()))


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
