"""APEC (managers' job board) partner export: ``<Export_offres><Offre_emploi>`` (SOURCE-FORMATS.md §3).

A plain mapping, so no parsing code: the declaration ``crawlers/formats/apec.toml`` (what each element holds
is noted there) read by the generic feed spider (``crawlers/spiders/feed.py``).

    scrapy crawl apec -a url=file:///path/apec.xml -O offers.jsonl
"""

from __future__ import annotations

from crawlers.spiders.feed import DeclaredFeedSpider


class ApecSpider(DeclaredFeedSpider):
    """APEC XML export, by its shipped declaration."""

    name = "apec"
    platform = "apec"
    shipped = "apec"
