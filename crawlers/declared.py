"""Feed formats by declaration: a ``[source.format]`` table of ``crawlers/sources.toml`` says where a partner's
offers are and which element, key or column holds each field, so that a new partner format needs no spider.

::

    [[source]]
    id = "decathlon-alternance"
    platform = "feed"                       # the generic spider of crawlers/spiders/feed.py
    url = "https://joinus.decathlon.fr/ads.json"
    [source.format]
    family = "json"                         # xml, rss, json or csv (CSV and XLSX tables)
    items = "ads"                           # where the offers are (XML: item tag; JSON: dotted path); optional
    [source.format.fields]                  # RawPosting field = path, or a list of paths (first non-empty)
    source_id = "reference"
    title = "title"
    city = ["address.parts.city", "entity.address.parts.city"]
    [source.format.sections]                # description sections after ``description`` (French heading)
    "Profil recherché" = "profile"
    [source.format.extra]                   # RawPosting.extra key = path
    education = "education_level"
    [source.format.values]                  # fixed values (the employer of an employer's own feed)
    employer = "Decathlon"

Paths are those of :mod:`crawlers.feeds` (XML ``a/b``, ``a/@attr``; JSON ``a.b.0.c``; CSV: the header as
written, matched with accents, case and punctuation ignored) and are read tolerantly (any letter case, an
attribute for an element, CDATA, namespaces). :func:`parse_format` checks a declaration and raises
:class:`FormatError` with a French message naming the wrong key, which the registry prefixes with the entry.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from crawlers.feed_fields import NAMESPACES, xml_value  # not crawlers.feeds: the registry loads without Scrapy
from matching.types import RawPosting

FAMILIES = ("xml", "rss", "json", "csv")
#: fields a declaration may fill (``RawPosting`` attributes, without the ones ohmylot sets itself)
FORMAT_FIELDS = tuple(sorted(set(RawPosting.__slots__) - {"source", "extra", "partners"}))
_FORMAT_KEYS = {"family", "items", "fields", "sections", "extra", "values"}
_TAG = re.compile(r"^(?:[A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*$")
_JSON_PATH = re.compile(r"^[^.\s][^.]*(?:\.[^.]+)*$")


class FormatError(ValueError):
    """A ``[source.format]`` declaration is wrong; the message (French) names the key."""


@dataclass(frozen=True)
class FeedFormat:
    """A checked declaration (see the module docstring)."""

    family: str
    items: str | None = None
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sections: tuple[tuple[str, tuple[str, ...]], ...] = ()
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The declaration as a TOML/JSON-able table (what :func:`parse_format` reads back)."""
        def paths(p: tuple[str, ...]) -> str | list[str]:
            return p[0] if len(p) == 1 else list(p)

        table: dict[str, Any] = {"family": self.family}
        if self.items:
            table["items"] = self.items
        table["fields"] = {name: paths(p) for name, p in self.fields.items()}
        if self.sections:
            table["sections"] = {heading: paths(p) for heading, p in self.sections}
        if self.extra:
            table["extra"] = {key: paths(p) for key, p in self.extra.items()}
        if self.values:
            table["values"] = dict(self.values)
        return table

    def to_json(self) -> str:
        """One line of JSON (passed to the spider as ``-a format=…``)."""
        return json.dumps(self.as_dict(), ensure_ascii=False, separators=(",", ":"))


def _paths(value: object, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(p, str) and p.strip() for p in items):
        raise FormatError(f"{where} : un chemin (texte) ou une liste de chemins attendu")
    return tuple(p.strip() for p in items)


