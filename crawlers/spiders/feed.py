"""Any partner feed read by declaration: the ``[source.format]`` of its registry entry (``crawlers.declared``).

    scrapy crawl feed -a source=decathlon-alternance                 # format and URL from the registry
    scrapy crawl feed -a url=file:///path/offres.xml -a format='{"family": "xml", "fields": {"title": "titre"}}'
    scrapy crawl feed -a url=file:///path/offres.json -O offers.jsonl   # no declaration: the probe's guess

Without a declaration (``-a format=`` or the registry's ``[source.format]``) the format is guessed per
document by ``crawlers.probe`` (family, items and fields by their usual names) — fine for a first look,
while a registered source should carry its declaration (``ohmylot sources probe`` proposes it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from crawlers.declared import FeedFormat, parse_format, shipped_format
from crawlers.feeds import (
    DROP_NOT_A_FEED,
    FeedSpider,
    JsonFeedSpider,
    XmlFeedSpider,
    json_value,
    xml_value,
)
from crawlers.managed import find_source
from crawlers.probe import guess_format, guess_xml_items
from crawlers.registry import RegistryError
from crawlers.sheets import SheetRow, header_key, read_spreadsheet
from matching.types import RawPosting


def sheet_value(row: SheetRow, header: str) -> str | None:
    """The cell of ``row`` under ``header`` (accents, case and punctuation ignored)."""
    if header in row.cells:
        return row.cells[header]
    wanted = header_key(header)
    return next((v for h, v in row.cells.items() if header_key(h) == wanted), None)


class DeclaredFeedSpider(FeedSpider):
    """Reads the family its format declares, maps the fields the format names."""

    name = "feed"
    platform = "feed"
    #: a known platform that is a plain mapping names its shipped declaration (``crawlers/formats/NAME.toml``)
    shipped: ClassVar[str | None] = None

    def __init__(self, *args: Any, format: str | None = None, **kwargs: Any) -> None:  # noqa: A002 - -a format=
        super().__init__(*args, **kwargs)
        self.feed_format: FeedFormat | None = (
            parse_format(format) if format else shipped_format(self.shipped) if self.shipped
            else self._registered_format())
        if self.feed_format is not None:
            self.use_format(self.feed_format)

    def _registered_format(self) -> FeedFormat | None:
        try:
            entry = find_source(self.source_id)
        except RegistryError:
            return None
        return entry.format if entry is not None else None

    def use_format(self, fmt: FeedFormat) -> None:
        """Read the following documents with ``fmt``."""
        self.active_format = fmt
        self.fields = {name: paths for name, paths in fmt.fields.items() if name != "description"}
        self.description_sections = ((None, fmt.fields.get("description", ())), *fmt.sections)
        self.extra_fields = dict(fmt.extra)
        if fmt.family in ("xml", "rss"):
            self.item_tags = (fmt.items,) if fmt.items else (("item", "entry") if fmt.family == "rss" else ())
        self.items_path = fmt.items if fmt.family == "json" else None

    def items_from_body(self, body: bytes, *, http_charset: str | None = None) -> Iterator[tuple[str, Any]]:
        if self.feed_format is None:
            guessed = guess_format(body, http_charset=http_charset)
            if guessed is None:
                self.drop(DROP_NOT_A_FEED, "format non reconnu (ni XML, ni JSON, ni tableau avec des offres)")
                return
            self.logger.info("%s : format deviné %s", self.name, guessed.to_json())
            self.use_format(guessed)
        family = self.active_format.family
        if family in ("xml", "rss"):
            if not self.item_tags:
                self.item_tags = (guess_xml_items(body) or "job",)
            yield from XmlFeedSpider.items_from_body(self, body, http_charset=http_charset)  # type: ignore[arg-type]
        elif family == "json":
            yield from JsonFeedSpider.items_from_body(self, body, http_charset=http_charset)  # type: ignore[arg-type]
        else:
            sheet = read_spreadsheet(body, http_charset=http_charset)
            self.count_repairs(sheet.repairs)
            for problem in sheet.problems:
                self.drop(problem.reason, problem.detail, ref=problem.ref)
            for row in sheet.rows:
                yield f"ligne {row.line}", row

    def value(self, item: Any, path: str) -> Any:
        if isinstance(item, SheetRow):
            return sheet_value(item, path)
        if isinstance(item, dict):
            return json_value(item, path)
        return xml_value(item, path, getattr(self, "item_cache", None))

    def post_process(self, posting: RawPosting, item: Any) -> RawPosting:
        for name, value in self.active_format.values.items():
            if getattr(posting, name) is None:
                setattr(posting, name, value)
        if isinstance(item, SheetRow):
            posting.extra.setdefault("line", item.line)
        return posting

