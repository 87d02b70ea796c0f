"""Field helpers of partner feeds (split from ``crawlers.feeds``, which re-exports these names): values and
paths in XML elements (``xml_value``, ``node_text``) and JSON documents (``json_value``, ``find_item_list``),
and the small joins the mappings use. Pure functions, tested without Scrapy.
"""

from __future__ import annotations

import html
import html.entities
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from lxml import etree

from matching.text import fold

#: XML namespaces understood in field paths as ``prefix:name``.
NAMESPACES: dict[str, str] = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "atom": "http://www.w3.org/2005/Atom",
    "media": "http://search.yahoo.com/mrss/",
    "g": "http://base.google.com/ns/1.0",
}


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


def xml_first_value(node: etree._Element, paths: Iterable[str],
                    cache: dict[int, dict[str, etree._Element]] | None = None) -> str | None:
    """``first_value(xml_value(node, p, cache) for p in paths)``, the same value with fewer steps: a plain
    one-step path (``title``, most fields of most feeds) is read straight from the item's child index."""
    index = None
    for path in paths:
        kind, _, steps, _ = _compile(path)
        if kind == "text" and steps is not None and len(steps) == 1:
            if index is None:
                index = _children(node, cache)
            namespace, name = steps[0]
            target = _child(index, namespace, name)
            if target is None:  # the attribute tolerance of xml_value
                value = clean_value(attribute(node, name)) if node.keys() else None
            else:
                value = node_text(target)
        else:
            value = xml_value(node, path, cache)
        if value is not None:  # xml_value's values are already cleaned: first_value would keep them as they are
            return value
    return None


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