def _check_path(family: str, path: str, where: str) -> None:
    if family in ("xml", "rss"):
        if path.startswith("/") or "//" in path:
            raise FormatError(f"{where} : chemin {path!r} invalide (relatif à l'offre, sans « // »)")
        try:
            xml_value(etree.Element("offre"), path)  # compiles the path as the feed bases will
        except KeyError as exc:
            raise FormatError(f"{where} : préfixe d'espace de noms inconnu {exc.args[0]!r} dans {path!r} "
                              f"(connus : {', '.join(NAMESPACES)})") from exc
        except (SyntaxError, ValueError) as exc:
            raise FormatError(f"{where} : chemin {path!r} invalide ({exc})") from exc
    elif family == "json" and not _JSON_PATH.match(path):
        raise FormatError(f"{where} : chemin {path!r} invalide (clés séparées par des points : a.b.0.c)")


def _field_table(raw: object, where: str, family: str, *, fields_only: bool) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise FormatError(f"{where} : table clé = chemin attendue")
    table: dict[str, tuple[str, ...]] = {}
    for name, value in raw.items():
        if fields_only and name not in FORMAT_FIELDS:
            raise FormatError(f"{where} : champ inconnu {name!r} (connus : {', '.join(FORMAT_FIELDS)})")
        paths = _paths(value, f"{where}.{name}")
        for path in paths:
            _check_path(family, path, f"{where}.{name}")
        table[str(name)] = paths
    return table


def parse_format(raw: object) -> FeedFormat:
    """Check a ``[source.format]`` table (or its JSON text) and return it; raise :class:`FormatError`."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise FormatError(f"format : JSON invalide ({exc.msg})") from exc
    if not isinstance(raw, Mapping):
        raise FormatError("[source.format] doit être une table")
    unknown = sorted(set(raw) - _FORMAT_KEYS)
    if unknown:
        raise FormatError(f"[source.format] : clé inconnue {', '.join(unknown)} (connues : "
                          f"{', '.join(sorted(_FORMAT_KEYS))})")
    family = raw.get("family")
    if family not in FAMILIES:
        raise FormatError(f"[source.format] : family doit être l'une de {', '.join(FAMILIES)} (lu : {family!r})")
    items = raw.get("items")
    if items is not None:
        if not isinstance(items, str) or not items.strip():
            raise FormatError("[source.format] : items doit être un chemin (texte)")
        if family in ("xml", "rss") and not _TAG.match(items):
            raise FormatError(f"[source.format] : items {items!r} doit être un nom d'élément (ex. « job »)")
        if family == "json":
            _check_path(family, items, "[source.format].items")
        if family == "csv":
            raise FormatError("[source.format] : items n'a pas de sens pour un tableau (une ligne = une offre)")
    fields = _field_table(raw.get("fields"), "[source.format.fields]", family, fields_only=True)
    if "title" not in fields:
        raise FormatError("[source.format.fields] : le champ title (intitulé de l'offre) est obligatoire")
    sections = _field_table(raw.get("sections"), "[source.format.sections]", family, fields_only=False)
    extra = _field_table(raw.get("extra"), "[source.format.extra]", family, fields_only=False)
    values_raw = raw.get("values") or {}
    if not isinstance(values_raw, Mapping):
        raise FormatError("[source.format.values] : table champ = valeur attendue")
    values: dict[str, str] = {}
    for name, value in values_raw.items():
        if name not in FORMAT_FIELDS:
            raise FormatError(f"[source.format.values] : champ inconnu {name!r} (connus : {', '.join(FORMAT_FIELDS)})")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise FormatError(f"[source.format.values].{name} : une valeur texte attendue")
        values[name] = str(value)
    return FeedFormat(family, items.strip() if isinstance(items, str) else None, fields,
                      tuple(sections.items()), extra, values)


#: the formats shipped with ohmylot for the known platforms that are plain mappings (``crawlers/formats/``)
FORMATS_DIR = Path(__file__).resolve().parent / "formats"


@cache
def shipped_format(name: str) -> FeedFormat:
    """The shipped declaration ``crawlers/formats/<name>.toml`` (the table of ``[source.format]``), checked."""
    path = FORMATS_DIR / f"{name}.toml"
    try:
        return parse_format(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, FormatError) as exc:
        raise FormatError(f"format livré {path.name} illisible : {exc}") from exc
