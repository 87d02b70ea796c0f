"""Offers sent as a spreadsheet (CSV or XLSX) by partners without a website: farms, craftsmen, communes.

The table is read by ``crawlers.sheets`` (header row found and mapped from French headers, separators and
encodings detected); each valid row is one posting, each bad row one drop with its line number.

    scrapy crawl spreadsheet -a url=file:///path/offres-ferme-du-causse.xlsx -a employer="Ferme du Causse" \\
        -O offers.jsonl

``-a employer=`` (or the registry's ``employer``) names the employer when the sheet has no employer column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crawlers.feeds import FeedSpider, join_sections
from crawlers.sheets import SheetRow, derived_id, read_spreadsheet, row_link
from matching.types import RawPosting

#: sheet fields copied as they are into the posting
_DIRECT = ("title", "employer", "employer_siret", "city", "postal_code", "departement", "location", "contract",
           "contract_duration", "working_time", "salary", "experience", "published_at", "expires_at",
           "positions", "remote", "rome_code")


class SpreadsheetSpider(FeedSpider):
    """CSV / XLSX offers table."""

    name = "spreadsheet"
    platform = "spreadsheet"

    def items_from_body(self, body: bytes, *, http_charset: str | None = None) -> Iterator[tuple[str, Any]]:
        sheet = read_spreadsheet(body, http_charset=http_charset)
        self.count_repairs(sheet.repairs)
        unmapped = [header for header, name in sheet.columns.items() if not name]
        if sheet.columns:
            self.logger.info("%s: %s, columns %s%s", self.name, sheet.kind,
                             {h: n for h, n in sheet.columns.items() if n},
                             f"; kept in extra: {unmapped}" if unmapped else "")
        for problem in sheet.problems:
            self.drop(problem.reason, problem.detail, ref=problem.ref)
        for row in sheet.rows:
            yield f"ligne {row.line}", row

    def posting_from_item(self, item: Any) -> RawPosting:
        row: SheetRow = item
        values = row.values
        url, contact = row_link(values)
        extra: dict[str, Any] = {"line": row.line, **row.extra}
        if contact:
            extra["contact"] = contact
        if values.get("start_date"):
            extra["start_date"] = values["start_date"]
        source_id = values.get("source_id")
        if source_id is None:
            source_id = derived_id(values)
            extra["id_derived"] = True
        posting = RawPosting(source=self.source_id, source_id=source_id, url=url, extra=extra,
                             **{name: values.get(name) for name in _DIRECT})
        posting.description = join_sections([(None, values.get("description")),
                                             ("Profil recherché", values.get("profile"))])
        return posting
